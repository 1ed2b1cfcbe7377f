from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class TypoReport(models.Model):
    """A mistake a reader pointed out by selecting text and pressing Ctrl+Enter."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        FIXED = "fixed", _("Fixed")
        DISMISSED = "dismissed", _("Dismissed")

    page_url = models.CharField(_("page"), max_length=500)
    selected_text = models.CharField(_("selected text"), max_length=500)
    context = models.TextField(
        _("surrounding text"),
        max_length=1500,
        blank=True,
        help_text=_("The sentence the selection was taken from."),
    )
    comment = models.TextField(_("reader's comment"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.NEW
    )
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("typo report")
        verbose_name_plural = _("typo reports")
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self):
        return self.selected_text[:60]


class JoinBlock(models.Model):
    """One block of the "Join us" page, written by staff, per language."""

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Support us")
        VOLUNTEER = "volunteer", _("Become a volunteer")
        TRAINING = "training", _("Complete training")

    kind = models.CharField(_("block"), max_length=20, choices=Kind)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.APPEAL_LANGUAGES
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(
        _("text"), help_text=_("Plain text; blank lines make paragraphs.")
    )
    link_url = models.URLField(
        _("link"),
        blank=True,
        help_text=_("e.g. the donation page or the training course."),
    )
    link_label = models.CharField(_("link text"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("“Join us” block")
        verbose_name_plural = _("“Join us” blocks")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"], name="one_join_block_per_kind_and_language"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class VolunteerApplication(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")

    class Help(models.TextChoices):
        TRANSLATION = "translation", _("Translation")
        LEGAL = "legal", _("Legal")
        IT = "it", _("IT")
        RESEARCH = "research", _("Research")
        OUTREACH = "outreach", _("Outreach")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), blank_label=_("Choose a country"))
    ways_to_help = models.JSONField(_("ways to help"), default=list)
    languages = models.CharField(_("languages spoken"), max_length=200, blank=True)
    message = models.TextField(_("message"), max_length=2000, blank=True)
    has_contact_consent = models.BooleanField(_("agreed to be contacted"))
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.NEW
    )
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("volunteer application")
        verbose_name_plural = _("volunteer applications")

    def __str__(self):
        return self.name

    @property
    def ways_to_help_display(self) -> str:
        labels = dict(self.Help.choices)
        return ", ".join(str(labels.get(way, way)) for way in self.ways_to_help)
