from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals.models.appeals import Appeal

# How much of a reply the response clock quotes (on the page, in the JSON).
SUMMARY_LENGTH = 200


class DeliveryEvent(models.Model):
    """One step of an appeal's delivery and the addressee's response, shown publicly."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        REPLY = "reply", _("Reply received")
        FOLLOW_UP = "follow_up", _("Follow-up")

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="delivery_events"
    )
    kind = models.CharField(_("what happened"), max_length=20, choices=Kind)
    occurred_on = models.DateField(_("date"))
    channel = models.CharField(
        _("channel"),
        max_length=200,
        blank=True,
        help_text=_("How: e.g. “by registered mail”, “in person at the ministry”."),
    )
    signature_count = models.PositiveIntegerField(
        _("signatures at delivery"),
        null=True,
        blank=True,
        help_text=_("Left empty on a delivery, it is filled with the current count."),
    )
    text = models.TextField(
        _("text"),
        blank=True,
        help_text=_(
            "The reply, or a note on the follow-up. Plain text, shown publicly."
        ),
    )
    document = models.FileField(
        _("document"),
        upload_to="delivery/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"])],
        help_text=_("Optional scan or PDF of the letter or reply (PDF, PNG or JPEG)."),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_on", "pk"]
        verbose_name = _("delivery and response event")
        verbose_name_plural = _("delivery and response")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.occurred_on})"

    @property
    def summary(self) -> str:
        """The text's beginning on one line, cut at a word near SUMMARY_LENGTH."""
        text = " ".join(self.text.split())
        if len(text) <= SUMMARY_LENGTH:
            return text
        cut = text[: SUMMARY_LENGTH + 1]
        cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:SUMMARY_LENGTH]
        return cut.rstrip(" ,.;:–-") + "…"

    @property
    def is_summarized(self) -> bool:
        """Whether the summary leaves part of the text out."""
        return len(" ".join(self.text.split())) > SUMMARY_LENGTH


class ResponseStatus(StrEnum):
    """Where an appeal stands with its addressee, as the JSON names it."""

    NOT_DELIVERED = "not_delivered"
    AWAITING_REPLY = "awaiting_reply"
    REPLIED = "replied"


def awaiting_reply() -> tuple[dict, Q]:
    """The annotations and the filter of appeals delivered and not answered since.

    The same rule as ResponseClock.of, in SQL (AppealQuerySet.awaiting_reply): a
    reply counts if it came on or after the latest delivery; a date to come counts
    for nothing yet.
    """
    past = Q(delivery_events__occurred_on__lte=timezone.localdate())
    annotations = {
        "delivered_on": Max(
            "delivery_events__occurred_on",
            filter=Q(delivery_events__kind=DeliveryEvent.Kind.DELIVERED) & past,
        ),
        "replied_on": Max(
            "delivery_events__occurred_on",
            filter=Q(delivery_events__kind=DeliveryEvent.Kind.REPLY) & past,
        ),
    }
    waiting = Q(delivered_on__isnull=False) & (
        Q(replied_on__isnull=True) | Q(replied_on__lt=F("delivered_on"))
    )
    return annotations, waiting


@dataclass(frozen=True)
class ResponseClock:
    """Where an appeal stands with its addressee, from its delivery timeline.

    Delivered and waiting (days counting), or answered (the reply after the latest
    delivery); None while it has not been delivered.
    """

    delivered_on: date
    reply: DeliveryEvent | None

    @classmethod
    def of(cls, events) -> "ResponseClock | None":
        """The clock of an appeal's delivery events (in any order); one dated in
        the future (a typing slip, a planned delivery) does not count yet."""
        today = timezone.localdate()
        events = sorted(
            (event for event in events if event.occurred_on <= today),
            key=lambda event: (event.occurred_on, event.pk or 0),
        )
        deliveries = [e for e in events if e.kind == DeliveryEvent.Kind.DELIVERED]
        if not deliveries:
            return None
        delivered_on = deliveries[-1].occurred_on
        replies = [
            event
            for event in events
            if event.kind == DeliveryEvent.Kind.REPLY
            and event.occurred_on >= delivered_on
        ]
        return cls(delivered_on=delivered_on, reply=replies[-1] if replies else None)

    @property
    def is_waiting(self) -> bool:
        return self.reply is None

    @property
    def days_waiting(self) -> int:
        """Days since the delivery, until a reply came (or until today)."""
        end = self.reply.occurred_on if self.reply else timezone.localdate()
        return max(0, (end - self.delivered_on).days)

    @property
    def status(self) -> ResponseStatus:
        if self.is_waiting:
            return ResponseStatus.AWAITING_REPLY
        return ResponseStatus.REPLIED

    @property
    def reply_summary(self) -> str:
        return self.reply.summary if self.reply else ""


class ExportLog(models.Model):
    """A record of each export of signer data: who, when, what, how many rows."""

    class Kind(models.TextChoices):
        DELIVERY_CSV = "delivery_csv", _("Delivery list (CSV)")
        EMAILS_CSV = "emails_csv", _("List with emails (CSV)")
        DELIVERY_DOCUMENT = "delivery_document", _("Printable delivery document")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="signature_exports",
        verbose_name=_("user"),
    )
    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.CASCADE,
        related_name="exports",
        verbose_name=_("appeal"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    row_count = models.PositiveIntegerField(_("rows"))
    created_at = models.DateTimeField(_("exported at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export")
        verbose_name_plural = _("export log")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.appeal} ({self.created_at:%Y-%m-%d})"
