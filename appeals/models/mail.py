"""The outgoing mail queue: one row per email, with its state (see appeals.mail)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals.models.signatures import OrganizationSignature, Signature
from appeals.models.updates import Update


class OutgoingEmailQuerySet(models.QuerySet):
    def waiting(self) -> "OutgoingEmailQuerySet":
        """Messages not yet sent nor given up on: queued, being sent or retrying."""
        return self.filter(state__in=OutgoingEmail.WAITING)

    def due(self, now=None) -> "OutgoingEmailQuerySet":
        """Waiting messages a mailer may take now, the most urgent first.

        A message being sent whose lease ran out is due again: its mailer died.
        """
        return (
            self.waiting()
            .filter(due_at__lte=now or timezone.now())
            .order_by("priority", "due_at")
        )


class OutgoingEmail(models.Model):
    """An email the site owes someone, from queued to sent or failed.

    Emails about a signature carry no address or text: they are written at the
    moment they are sent, from the signature as it is then, so a withdrawn, erased,
    rejected or quarantined signature gets nothing. Every other email is written
    when it is queued; its address and text are erased once it is sent.
    """

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirmation link")
        ALREADY_SIGNED = "already_signed", _("Already signed")
        DATA_ACCESS = "data_access", _("Link to a signer's data")
        VOLUNTEER = "volunteer", _("Volunteer confirmation")
        TYPO_REPORT = "typo_report", _("Typo report to editors")
        UPDATE = "update", _("Update to a signer")
        RECEIPT = "receipt", _("Signer's receipt")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Being sent")
        RETRYING = "retrying", _("Waiting to retry")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("No longer needed")
        HELD = "held", _("Held (its update is paused)")

    class Priority(models.IntegerChoices):
        # A confirmation link is what a signer waits for with the page open.
        URGENT = 0, _("Urgent")
        NORMAL = 1, _("Normal")
        # An update to a million signers must never hold up a confirmation link.
        BULK = 2, _("Bulk")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.QUEUED
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority, default=Priority.NORMAL
    )
    signature = models.ForeignKey(
        Signature,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("signature"),
        db_index=False,  # Indexed by one_email_per_update_and_signature.
    )
    organization_signature = models.ForeignKey(
        OrganizationSignature,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("organization co-signature"),
        db_index=False,  # Indexed by one_email_per_update_and_cosignature.
    )
    update = models.ForeignKey(
        Update,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
        verbose_name=_("update"),
        # The unique constraints below index it, for the few emails that have one.
        db_index=False,
    )
    language = models.CharField(_("language"), max_length=10)
    to = models.EmailField(
        _("to"),
        max_length=254,
        blank=True,
        help_text=_("Empty for emails about a signature, and once sent."),
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    due_at = models.DateTimeField(
        _("due at"),
        default=timezone.now,
        help_text=_(
            "When a mailer may take it: now for a queued email, the next attempt "
            "for one waiting to retry, the end of its mailer's lease for one being "
            "sent (should that mailer die, another takes it then)."
        ),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(
        _("mailer"), max_length=100, blank=True, help_text=_("Which mailer took it.")
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(
        _("mail server's answer"),
        max_length=500,
        blank=True,
        help_text=_("Why the last attempt failed, as the mail server put it."),
    )

    objects = OutgoingEmailQuerySet.as_manager()

    WAITING = [State.QUEUED, State.SENDING, State.RETRYING]

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        constraints = [
            models.CheckConstraint(
                condition=Q(signature__isnull=True)
                | Q(organization_signature__isnull=True),
                name="outgoing_email_about_one_signature",
            ),
            # Each signer gets an update once, however often its fan-out runs
            # (emails of no update never clash: NULLs are distinct). The same
            # index finds a signature's emails: one index fewer to write for each
            # of the million emails of an update (README, "Performance").
            models.UniqueConstraint(
                fields=["signature", "update"],
                condition=Q(signature__isnull=False),
                name="one_email_per_update_and_signature",
            ),
            models.UniqueConstraint(
                fields=["organization_signature", "update"],
                condition=Q(organization_signature__isnull=False),
                name="one_email_per_update_and_cosignature",
            ),
        ]
        indexes = [
            # What a mailer looks for, several times a second: a small index that
            # holds only the waiting messages.
            models.Index(
                fields=["priority", "due_at"],
                condition=Q(state__in=["queued", "sending", "retrying"]),
                name="outgoing_email_due",
            ),
            # Sent, failed, gone: what staff count and the purge deletes. An update
            # queues a million rows at once, each one index entry fewer without
            # the waiting ones here (README, "Performance").
            models.Index(
                fields=["state", "-sent_at"],
                condition=Q(state__in=["sent", "failed", "cancelled"]),
                name="outgoing_email_done",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def about(self) -> Signature | OrganizationSignature | None:
        """The signature this email is about, if any."""
        return self.signature or self.organization_signature
