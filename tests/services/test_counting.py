"""The confirmed count: exact, folded from deltas, checked against the rows."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from appeals.management.commands.load_demo import DEMO_SLUG
from appeals.models import Appeal, Signature, SignatureCountDelta
from appeals.services import confirm_signature, counting, withdraw_signature
from appeals.services.counting import fold_signature_counts, recount_signatures
from tests.concurrency import run_in_threads
from tests.factories import form_shown, make_appeal, make_signature


@pytest.mark.django_db
def test_confirm_and_withdraw_record_deltas_that_fold_into_the_count(
    django_capture_on_commit_callbacks,
):
    appeal = make_appeal()
    signatures = [make_signature(appeal, status="pending") for _ in range(3)]

    with django_capture_on_commit_callbacks() as callbacks:
        for signature in signatures:
            confirm_signature(signature=signature)
        withdraw_signature(signature=signatures[0])

    assert list(
        SignatureCountDelta.objects.order_by("pk").values_list("delta", flat=True)
    ) == [1, 1, 1, -1]
    assert len(callbacks) == 4
    appeal.refresh_from_db()
    assert appeal.signature_count == 0
    assert appeal.current_signature_count() == 2

    assert fold_signature_counts() == 4

    appeal.refresh_from_db()
    assert appeal.signature_count == 2
    assert not SignatureCountDelta.objects.exists()


@pytest.mark.django_db
def test_confirming_twice_counts_once():
    appeal = make_appeal()
    signature = make_signature(appeal, status="pending")

    assert confirm_signature(signature=signature) is True
    assert confirm_signature(signature=signature) is False

    assert SignatureCountDelta.objects.count() == 1


@pytest.mark.django_db
def test_withdrawing_a_pending_signature_does_not_change_the_count():
    appeal = make_appeal()
    signature = make_signature(appeal, status="pending")

    withdraw_signature(signature=signature)

    assert not SignatureCountDelta.objects.exists()


@pytest.mark.django_db
def test_recount_keeps_unfolded_changes_in_mind():
    appeal = make_appeal()
    make_signature(appeal)  # Bypasses the counter: stored count drifts by one.
    SignatureCountDelta.objects.create(appeal=appeal, delta=1)
    make_signature(appeal)  # ... and this one is counted by that pending delta.

    corrected = recount_signatures()

    assert [(a.pk, stored, right) for a, stored, right in corrected] == [
        (appeal.pk, 1, 2)
    ]
    appeal.refresh_from_db()
    assert appeal.signature_count == 2
    assert recount_signatures() == []


@pytest.mark.django_db
def test_recount_command_reports_what_it_corrected():
    from io import StringIO

    appeal = make_appeal(slug="drifted")
    make_signature(appeal)
    out = StringIO()

    call_command("recount_signatures", stdout=out)
    assert "drifted: stored count was 0, corrected to 1" in out.getvalue()

    out = StringIO()
    call_command("recount_signatures", stdout=out)
    assert "All counts were exact." in out.getvalue()


@pytest.mark.django_db
def test_recount_signatures_corrects_drift():
    call_command("load_demo")
    appeal = Appeal.objects.get(slug=DEMO_SLUG)
    true_count = appeal.signature_count
    Appeal.objects.filter(pk=appeal.pk).update(signature_count=true_count + 5)

    corrected = recount_signatures()

    assert [(a.pk, old, new) for a, old, new in corrected] == [
        (appeal.pk, true_count + 5, true_count)
    ]
    appeal.refresh_from_db()
    assert appeal.signature_count == true_count


def sign_data(email):
    return {
        "full_name": "Concurrent Signer",
        "email": email,
        "country": "UA",
        "visibility": "public",
        **form_shown(),
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_signatures_with_one_email_leave_one_row():
    appeal = make_appeal()
    url = reverse("appeals:sign", kwargs={"slug": appeal.slug})

    statuses = run_in_threads(
        16, lambda i: Client().post(url, sign_data("same@example.org")).status_code
    )

    assert statuses == [302] * 16
    assert Signature.objects.filter(appeal=appeal).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_hundred_concurrent_signatures_count_exactly_two_hundred(settings):
    # All threads share one address; this test is about concurrency, not limits.
    settings.SIGNING_RATE_LIMITS = dict.fromkeys(
        settings.SIGNING_RATE_LIMITS, (10000, 60)
    )
    appeal = make_appeal()
    url = reverse("appeals:sign", kwargs={"slug": appeal.slug})

    statuses = run_in_threads(
        200,
        lambda i: Client().post(url, sign_data(f"signer{i}@example.org")).status_code,
    )
    assert statuses == [302] * 200
    pending = list(Signature.objects.filter(appeal=appeal))
    run_in_threads(len(pending), lambda i: confirm_signature(signature=pending[i]))

    fold_signature_counts()
    assert recount_signatures() == []
    appeal = Appeal.objects.get(pk=appeal.pk)
    assert appeal.signature_count == 200
    assert appeal.signatures.confirmed().count() == 200


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
