"""Publishing moves: when closing starts the grace, why reopening is refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from appeals import services
from appeals.models import CONFIRMATION_GRACE_AFTER_CLOSING, Appeal, Signature
from appeals.services import archive_appeal, close_appeal, confirm_signature
from tests.factories import make_appeal, make_signature

# The grace for confirmations runs from when signing ended.


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


@pytest.mark.django_db
def test_reopening_needs_a_deadline_in_the_future():
    appeal = make_appeal(
        status=Appeal.Status.CLOSED, closes_at=timezone.now() - timedelta(days=1)
    )

    with pytest.raises(ValidationError, match="deadline"):
        services.reopen_appeal(appeal=appeal)
