from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from appeals.models import Appeal, Signature, normalize_email
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
