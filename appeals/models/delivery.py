from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals.models.appeals import Appeal


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
        """The clock of an appeal's delivery events (in any order)."""
        events = sorted(events, key=lambda event: (event.occurred_on, event.pk or 0))
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
