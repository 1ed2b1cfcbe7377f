"""Signing's service calls: withdrawing, resending the confirmation link."""

import pytest

from appeals import services
from appeals.mail.mailer import send_queued
from appeals.models import Signature
from tests.factories import make_appeal, make_signature
from tests.mail.helpers import sign


@pytest.mark.django_db
def test_withdrawing_a_signature_staff_deleted_a_moment_before_changes_nothing():
    from appeals.services import delete_signatures, withdraw_signature

    signature = make_signature(make_appeal())
    delete_signatures(signatures=Signature.objects.filter(pk=signature.pk))

    assert withdraw_signature(signature=signature) is False
    assert not Signature.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue")
@pytest.mark.usefixtures("three_a_minute_per_client")
def test_the_admin_resend_counts_against_the_rate_limits(client, mailoutbox):
    appeal = make_appeal()
    for number in range(3):
        sign(client, appeal, f"s{number}@example.org")
    send_queued()
    mailoutbox.clear()
    pending = Signature.objects.order_by("pk")

    # Three confirmation links from that client this minute already.
    assert not services.resend_confirmation(signature=pending[0])

    assert send_queued().sent == 0
    assert mailoutbox == []
