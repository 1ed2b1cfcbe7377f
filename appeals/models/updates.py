"""Updates: what happened after the signatures, told to the signers who asked.

An update is written on an appeal (its original language version), optionally
with its text for each translation, and sent by email to every confirmed signer
who ticked "Email me updates about this appeal", each in the version they read.
Once sent it also appears on the appeal's page, in its feed and its JSON.
"""

from functools import cached_property
from html import unescape

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from appeals.links import absolute_url, shared_url
from appeals.models.appeals import Appeal
from appeals.models.delivery import SUMMARY_LENGTH, DeliveryEvent
from appeals.rendering import render_markdown


class UpdateQuerySet(models.QuerySet):
    def public(self) -> "UpdateQuerySet":
        """Updates readers may see: those that went out (or are going out). A
        cancelled one is taken off the site: staff cancel an update sent by
        mistake."""
        return self.filter(
            published_at__isnull=False, published_at__lte=timezone.now()
        ).exclude(state=Update.State.CANCELLED)


class Update(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.PROTECT,
        related_name="updates",
        limit_choices_to={"translation_of__isnull": True},
        verbose_name=_("appeal"),
    )
    delivery_event = models.ForeignKey(
        DeliveryEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="updates",
        verbose_name=_("about the delivery event"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Markdown, as in the appeal. Signers get it as plain text by email; "
            "the page shows it formatted."
        ),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.DRAFT
    )
    send_at = models.DateTimeField(
        _("send at"),
        null=True,
        blank=True,
        help_text=_("For a scheduled update: when it goes out by itself."),
    )
    published_at = models.DateTimeField(
        _("published"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When it started going out; from then on it is public."),
    )
    finished_at = models.DateTimeField(
        _("all queued at"), null=True, blank=True, editable=False
    )
    recipient_count = models.PositiveIntegerField(
        _("recipients"), null=True, blank=True, editable=False
    )
    # How far the fan-out has come (signature ids up to this one are queued): a
    # worker killed while queueing carries on from here.
    queued_up_to = models.BigIntegerField(default=0, editable=False)
    # The newest signature when it started going out: signers after it read the
    # update on the page (a fan-out must not chase a wave of new signatures).
    last_signature_id = models.BigIntegerField(null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("written by"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        indexes = [
            models.Index(
                fields=["state", "send_at"],
                condition=Q(state="scheduled"),
                name="update_scheduled",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "appeals:update", kwargs={"slug": self.appeal.slug, "pk": self.pk}
        )

    @property
    def canonical_url(self) -> str:
        return absolute_url(self.get_absolute_url())

    @property
    def shared_url(self) -> str:
        return shared_url(self.get_absolute_url())

    @property
    def is_editable(self) -> bool:
        """Whether it has not started going out: staff may still change and send it."""
        return self.state in (self.State.DRAFT, self.State.SCHEDULED)

    def text_for(self, appeal_version: Appeal | None) -> "UpdateText":
        """The title and text for signers of a language version (the original's
        if that version has none)."""
        if appeal_version is not None and appeal_version.pk != self.appeal_id:
            for version in self.versions.all():
                if version.appeal_version_id == appeal_version.pk:
                    version.appeal_version = appeal_version  # No query for its URL.
                    return version
        return UpdateText(
            update=self, appeal_version=self.appeal, title=self.title, body=self.body
        )


class UpdateText(models.Model):
    """An update's title and text for the signers of one translation of its appeal."""

    update = models.ForeignKey(
        Update, on_delete=models.CASCADE, related_name="versions"
    )
    appeal_version = models.ForeignKey(
        Appeal,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"translation_of__isnull": False},
        verbose_name=_("language version"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown, as in the appeal."))

    class Meta:
        verbose_name = _("text in another language version")
        verbose_name_plural = _("texts in other language versions")
        constraints = [
            models.UniqueConstraint(
                fields=["update", "appeal_version"], name="one_text_per_version"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        """The update's page in this text's language version."""
        return reverse(
            "appeals:update",
            kwargs={"slug": self.appeal_version.slug, "pk": self.update_id},
        )

    @property
    def canonical_url(self) -> str:
        return absolute_url(self.get_absolute_url())

    @property
    def shared_url(self) -> str:
        return shared_url(self.get_absolute_url())

    @cached_property
    def body_html(self) -> str:
        return render_markdown(self.body)

    @property
    def summary(self) -> str:
        """The text's beginning as plain text, for share previews."""
        text = " ".join(unescape(strip_tags(self.body_html)).split())
        return Truncator(text).chars(SUMMARY_LENGTH)
