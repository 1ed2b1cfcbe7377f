from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from appeals.models import (
    Appeal,
    OrganizationSignature,
    Signature,
    SigningState,
    SiteSettings,
    normalize_email,
)
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("ann@example.org", "ann@example.org"),
        ("  Ann@Example.ORG \n", "ann@example.org"),
        ("olena@пример.укр", "olena@xn--e1afmkfd.xn--j1amh"),
        ("OLENA@ПРИМЕР.УКР", "olena@xn--e1afmkfd.xn--j1amh"),
    ],
)
def test_normalize_email(address, expected):
    assert normalize_email(address) == expected


def test_same_email_with_other_case_and_spaces_is_rejected_by_the_database():
    appeal = make_appeal()
    make_signature(appeal, email="Ann.Lee@Example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_signature(appeal, email="  ann.lee@EXAMPLE.org ")

    assert appeal.signatures.count() == 1


def test_same_email_may_sign_different_appeals():
    email = "ann@example.org"
    make_signature(make_appeal(), email=email)
    make_signature(make_appeal(), email=email)

    assert Signature.objects.filter(email_normalized=email).count() == 2


def stored_values(model, pk) -> dict:
    row = model.objects.values().get(pk=pk)
    del row["id"]
    return row


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (
            Signature,
            {
                "full_name": "Ann Lee",
                "city": "Kyiv",
                "comment": "Free them.",
                "status": Signature.Status.PENDING,
                "email_due": "confirm",
                "emails_sent_on": timezone.localdate(),
                "emails_sent_count": 1,
                "ip_hash": "f" * 32,
                "language": "uk",
            },
        ),
        (
            OrganizationSignature,
            {
                "organization_name": "Free Press",
                "contact_name": "Ann Lee",
                "website": "https://example.org/",
                "quarantine_reason": "rate limit: ip_burst",
                "status": OrganizationSignature.Status.QUARANTINED,
            },
        ),
    ],
)
def test_insert_writes_the_row_save_would_write(model, fields):
    appeal = make_appeal()
    fields = {
        **fields,
        "appeal": appeal,
        "email": "  Ann.Lee@Example.ORG ",
        "country": "UA",
        "created_at": timezone.now() - timedelta(minutes=5),
    }
    inserted = model(**fields)
    inserted.insert()
    inserted_row = stored_values(model, inserted.pk)
    # The instance now stands for its row: saving it again updates that row.
    inserted.save()
    assert model.objects.get().pk == inserted.pk
    model.objects.all().delete()
    saved = model(**fields)
    saved.save()

    assert inserted_row == stored_values(model, saved.pk)
    assert inserted_row["email_normalized"] == "ann.lee@example.org"
    assert inserted_row["privacy_notice_version"]  # A model default.


def test_insert_is_refused_for_an_address_that_signed():
    appeal = make_appeal()
    make_signature(appeal, email="ann@example.org")
    duplicate = Signature(
        appeal=appeal, full_name="Ann", email="ANN@example.org ", country="UA"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.insert()

    assert appeal.signatures.count() == 1


def test_a_published_appeal_needs_a_publication_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_appeal(status=Appeal.Status.PUBLISHED, published_at=None)


def test_published_excludes_drafts_and_scheduled_appeals():
    visible = make_appeal()
    closed = make_appeal(status=Appeal.Status.CLOSED)
    make_appeal(status=Appeal.Status.DRAFT, published_at=None)
    make_appeal(published_at=timezone.now() + timedelta(hours=1))

    assert set(Appeal.objects.published()) == {visible, closed}


def test_open_excludes_closed_and_past_deadline():
    open_appeal = make_appeal(closes_at=timezone.now() + timedelta(days=1))
    make_appeal(status=Appeal.Status.CLOSED)
    make_appeal(closes_at=timezone.now() - timedelta(minutes=1))

    assert list(Appeal.objects.open()) == [open_appeal]
    assert open_appeal.is_open


def test_open_first_orders_open_appeals_before_closed_ones_newest_first():
    now = timezone.now()
    closed_new = make_appeal(
        status=Appeal.Status.CLOSED, published_at=now - timedelta(hours=1)
    )
    open_old = make_appeal(published_at=now - timedelta(days=9))
    open_new = make_appeal(published_at=now - timedelta(days=1))

    ordered = list(Appeal.objects.published().open_first())

    assert ordered == [open_new, open_old, closed_new]


def test_progress_percent_is_capped_at_one_hundred():
    appeal = make_appeal(signature_goal=10)
    appeal.signature_count = 25

    assert appeal.progress_percent == 100


@pytest.mark.django_db(transaction=True)
def test_site_settings_saved_anywhere_are_read_at_once():
    from appeals.models import SiteSettings

    assert SiteSettings.current().is_signing_paused is False  # Now cached.
    row = SiteSettings.objects.get()
    row.is_signing_paused = True

    row.save()  # Not through the admin: a shell, a script.

    assert SiteSettings.current().is_signing_paused is True


@pytest.mark.django_db
def test_an_appeal_says_whether_it_may_be_signed_now(
    django_capture_on_commit_callbacks,
):
    now = timezone.now()
    open_appeal = make_appeal()
    past_deadline = make_appeal(closes_at=now - timedelta(minutes=1))
    closed = make_appeal(status=Appeal.Status.CLOSED)
    draft = make_appeal(status=Appeal.Status.DRAFT)
    paused = make_appeal(is_signing_paused=True)
    closed_and_paused = make_appeal(status=Appeal.Status.CLOSED, is_signing_paused=True)

    assert open_appeal.signing_state == SigningState.OPEN
    for appeal in [past_deadline, closed, draft, closed_and_paused]:
        assert appeal.signing_state == SigningState.CLOSED
    assert paused.signing_state == SigningState.PAUSED

    site = SiteSettings.current()
    site.is_signing_paused = True
    with django_capture_on_commit_callbacks(execute=True):
        site.save()
    assert open_appeal.signing_state == SigningState.PAUSED
    assert closed.signing_state == SigningState.CLOSED
