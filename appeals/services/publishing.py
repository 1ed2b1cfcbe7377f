"""An appeal's publishing workflow (draft, published, closed, archived) and its
former addresses."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals.models import Appeal, AppealSlug

# action: (statuses it may start from, status it leads to, why it may not)
TRANSITIONS = {
    "publish": (
        {Appeal.Status.DRAFT},
        Appeal.Status.PUBLISHED,
        _("Only a draft can be published."),
    ),
    "close": (
        {Appeal.Status.PUBLISHED},
        Appeal.Status.CLOSED,
        _("Only a published appeal can be closed."),
    ),
    "archive": (
        {Appeal.Status.PUBLISHED, Appeal.Status.CLOSED},
        Appeal.Status.ARCHIVED,
        _("Only a published or closed appeal can be archived."),
    ),
    "reopen": (
        {Appeal.Status.CLOSED, Appeal.Status.ARCHIVED},
        Appeal.Status.PUBLISHED,
        _("Only a closed or archived appeal can be reopened."),
    ),
}


def _transition(appeal: Appeal, action: str) -> None:
    sources, target, refusal = TRANSITIONS[action]
    if appeal.status not in sources:
        raise ValidationError(refusal, code="invalid_transition")
    appeal.status = target


@transaction.atomic
def publish_appeal(*, appeal: Appeal, at: datetime | None = None) -> Appeal:
    """Publish a draft now, or schedule it: it appears by itself at `at`."""
    _transition(appeal, "publish")
    appeal.published_at = at or timezone.now()
    appeal.save(update_fields=["status", "published_at", "updated_at"])
    return appeal


@transaction.atomic
def close_appeal(*, appeal: Appeal) -> Appeal:
    """Stop signing; pending signatures stay confirmable for a grace period."""
    _transition(appeal, "close")
    appeal.closed_at = timezone.now()
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    return appeal


@transaction.atomic
def archive_appeal(*, appeal: Appeal) -> Appeal:
    """Keep the appeal readable at its address but out of the listings."""
    _transition(appeal, "archive")
    appeal.closed_at = appeal.closed_at or timezone.now()
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    return appeal


@transaction.atomic
def reopen_appeal(*, appeal: Appeal) -> Appeal:
    """Accept signatures again; a passed deadline must be moved first."""
    if appeal.closes_at is not None and appeal.closes_at <= timezone.now():
        raise ValidationError(
            _("The deadline of “%(title)s” has passed: set a later one to reopen it."),
            code="deadline_passed",
            params={"title": appeal.title},
        )
    _transition(appeal, "reopen")
    appeal.closed_at = None
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    return appeal


@transaction.atomic
def record_former_slug(*, appeal: Appeal, slug: str) -> None:
    """Keep an appeal's old address, so that links to it redirect for good."""
    AppealSlug.objects.filter(slug=appeal.slug).delete()  # Renamed back.
    AppealSlug.objects.update_or_create(slug=slug, defaults={"appeal": appeal})
