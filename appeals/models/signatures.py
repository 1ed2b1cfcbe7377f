from contextlib import suppress
from datetime import datetime

from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from appeals.models.appeals import HASHED_ADDRESS_PREFIX, Appeal, site_language
from appeals.models.inserts import insert_row

# Bump when the privacy notice changes; each consent records the version it was
# given under.
PRIVACY_NOTICE_VERSION = "2026-11-28"


def normalize_email(address: str) -> str:
    """Return the form of an address used to tell whether two emails are one person.

    Trimmed, lower-cased, and with an internationalized domain in its ASCII
    (IDNA) form, so that "Ann@Example.org " and "ann@example.org" are one signer.
    """
    local, _at, domain = address.strip().rpartition("@")
    domain = domain.lower()
    # An invalid IDN keeps its lower-cased text, which is still unique per signer.
    with suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local.lower()}@{domain}" if local else address.strip().lower()


class AbstractSignature(models.Model):
    """What a person's and an organization's signature share: double opt-in."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REJECTED = "rejected", _("Rejected")
        QUARANTINED = "quarantined", _("Quarantined (suspected spam)")

    class EmailDue(models.TextChoices):
        NOTHING = "", _("Nothing")
        # A new submission: its confirmation link, once the mailer has counted it
        # against the rate limits.
        UNSCREENED = "unscreened", _("Confirmation link, once screened")
        CONFIRM = "confirm", _("Confirmation link")
        ALREADY_SIGNED = "already_signed", _("Already signed")

    email = models.EmailField(_("email"), max_length=254)
    email_normalized = models.CharField(
        _("normalized email"),
        max_length=254,
        editable=False,
        help_text=_(
            "Lower-cased and trimmed; one signature per address per appeal. On a "
            "high-risk appeal, a keyed code of the address instead."
        ),
    )
    country = CountryField(_("country"), blank_label=_("Choose a country"))
    wants_updates = models.BooleanField(
        _("updates about this appeal"),
        default=False,
        help_text=_(
            "Asked for updates about this appeal by email; unticked by unsubscribing."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.PENDING
    )
    quarantine_reason = models.CharField(
        _("why quarantined"),
        max_length=200,
        blank=True,
        help_text=_(
            "Set when the signature looked automated or came too fast; it is not "
            "counted and its signer got no email until a moderator releases it."
        ),
    )
    ip_hash = models.CharField(
        _("client fingerprint"),
        max_length=64,
        blank=True,
        help_text=_(
            "A keyed hash of the IP address, comparable for a few days, never "
            "reversible; the address itself is never stored."
        ),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        default=site_language,
        help_text=_(
            "The language its emails are written in: that of the version the "
            "signer read, else the interface language they signed in."
        ),
    )
    privacy_notice_version = models.CharField(
        _("privacy notice version"),
        max_length=20,
        default=PRIVACY_NOTICE_VERSION,
        editable=False,
        help_text=_("The privacy notice the signer agreed to when signing."),
    )
    created_at = models.DateTimeField(_("signed at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # At most a few emails per address, appeal and day; see services.
    emails_sent_on = models.DateField(null=True, blank=True, editable=False)
    emails_sent_count = models.PositiveSmallIntegerField(default=0, editable=False)
    # The email this row still owes its address, until the mailer queues it: a
    # sign request writes nothing but this row (see appeals.mail.intake).
    email_due = models.CharField(
        max_length=20, choices=EmailDue, blank=True, editable=False
    )
    # Which form time the submission used (a digest): screening counts how often
    # one client uses one (see antispam.SpamTrapMixin.form_token).
    form_token = models.CharField(max_length=16, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._derive_fields()
        super().save(*args, **kwargs)

    @property
    def has_hashed_address(self) -> bool:
        """Whether the row keeps a keyed code of its address (high-risk mode)."""
        return self.email_normalized.startswith(HASHED_ADDRESS_PREFIX)

    @property
    def mailbox_address(self) -> str:
        """The normalized address as the rate limits count it (never a code)."""
        if self.has_hashed_address:
            return normalize_email(self.email) if self.email else ""
        return self.email_normalized

    @property
    def appeal_read(self) -> Appeal:
        """The language version the signer read: the one they signed, if any."""
        return getattr(self, "appeal_version", None) or self.appeal

    def insert(self) -> None:
        """Save this new signature with one INSERT prepared once: signing's path."""
        self._derive_fields()
        insert_row(self)

    def _derive_fields(self) -> None:
        """Set what is stored for lookups from what the signer gave."""
        self._normalize_email()

    def _normalize_email(self) -> None:
        # A row without its address keeps what it stores (the keyed code of a
        # high-risk signature); erasing it is the ERASED_VALUES' business.
        if self.email:
            self.email_normalized = self.appeal.stored_address(
                normalize_email(self.email)
            )


def _made_with(email_normalized: str) -> Q:
    """Signatures made with an address: stored as it is, or as the keyed code of
    each high-risk appeal whose key still exists."""
    keyed = Appeal.objects.filter(is_high_risk=True).exclude(high_risk_key="")
    return Q(
        email_normalized__in=[
            email_normalized,
            *(appeal.stored_address(email_normalized) for appeal in keyed),
        ]
    )


def _subscribed() -> Q:
    """Confirmed signers who asked for updates and whose address is kept: whom an
    update goes to (appeals.mail.fanout queues the same rows in one INSERT … SELECT)."""
    return Q(status=AbstractSignature.Status.CONFIRMED, wants_updates=True) & ~Q(
        email=""
    )


class SignatureQuerySet(models.QuerySet):
    def confirmed(self) -> "SignatureQuerySet":
        return self.filter(status=Signature.Status.CONFIRMED)

    def awaiting_moderation(self) -> "SignatureQuerySet":
        """Signatures whose comment no moderator has approved or hidden yet."""
        return self.filter(comment_status=Signature.CommentStatus.PENDING)

    def quarantined(self) -> "SignatureQuerySet":
        return self.filter(status=Signature.Status.QUARANTINED)

    def per_hour(self, *, since: datetime) -> "models.QuerySet[dict]":
        """Signatures made since then, counted per appeal and hour of the current
        time zone, the quarantined ones apart: one grouped query for all appeals."""
        return (
            self.filter(created_at__gte=since)
            .annotate(hour=TruncHour("created_at"))
            .values("appeal_id", "hour")
            .annotate(
                count=Count("pk"),
                quarantined=Count("pk", filter=Q(status=Signature.Status.QUARANTINED)),
            )
            .order_by()
        )

    def made_with(self, email_normalized: str) -> "SignatureQuerySet":
        """Signatures made with this (normalized) address, high-risk ones included."""
        return self.filter(_made_with(email_normalized))

    def subscribed(self) -> "SignatureQuerySet":
        """Signatures whose signers get updates about the appeal."""
        return self.filter(_subscribed())

    def public(self) -> "SignatureQuerySet":
        """Signatures whose signers chose to have their name shown."""
        return self.filter(visibility=Signature.Visibility.PUBLIC)

    def rejectable(self) -> "SignatureQuerySet":
        """Signatures a moderator may still reject (not rejected nor withdrawn)."""
        return self.exclude(
            status__in=[Signature.Status.REJECTED, Signature.Status.WITHDRAWN]
        )

    def matching(
        self,
        *,
        appeal=None,
        email_domain: str = "",
        signed_after: datetime | None = None,
        signed_before: datetime | None = None,
        ip_hash: str = "",
        name_contains: str = "",
    ) -> "SignatureQuerySet":
        """Signatures that match every criterion given (a spam wave's traces)."""
        signatures = self
        if appeal:
            signatures = signatures.filter(appeal=appeal)
        if email_domain:
            address = normalize_email(f"x@{email_domain.lstrip('@')}")
            domain = address.partition("@")[2]
            # A high-risk signature's address is a code: its domain shows while
            # the address itself is kept (until confirmed).
            signatures = signatures.filter(
                Q(email_normalized__endswith=f"@{domain}")
                | (
                    Q(email_normalized__startswith=HASHED_ADDRESS_PREFIX)
                    & Q(email__iendswith=f"@{domain}")
                )
            )
        if signed_after:
            signatures = signatures.filter(created_at__gte=signed_after)
        if signed_before:
            signatures = signatures.filter(created_at__lt=signed_before)
        if ip_hash:
            signatures = signatures.filter(ip_hash=ip_hash.strip())
        if name_contains:
            signatures = signatures.filter(full_name__icontains=name_contains)
        return signatures


class Signature(AbstractSignature):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Show my name and city on the list of signatories")
        COUNTED = "counted", _("Count my signature but do not show my name")

    class CommentStatus(models.TextChoices):
        # Only a comment awaits moderation: a signature without one has nothing
        # to approve and stays out of the moderators' queue.
        NONE = "none", _("No comment")
        PENDING = "pending", _("Awaiting moderation")
        APPROVED = "approved", _("Approved")
        HIDDEN = "hidden", _("Hidden")

    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("appeal"),
        db_index=False,  # The (appeal, status) index below serves every lookup.
    )
    appeal_version = models.ForeignKey(
        Appeal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # Never searched by; one index less on the hot table.
        verbose_name=_("language version seen"),
        help_text=_("The version of the appeal (original or translation) signed."),
    )
    full_name = models.CharField(_("full name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, blank=True)
    affiliation = models.CharField(
        _("affiliation or occupation"), max_length=200, blank=True
    )
    comment = models.TextField(_("why I sign"), max_length=1000, blank=True)
    comment_status = models.CharField(
        _("comment status"),
        max_length=10,
        choices=CommentStatus,
        default=CommentStatus.NONE,
        help_text=_("Only approved comments are ever shown publicly."),
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility, default=Visibility.PUBLIC
    )
    has_newsletter_consent = models.BooleanField(_("newsletter consent"), default=False)

    objects = SignatureQuerySet.as_manager()

    # What withdrawal erases; country and dates stay for the count's history.
    ERASED_VALUES = {
        "full_name": "",
        "email": "",
        "city": "",
        "affiliation": "",
        "comment": "",
        "comment_status": CommentStatus.NONE,
        "has_newsletter_consent": False,
        "email_due": "",
    }

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            # Erased (withdrawn) signatures have no address left to be unique.
            # Address first: the same index finds an address's signatures on every
            # appeal ("my data", the admin's search), one index less to write.
            models.UniqueConstraint(
                fields=["email_normalized", "appeal"],
                condition=~Q(email_normalized=""),
                name="unique_signature_per_email_per_appeal",
            ),
        ]
        permissions = [
            ("view_signer_email", _("Can view signer emails")),
            ("export_signatures", _("Can export signatures for delivery")),
            ("export_signer_emails", _("Can export signer emails")),
        ]
        indexes = [
            models.Index(fields=["appeal", "status"]),
            # The public list, newest first, read by keyset pagination.
            models.Index(
                fields=["appeal", "-id"],
                condition=Q(status="confirmed", visibility="public"),
                name="signature_public_list",
            ),
            models.Index(
                fields=["id"], condition=~Q(email_due=""), name="signature_email_due"
            ),
            # What the admin home counts and moderators open: a few rows each, so
            # small indexes that a sign request rarely writes to.
            models.Index(
                fields=["id"],
                condition=Q(comment_status="pending"),
                name="signature_comment_pending",
            ),
            models.Index(
                fields=["id"],
                condition=Q(status="quarantined"),
                name="signature_quarantined",
            ),
        ]

    def __str__(self):
        return self.full_name or str(_("(erased)"))

    def _derive_fields(self) -> None:
        super()._derive_fields()
        if not self.comment:
            self.comment_status = self.CommentStatus.NONE
        elif self.comment_status == self.CommentStatus.NONE:
            self.comment_status = self.CommentStatus.PENDING

    @property
    def is_anonymized(self) -> bool:
        """Erased by retention: nothing is left to withdraw but the count."""
        return self.status != self.Status.WITHDRAWN and not self.full_name

    @property
    def public_comment(self) -> str:
        """The comment as the public may see it: only once a moderator approved it."""
        if self.comment_status == self.CommentStatus.APPROVED:
            return self.comment
        return ""


class OrganizationSignatureQuerySet(models.QuerySet):
    def made_with(self, email_normalized: str) -> "OrganizationSignatureQuerySet":
        """Co-signatures made with this (normalized) address, high-risk ones too."""
        return self.filter(_made_with(email_normalized))

    def subscribed(self) -> "OrganizationSignatureQuerySet":
        """Co-signatures whose contacts get updates about the appeal."""
        return self.filter(_subscribed())

    def awaiting_approval(self) -> "OrganizationSignatureQuerySet":
        """Co-signatures confirmed by email that no one has approved yet."""
        return self.filter(
            status=OrganizationSignature.Status.CONFIRMED, is_approved=False
        )

    def public(self) -> "OrganizationSignatureQuerySet":
        """Co-signatures confirmed by email and approved by staff."""
        return self.filter(
            status=OrganizationSignature.Status.CONFIRMED, is_approved=True
        )


class OrganizationSignature(AbstractSignature):
    """An organization co-signing an appeal; public once confirmed and approved."""

    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.PROTECT,
        related_name="organization_signatures",
        verbose_name=_("appeal"),
    )
    organization_name = models.CharField(_("organization name"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200)
    statement = models.TextField(_("statement"), max_length=1000, blank=True)
    is_approved = models.BooleanField(
        _("approved"),
        default=False,
        help_text=_("Shown publicly only when confirmed by email and approved."),
    )

    objects = OrganizationSignatureQuerySet.as_manager()

    # What withdrawal erases: the contact person's data. The organization's own
    # name stays for the record, but is never shown once withdrawn.
    ERASED_VALUES = {"contact_name": "", "email": "", "statement": "", "email_due": ""}

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("organization co-signature")
        verbose_name_plural = _("organization co-signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "email_normalized"],
                condition=~Q(email_normalized=""),
                name="unique_organization_signature_per_email_per_appeal",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=~Q(email_due=""), name="cosignature_email_due"
            ),
        ]

    def __str__(self):
        return self.organization_name

    @property
    def is_anonymized(self) -> bool:
        """Erased by retention: nothing is left to withdraw."""
        return self.status != self.Status.WITHDRAWN and not self.contact_name


class SignatureCountDelta(models.Model):
    """A change to an appeal's confirmed count, not yet folded into the appeal row.

    Confirming or withdrawing appends a row here in the same transaction as the
    status change, instead of updating the appeal's row: signers never wait on one
    hot row. A periodic task folds these into Appeal.signature_count.
    """

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="count_deltas"
    )
    delta = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("signature count change")
        verbose_name_plural = _("signature count changes")

    def __str__(self):
        return f"{self.appeal_id}: {self.delta:+d}"
