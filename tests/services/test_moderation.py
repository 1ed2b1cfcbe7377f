"""Moderation moves start from the state they expect, even when two race."""

import threading
import time

import pytest
from django.db import connection, transaction

from appeals.models import OrganizationSignature, Signature
from appeals.services import (
    reject_organization_signatures,
    reject_signatures,
    release_signatures,
)
from tests.concurrency import run_in_threads
from tests.factories import make_appeal, make_signature
from tests.services.helpers import make_cosignature


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
