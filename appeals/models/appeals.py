import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Prefetch, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from appeals.links import absolute_url, shared_url
from appeals.models.site import SiteSettings
from appeals.rendering import render_markdown

if TYPE_CHECKING:
    from appeals.models.delivery import ResponseClock

CONFIRMATION_GRACE_AFTER_CLOSING = timedelta(hours=24)

# What starts a signature's stored address when it is a keyed hash, not the address
# (high-risk mode, see appeals.services.highrisk).
HASHED_ADDRESS_PREFIX = "hmac-sha256:"


class SigningState(StrEnum):
    """Whether an appeal may be signed now (Appeal.signing_state)."""

    OPEN = "open"
    CLOSED = "closed"  # By staff or by its deadline, or not published yet.
    PAUSED = "paused"  # By staff, on this appeal or on the whole site.


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(
        _("short name"),
        max_length=50,
        blank=True,
        help_text=_("Abbreviation used where space is short, e.g. “NRW”."),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    country = CountryField(_("country"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="organizations/", blank=True)
    is_verified = models.BooleanField(
        _("verified"),
        default=False,
        help_text=_("Tick once staff have confirmed that this organization is real."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return self.name


def site_language() -> str:
    """The site's default language when a row is made (INTERFACE_LANGUAGES' first).

    A function, not the value: each site chooses its own, and its migrations stay
    the same whatever it chose.
    """
    return settings.LANGUAGE_CODE


def _open_now() -> Q:
    """Published and not past its closing time (what Appeal.is_open says of one)."""
    return Q(status=Appeal.Status.PUBLISHED) & (
        Q(closes_at__isnull=True) | Q(closes_at__gt=timezone.now())
    )


class AppealQuerySet(models.QuerySet):
    def published(self) -> "AppealQuerySet":
        """Appeals the public may see: past the draft stage and past their start."""
        return self.exclude(status=Appeal.Status.DRAFT).filter(
            published_at__lte=timezone.now()
        )

    def open(self) -> "AppealQuerySet":
        """Published appeals that still accept signatures."""
        return self.published().filter(_open_now())

    def open_first(self) -> "AppealQuerySet":
        """Order open appeals before closed ones, newest first within each group."""
        return self.alias(
            open_rank=Case(When(_open_now(), then=Value(0)), default=Value(1))
        ).order_by("open_rank", "-published_at", "-pk")

    def at_address(self, slug: str) -> "Appeal | None":
        """The appeal (or translation) at this address, with its original; or None."""
        return self.select_related("translation_of").filter(slug=slug).first()

    def originals(self) -> "AppealQuerySet":
        """Appeals that are not translations of another."""
        return self.filter(translation_of__isnull=True)

    def awaiting_reply(self) -> "AppealQuerySet":
        """Appeals delivered and not answered since, with their `delivered_on`
        (what Appeal.response_clock says of one)."""
        from appeals.models.delivery import awaiting_reply  # It builds on this module.

        annotations, waiting = awaiting_reply()
        return self.annotate(**annotations).filter(waiting)

    def with_authors(self) -> "AppealQuerySet":
        """Fetch the authoring organizations, in order, in one extra query."""
        return self.prefetch_related(
            Prefetch(
                "authorships",
                queryset=Authorship.objects.select_related("organization"),
            )
        )


class Appeal(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        help_text=_("The last part of the public address: /appeals/&lt;slug&gt;/."),
    )
    addressee = models.CharField(
        _("addressee"),
        max_length=300,
        help_text=_("Whom the letter is written to, e.g. “the Government of …”."),
    )
    summary = models.TextField(
        _("summary"),
        max_length=500,
        help_text=_(
            "A short lede in plain text, shown in listings and when the page is shared."
        ),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "The letter itself, in Markdown. HTML beyond simple formatting and "
            "links is removed."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.APPEAL_LANGUAGES,
        default=site_language,
    )
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="translations",
        limit_choices_to={"translation_of__isnull": True},
        verbose_name=_("translation of"),
        help_text=_(
            "For a translation: the original appeal. All language versions share "
            "the original's signatures, count, deadline and status."
        ),
    )
    authors = models.ManyToManyField(
        Organization,
        through="Authorship",
        related_name="authored_appeals",
        verbose_name=_("authoring organizations"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_("A time in the future schedules publication."),
    )
    closes_at = models.DateTimeField(
        _("closes at"),
        null=True,
        blank=True,
        help_text=_("Optional deadline after which signing stops."),
    )
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When staff closed the appeal."),
    )
    signature_goal = models.PositiveIntegerField(
        _("signature goal"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    share_image = models.ImageField(
        _("share image"),
        upload_to="appeals/share/",
        blank=True,
        help_text=_(
            "Shown when the page is shared on social networks; 1200×630 works best."
        ),
    )
    is_signing_paused = models.BooleanField(
        _("signing paused"),
        default=False,
        help_text=_(
            "Pause signing during an attack: the form then says signing is paused."
        ),
    )
    is_high_risk = models.BooleanField(
        _("high-risk mode"),
        default=False,
        help_text=_(
            "Turn on when the addressee may go after the people who sign (arrests, "
            "searches, lists of names): the site then deletes each signer's email "
            "address once the signature is confirmed, keeping only a keyed code "
            "that recognizes a second signature; the key is destroyed after the "
            "appeal closes. Names are hidden unless a signer asks, comments are "
            "off, and there is no export with emails. It cannot be turned off "
            "once people have signed under it. Set it on the original: "
            "translations follow."
        ),
    )
    has_comments_in_high_risk_mode = models.BooleanField(
        _("comments in high-risk mode"),
        default=False,
        help_text=_(
            "High-risk mode leaves the comment field off the sign form: a comment "
            "can give its writer away. Tick to ask for comments all the same."
        ),
    )
    high_risk_key = models.CharField(
        _("high-risk key"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_(
            "The secret of this appeal's keyed codes of addresses; destroyed after "
            "the appeal closes (see README, “When to turn on high-risk mode”)."
        ),
    )
    high_risk_key_destroyed_at = models.DateTimeField(
        _("high-risk key destroyed at"), null=True, blank=True, editable=False
    )
    signature_count = models.PositiveIntegerField(
        _("confirmed signatures"),
        default=0,
        editable=False,
        help_text=_("Kept up to date from the signatures themselves."),
    )
    count_updated_at = models.DateTimeField(
        _("count updated"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="appeal_published_has_date",
                violation_error_message=_("A published appeal needs a date."),
            ),
        ]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # An appeal in high-risk mode has a key to hash addresses with: a new one
        # when the mode is turned on, or once it is open again after the old one
        # was destroyed.
        needs_key = self.high_risk_key_destroyed_at is None or self.is_open
        if self.is_high_risk and not self.high_risk_key and needs_key:
            self.high_risk_key = secrets.token_hex(32)
            self.high_risk_key_destroyed_at = None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    "high_risk_key",
                    "high_risk_key_destroyed_at",
                }
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("appeals:detail", kwargs={"slug": self.slug})

    @property
    def canonical_url(self) -> str:
        """This page's address in the interface language in use."""
        return absolute_url(self.get_absolute_url())

    @property
    def shared_url(self) -> str:
        """The address to share and cite: each reader gets their own language."""
        return shared_url(self.get_absolute_url())

    @property
    def last_changed_at(self) -> datetime:
        """The last change to the appeal or to its count."""
        return max(filter(None, [self.updated_at, self.count_updated_at]))

    @property
    def is_public(self) -> bool:
        return (
            self.status != self.Status.DRAFT
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_open(self) -> bool:
        """Whether the appeal accepts signatures right now."""
        return (
            self.is_public
            and self.status == self.Status.PUBLISHED
            and (self.closes_at is None or self.closes_at > timezone.now())
        )

    @property
    def signing_state(self) -> SigningState:
        """Whether this appeal may be signed now: the sign view and the signing
        service both ask here."""
        if not self.is_open:
            return SigningState.CLOSED
        if self.is_signing_paused or SiteSettings.current().is_signing_paused:
            return SigningState.PAUSED
        return SigningState.OPEN

    @property
    def days_left(self) -> int | None:
        """Whole days until the deadline, counting today's part as one; None
        without a deadline or past it."""
        if self.closes_at is None or self.closes_at <= timezone.now():
            return None
        return math.ceil((self.closes_at - timezone.now()) / timedelta(days=1))

    @property
    def signing_closed_at(self) -> datetime | None:
        """When signing stopped (by staff or by the deadline); None while open.

        Closing an appeal whose deadline has passed does not stop signing again:
        it stopped at the deadline, and the grace for confirmations runs from there.
        """
        ends = []
        if self.status in (self.Status.CLOSED, self.Status.ARCHIVED):
            ends.append(self.closed_at or self.updated_at)
        if self.closes_at is not None and self.closes_at <= timezone.now():
            ends.append(self.closes_at)
        return min(ends, default=None)

    @property
    def accepts_confirmations(self) -> bool:
        """Whether pending signatures may still be confirmed.

        Signers get a grace period after closing: the email may arrive late.
        """
        if self.is_open:
            return True
        closed_at = self.signing_closed_at
        return (
            self.is_public
            and closed_at is not None
            and timezone.now() < closed_at + CONFIRMATION_GRACE_AFTER_CLOSING
        )

    @property
    def high_risk_key_ends_at(self) -> datetime | None:
        """When the daily job destroys the high-risk key: HIGH_RISK_KEY_GRACE_DAYS
        after signing stops (by its deadline, if it has one and is still open)."""
        ends = self.signing_closed_at or self.closes_at
        if ends is None:
            return None
        return ends + timedelta(days=settings.HIGH_RISK_KEY_GRACE_DAYS)

    @property
    def accepts_comments(self) -> bool:
        """Whether the sign form asks for a comment (high-risk mode: only if staff
        said so)."""
        return not self.is_high_risk or self.has_comments_in_high_risk_mode

    def stored_address(self, email_normalized: str) -> str:
        """What a signature of this appeal stores to tell one address from another.

        The normalized address itself; in high-risk mode, its HMAC-SHA256 under
        this appeal's key instead, which recognizes the same address signing
        again and, once the key is destroyed, links to no address at all.
        """
        if not self.is_high_risk:
            return email_normalized
        if not self.high_risk_key:
            raise ValueError(f"Appeal {self.pk}: its high-risk key was destroyed.")
        digest = hmac.new(
            bytes.fromhex(self.high_risk_key),
            email_normalized.encode(),
            hashlib.sha256,
        ).hexdigest()
        return f"{HASHED_ADDRESS_PREFIX}{digest}"

    def current_signature_count(self) -> int:
        """Return the exact count now, including changes not yet folded in."""
        pending = self.count_deltas.aggregate(total=Sum("delta"))["total"] or 0
        return self.signature_count + pending

    @property
    def original(self) -> "Appeal":
        """The appeal whose signatures this version collects (itself if original)."""
        return self.translation_of or self

    def language_versions(self) -> list["Appeal"]:
        """Every public version of this appeal (original and translations)."""
        original = self.original
        if hasattr(original, "public_translations"):  # Prefetched for lists.
            translations = original.public_translations
        else:
            translations = list(original.translations.published())
        versions = [original, *translations] if original.is_public else translations
        return sorted(versions, key=lambda version: version.language)

    def other_language_versions(self) -> list["Appeal"]:
        return [v for v in self.language_versions() if v.pk != self.pk]

    @cached_property
    def ordered_authors(self) -> list[Organization]:
        """The issuing organizations, in order; a translation names the original's."""
        authorships = self.original.authorships.all()
        return [authorship.organization for authorship in authorships]

    @cached_property
    def response_clock(self) -> "ResponseClock | None":
        """Where the appeal stands with its addressee; None until it is delivered.

        From the original's delivery events: prefetch them for a list.
        """
        from appeals.models.delivery import ResponseClock  # It builds on this module.

        return ResponseClock.of(self.original.delivery_events.all())

    @property
    def progress_percent(self) -> int | None:
        if not self.signature_goal:
            return None
        return min(100, self.signature_count * 100 // self.signature_goal)

    @cached_property
    def body_html(self) -> str:
        return render_markdown(self.body)


class Authorship(models.Model):
    """An organization that issued an appeal, in the order the letter names them."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="authorships"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="authorships",
        verbose_name=_("organization"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("authoring organization")
        verbose_name_plural = _("authoring organizations")
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "organization"], name="unique_author_per_appeal"
            ),
        ]

    def __str__(self):
        return str(self.organization)


class AppealSlug(models.Model):
    """An address an appeal had before staff renamed it: it redirects for good."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="old_slugs"
    )
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("former address")
        verbose_name_plural = _("former addresses")

    def __str__(self):
        return self.slug
