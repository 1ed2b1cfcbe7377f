"""Counts and states: exact counts and moderation moves, under races and outages."""

import re
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appeals.models import (
    CONFIRMATION_GRACE_AFTER_CLOSING,
    Appeal,
    OrganizationSignature,
    Signature,
    SignatureCountDelta,
)
from appeals.services import (
    archive_appeal,
    close_appeal,
    confirm_signature,
    counting,
    reject_organization_signatures,
    reject_signatures,
    release_signatures,
)
from appeals.services.counting import fold_signature_counts, recount_signatures
from appeals.tokens import Purpose, make_token
from tests.concurrency import run_in_threads
from tests.factories import make_appeal, make_signature

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def make_cosignature(appeal, **overrides) -> OrganizationSignature:
    fields = {
        "organization_name": "Rights Watch",
        "website": "https://rights.example.org/",
        "contact_name": "Ann Lee",
        "email": f"contact{OrganizationSignature.objects.count()}@rights.example.org",
        "country": "GE",
        "status": OrganizationSignature.Status.CONFIRMED,
    }
    fields.update(overrides)
    return OrganizationSignature.objects.create(appeal=appeal, **fields)


def stored_count(appeal) -> int:
    return Appeal.objects.values_list("signature_count", flat=True).get(pk=appeal.pk)


# --- 1. The grace for confirmations runs from when signing ended --------------


@pytest.mark.django_db
@pytest.mark.parametrize("stop", [close_appeal, archive_appeal])
def test_closing_after_the_deadline_gives_no_new_grace_for_confirmations(stop):
    deadline = timezone.now() - CONFIRMATION_GRACE_AFTER_CLOSING - timedelta(hours=1)
    appeal = make_appeal(closes_at=deadline)
    pending = make_signature(appeal, status="pending")
    assert not appeal.accepts_confirmations

    stop(appeal=appeal)

    appeal.refresh_from_db()
    assert appeal.signing_closed_at == deadline
    assert not appeal.accepts_confirmations
    pending.refresh_from_db()
    with pytest.raises(ValidationError):
        confirm_signature(signature=pending)
    assert Signature.objects.get(pk=pending.pk).status == Signature.Status.PENDING


@pytest.mark.django_db
def test_closing_a_while_after_the_deadline_keeps_the_grace_from_the_deadline():
    deadline = timezone.now() - timedelta(hours=2)
    appeal = make_appeal(closes_at=deadline)

    close_appeal(appeal=appeal)

    appeal.refresh_from_db()
    assert appeal.signing_closed_at == deadline
    assert appeal.accepts_confirmations  # 22 hours of the grace are left.


@pytest.mark.django_db
def test_closing_before_the_deadline_starts_the_grace_at_closing():
    appeal = make_appeal(closes_at=timezone.now() + timedelta(days=3))

    close_appeal(appeal=appeal)

    appeal.refresh_from_db()
    assert appeal.signing_closed_at == appeal.closed_at
    assert appeal.accepts_confirmations


# --- 2. Deleting a signature takes it off the count ---------------------------


@pytest.fixture
def counted_appeal(db):
    """An appeal with two confirmed signatures and one pending, counted exactly."""
    appeal = make_appeal()
    for _ in range(2):
        make_signature(appeal)
    make_signature(appeal, status="pending")
    recount_signatures()
    assert stored_count(appeal) == 2
    return appeal


def test_a_superuser_deleting_a_confirmed_signature_takes_it_off_the_count(
    staff_client, counted_appeal
):
    signature = counted_appeal.signatures.confirmed().first()

    response = staff_client.post(
        reverse("admin:appeals_signature_delete", args=[signature.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Signature.objects.filter(pk=signature.pk).exists()
    assert Appeal.objects.get(pk=counted_appeal.pk).current_signature_count() == 1
    fold_signature_counts()
    assert stored_count(counted_appeal) == 1
    assert recount_signatures() == []


def test_deleting_signatures_in_bulk_takes_the_confirmed_ones_off_the_count(
    staff_client, counted_appeal
):
    everyone = list(counted_appeal.signatures.values_list("pk", flat=True))

    response = staff_client.post(
        reverse("admin:appeals_signature_changelist"),
        {"action": "delete_selected", "_selected_action": everyone, "post": "yes"},
    )

    assert response.status_code == 302
    assert not counted_appeal.signatures.exists()
    fold_signature_counts()
    assert stored_count(counted_appeal) == 0
    assert recount_signatures() == []


def test_a_superuser_can_delete_co_signatures(staff_client, counted_appeal):
    cosignature = make_cosignature(counted_appeal)

    response = staff_client.post(
        reverse("admin:appeals_organizationsignature_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [cosignature.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not OrganizationSignature.objects.exists()
    assert not SignatureCountDelta.objects.exists()
    assert stored_count(counted_appeal) == 2


# --- 3. Moderation moves start from the state they expect ---------------------


def wait_until_another_connection_waits_for_a_lock(timeout=5.0):
    """Poll PostgreSQL until a connection to this database waits for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # Within a transaction the activity view is read once, then kept.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("model", "make", "reject"),
    [
        (
            Signature,
            lambda appeal: make_signature(appeal, status="quarantined"),
            reject_signatures,
        ),
        (
            OrganizationSignature,
            lambda appeal: make_cosignature(appeal, status="quarantined"),
            reject_organization_signatures,
        ),
    ],
    ids=["signature", "co-signature"],
)
def test_a_release_racing_a_rejection_never_makes_a_rejected_signature_pending(
    mailoutbox, model, make, reject
):
    appeal = make_appeal()
    make(appeal)
    rejected = threading.Event()

    def reject_then_commit_once_the_release_waits():
        with transaction.atomic():
            reject(signatures=model.objects.filter(appeal=appeal))
            rejected.set()
            wait_until_another_connection_waits_for_a_lock()

    def release_while_the_rejection_commits():
        assert rejected.wait(5)
        return release_signatures(signatures=model.objects.filter(appeal=appeal))

    work = [
        reject_then_commit_once_the_release_waits,
        release_while_the_rejection_commits,
    ]
    _rejection, released = run_in_threads(2, lambda i: work[i]())

    assert released == 0
    assert model.objects.get().status == model.Status.REJECTED
    assert model.objects.get().email_due == ""
    assert mailoutbox == []


@pytest.mark.django_db
def test_releasing_a_rejected_signature_changes_nothing(mailoutbox):
    appeal = make_appeal()
    signature = make_signature(appeal, status="quarantined")
    reject_signatures(signatures=Signature.objects.filter(pk=signature.pk))

    assert release_signatures(signatures=Signature.objects.all()) == 0

    signature.refresh_from_db()
    assert signature.status == Signature.Status.REJECTED
    assert mailoutbox == []


# --- 4. Confirming does not depend on Redis -----------------------------------


@pytest.fixture
def redis_down(settings):
    """The shared cache is Redis, and nothing answers at its address."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue", "redis_down")
def test_confirming_while_redis_is_down_confirms_and_queues_the_fold():
    appeal = make_appeal()
    signature = make_signature(appeal, status="pending")
    url = reverse(
        "appeals:confirm", kwargs={"token": make_token(signature, Purpose.CONFIRM)}
    )

    response = Client(raise_request_exception=False).post(url)

    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert appeal.current_signature_count() == 1
    [fold] = DBTaskResult.objects.all()
    assert fold.task_path == "appeals.services.tasks.fold_signature_counts"
    assert fold.status == TaskResultStatus.READY


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue")
def test_a_change_made_while_a_worker_takes_the_waiting_fold_gets_a_fold_of_its_own():
    appeal = make_appeal()
    first, second = (make_signature(appeal, status="pending") for _ in range(2))
    confirm_signature(signature=first)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1

    with transaction.atomic():
        confirm_signature(signature=second)
        # A worker takes the waiting fold before this change is committed: that
        # fold cannot see it.
        DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)

    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue")
def test_a_confirmation_rolled_back_leaves_no_fold_queued():
    appeal = make_appeal()
    signature = make_signature(appeal, status="pending")

    with pytest.raises(RuntimeError), transaction.atomic():
        confirm_signature(signature=signature)
        raise RuntimeError("the request failed after confirming")

    assert not DBTaskResult.objects.exists()
    assert not SignatureCountDelta.objects.exists()


# --- 5. Folds at once never take a count below zero ---------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_folds_of_confirmations_and_withdrawals_stay_exact(monkeypatch):
    # One change per batch: a withdrawal's -1 and its confirmation's +1 end up in
    # different batches, as when a withdrawal arrives while a fold runs.
    monkeypatch.setattr(counting, "FOLD_BATCH_SIZE", 1)
    appeals = [make_appeal() for _ in range(40)]
    for appeal in appeals:
        SignatureCountDelta.objects.create(appeal=appeal, delta=+1)
        SignatureCountDelta.objects.create(appeal=appeal, delta=-1)
    SignatureCountDelta.objects.create(appeal=appeals[0], delta=+1)

    run_in_threads(8, lambda i: fold_signature_counts())

    assert not SignatureCountDelta.objects.exists()
    counts = dict(Appeal.objects.values_list("pk", "signature_count"))
    assert counts == {appeal.pk: int(appeal == appeals[0]) for appeal in appeals}


# --- 6. Only the page's own forms get the reader's CSRF token ------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "website_path", ["__csrf_token_for_this_reader__", "csrf-0123456789abcdef"]
)
def test_a_co_signer_s_website_cannot_collect_readers_csrf_tokens(
    settings, website_path
):
    settings.PAGE_CACHE_SECONDS = 60
    appeal = make_appeal()
    website = f"https://collector.example/{website_path}"
    make_cosignature(appeal, website=website, is_approved=True)
    Client().get(appeal.get_absolute_url())  # Renders the shared copy.

    page = Client().get(appeal.get_absolute_url()).content.decode()

    assert f'href="{website}"' in page
    tokens = CSRF_INPUT.findall(page)
    assert tokens and all(not t.startswith(("csrf-", "__csrf")) for t in tokens)
    # The reader's token is where the forms ask for it, and nowhere else.
    assert sum(page.count(token) for token in set(tokens)) == len(tokens)


@pytest.mark.django_db
def test_an_error_page_under_the_page_cache_has_the_reader_s_own_token(settings):
    settings.PAGE_CACHE_SECONDS = 60

    page = Client().get("/appeals/no-such-appeal/")

    assert page.status_code == 404
    tokens = CSRF_INPUT.findall(page.content.decode())
    assert tokens and all(not t.startswith(("csrf-", "__csrf")) for t in tokens)
