"""Moderation: signatures, comments and organization co-signatures.

Signer emails are shown and searchable only with the permission "Can view signer
emails"; only superusers can delete (everyone else rejects, which keeps a record).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ShowFacets
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy
from django_countries import countries

from appeals import services
from appeals.admin.mail import OutgoingEmailInline
from appeals.models import (
    Appeal,
    ExportLog,
    OrganizationSignature,
    Signature,
    normalize_email,
)
from appealsite.admin_actions import bulk_action

VIEW_EMAIL_PERMISSION = "appeals.view_signer_email"


class HasCommentFilter(admin.SimpleListFilter):
    title = _("comment")
    parameter_name = "has_comment"

    def lookups(self, request, model_admin):
        return [("yes", _("With a comment")), ("no", _("Without a comment"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(comment="")
        if self.value() == "no":
            return queryset.filter(comment="")
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """Countries as one drop-down list with a button: a list of links to all of
    them would make the page several screens long."""

    title = _("country")
    parameter_name = "country__exact"
    template = "admin/appeals/select_filter.html"

    def lookups(self, request, model_admin):
        return list(countries)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(country=self.value())
        return queryset

    def choices(self, changelist):
        # The other filters, the search and the order the list has, kept as
        # the form's hidden fields.
        self.kept_params = [
            (name, value)
            for name, value in changelist.params.items()
            if name != self.parameter_name
        ]
        for code, name in self.lookup_choices:
            yield {"value": code, "display": name, "selected": self.value() == code}


class AppealFilter(admin.RelatedFieldListFilter):
    """Appeals, not their translations: a signature belongs to the original."""

    def field_choices(self, field, request, model_admin):
        return [
            (appeal.pk, str(appeal))
            for appeal in Appeal.objects.originals().order_by("-published_at")
        ]


class SignerDataAdmin(admin.ModelAdmin):
    """What both signature admins share: read-only data, emails behind a permission."""

    email_fields = ["email"]
    ordering = ["-pk"]
    show_full_result_count = False
    # Counting every filter's choices would read the whole table on each page.
    show_facets = ShowFacets.NEVER
    list_per_page = 50
    inlines = [OutgoingEmailInline]

    def can_view_emails(self, request) -> bool:
        return request.user.has_perm(VIEW_EMAIL_PERMISSION)

    def has_add_permission(self, request):
        return False  # Signatures come from the public, confirmed by email.

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        services.delete_signatures(signatures=self.model.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.delete_signatures(signatures=queryset)

    def get_list_display(self, request):
        fields = list(super().get_list_display(request))
        if self.can_view_emails(request):
            fields.insert(1, "email")
        if "appeal__id__exact" in request.GET:
            # One appeal's list says which in its title, not in every row.
            fields.remove("appeal_title")
        return fields

    def get_changelist_instance(self, request):
        # PostgreSQL takes no NUL in a string: a filter holding one would fail the
        # page. It goes back to the list, as with any filter the admin cannot use.
        if any(
            "\0" in value for _name, values in request.GET.lists() for value in values
        ):
            raise IncorrectLookupParameters
        return super().get_changelist_instance(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_find_by_email": self.can_view_emails(request),
            **self._appeal_title(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def _appeal_title(self, request) -> dict:
        """The page's title naming the appeal the list is filtered to, if any."""
        appeal_id = request.GET.get("appeal__id__exact", "")
        appeal = (
            Appeal.objects.filter(pk=appeal_id).first() if appeal_id.isdigit() else None
        )
        if appeal is None:
            return {}
        return {
            "title": _("%(items)s of “%(appeal)s”")
            % {
                "items": capfirst(self.model._meta.verbose_name_plural),
                "appeal": appeal.title,
            }
        }

    @admin.display(description=_("appeal"), ordering="appeal")
    def appeal_title(self, signature):
        return Truncator(signature.appeal.title).chars(40)

    @admin.display(description=_("signed at"), ordering="created_at")
    def signed_at(self, signature):
        return date_format(timezone.localtime(signature.created_at), "j M Y, H:i")

    @admin.display(description=_("status"), ordering="status")
    def status_and_reason(self, signature):
        if signature.quarantine_reason:
            return format_html(
                '{}<br><span class="quiet">{}</span>',
                signature.get_status_display(),
                Truncator(signature.quarantine_reason).chars(60),
            )
        return signature.get_status_display()

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not self.can_view_emails(request):
            fields = [
                field
                for field in fields
                if field not in [*self.email_fields, "email_normalized"]
            ]
        return fields

    def get_readonly_fields(self, request, obj=None):
        editable = set(self.moderated_fields)
        return [
            field.name
            for field in self.model._meta.fields
            if field.name not in editable
        ]

    def get_search_results(self, request, queryset, search_term):
        if "@" in search_term:
            # An address in a URL lands in every access log and browser history:
            # addresses are looked up with the "Find by email" form (a POST).
            messages.warning(
                request,
                _(
                    "To find an email address, use “Find by email”: it keeps the "
                    "address out of the page's address."
                ),
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def lookup_allowed(self, lookup, value, request=None):
        # What "Find by email" leads to: signatures by id, nothing personal.
        return lookup == "id__in" or super().lookup_allowed(lookup, value, request)

    def find_by_email_view(self, request):
        """Look an address up exactly (POST), and list its signatures by id."""
        if request.method != "POST" or not self.can_view_emails(request):
            raise PermissionDenied
        email = normalize_email(request.POST.get("email", ""))
        found = self.get_queryset(request).made_with(email)
        ids = ",".join(str(pk) for pk in found.values_list("pk", flat=True)[:100])
        opts = self.model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if not ids:
            self.message_user(
                request, _("No signature was made with that address."), messages.INFO
            )
            return redirect(changelist)
        return redirect(f"{changelist}?id__in={ids}")

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "find-by-email/",
                self.admin_site.admin_view(self.find_by_email_view),
                name=f"{opts.app_label}_{opts.model_name}_find_by_email",
            ),
            *super().get_urls(),
        ]


def _resend(queryset) -> int:
    pending = queryset.filter(status=Signature.Status.PENDING).select_related("appeal")
    return sum(services.resend_confirmation(signature=s) for s in pending)


approve_comments = bulk_action(
    "approve_comments",
    _("Approve the comment"),
    lambda queryset: services.set_comment_status(
        signatures=queryset, status=Signature.CommentStatus.APPROVED
    ),
    ngettext_lazy(
        "%(count)d comment approved.", "%(count)d comments approved.", "count"
    ),
)
hide_comments = bulk_action(
    "hide_comments",
    _("Hide the comment"),
    lambda queryset: services.set_comment_status(
        signatures=queryset, status=Signature.CommentStatus.HIDDEN
    ),
    ngettext_lazy("%(count)d comment hidden.", "%(count)d comments hidden.", "count"),
)
reject_as_spam = bulk_action(
    "reject_as_spam",
    _("Reject as spam"),
    lambda queryset: services.reject_signatures(signatures=queryset),
    ngettext_lazy(
        "%(count)d signature rejected; counts update within seconds.",
        "%(count)d signatures rejected; counts update within seconds.",
        "count",
    ),
)
restore = bulk_action(
    "restore",
    _("Restore rejected signatures"),
    lambda queryset: services.restore_signatures(signatures=queryset),
    ngettext_lazy(
        "%(count)d signature restored.", "%(count)d signatures restored.", "count"
    ),
)
resend_confirmation = bulk_action(
    "resend_confirmation",
    _("Resend the confirmation email"),
    _resend,
    ngettext_lazy(
        "Confirmation email queued again for %(count)d address (pending ones, "
        "within the signing rate limits, at most three emails a day each).",
        "Confirmation email queued again for %(count)d addresses (pending ones, "
        "within the signing rate limits, at most three emails a day each).",
        "count",
    ),
)
release = bulk_action(
    "release",
    _("Release from quarantine (sends the confirmation email)"),
    lambda queryset: services.release_signatures(signatures=queryset),
    ngettext_lazy(
        "%(count)d signature released.", "%(count)d signatures released.", "count"
    ),
)


class RejectPatternForm(forms.Form):
    """Which signatures a spam wave left: every criterion given must match."""

    appeal = forms.ModelChoiceField(
        Appeal.objects.all(), required=False, label=_("Appeal")
    )
    email_domain = forms.CharField(
        required=False, label=_("Email domain"), help_text=_("e.g. spam.example")
    )
    signed_after = forms.DateTimeField(
        required=False,
        label=_("Signed after"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    signed_before = forms.DateTimeField(
        required=False,
        label=_("Signed before"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ip_hash = forms.CharField(required=False, label=_("Client fingerprint"))
    name_contains = forms.CharField(required=False, label=_("Name contains"))
    expected_count = forms.IntegerField(required=False, widget=forms.HiddenInput)

    criteria = [
        "appeal",
        "email_domain",
        "signed_after",
        "signed_before",
        "ip_hash",
        "name_contains",
    ]

    def clean(self):
        cleaned_data = super().clean()
        if not any(cleaned_data.get(name) for name in self.criteria):
            raise forms.ValidationError(_("Give at least one criterion."))
        return cleaned_data

    def matching(self):
        """The signatures that would be rejected (those not rejected already)."""
        return Signature.objects.rejectable().matching(
            **{name: self.cleaned_data[name] for name in self.criteria}
        )


@admin.register(Signature)
class SignatureAdmin(SignerDataAdmin):
    list_display = [
        "signer",
        "appeal_title",
        "status_and_reason",
        "comment_excerpt",
        "signed_at",
    ]
    list_filter = [
        "status",
        "comment_status",
        HasCommentFilter,
        "visibility",
        ("appeal", AppealFilter),
        CountryFilter,
        "created_at",
    ]
    search_fields = ["full_name", "city"]
    list_select_related = ["appeal"]
    actions = [
        approve_comments,
        hide_comments,
        reject_as_spam,
        restore,
        release,
        resend_confirmation,
    ]
    moderated_fields = ["comment_status"]
    fields = [
        "appeal",
        "full_name",
        "email",
        "email_normalized",
        "country",
        "city",
        "affiliation",
        "comment",
        "comment_status",
        "visibility",
        "has_newsletter_consent",
        "status",
        "quarantine_reason",
        "ip_hash",
        "language",
        "privacy_notice_version",
        "created_at",
        "confirmed_at",
        "withdrawn_at",
    ]

    @admin.display(description=_("signer"), ordering="full_name")
    def signer(self, signature):
        place = ", ".join(filter(None, [signature.city, signature.country.name]))
        return format_html('{}<br><span class="quiet">{}</span>', str(signature), place)

    @admin.display(description=_("comment"))
    def comment_excerpt(self, signature):
        if not signature.comment:
            return ""
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            Truncator(signature.comment).chars(70),
            signature.get_comment_status_display(),
        )

    def get_urls(self):
        return [
            path(
                "reject-by-pattern/",
                self.admin_site.admin_view(self.reject_by_pattern_view),
                name="appeals_signature_reject_by_pattern",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_reject_by_pattern": self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def reject_by_pattern_view(self, request):
        """Preview how many signatures a pattern matches, then reject exactly those."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = RejectPatternForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Reject signatures by pattern"),
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            matching = form.matching()
            count = matching.count()
            expected = form.cleaned_data["expected_count"]
            if "reject" in request.POST and expected == count:
                rejected = services.reject_signatures(signatures=matching)
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d signature rejected.",
                        "%(count)d signatures rejected.",
                        rejected,
                    )
                    % {"count": rejected},
                    messages.SUCCESS,
                )
                return redirect("admin:appeals_signature_changelist")
            if "reject" in request.POST:
                context["changed"] = True
            context["count"] = count
            context["sample"] = matching.select_related("appeal").order_by("-pk")[:20]
            context["can_view_emails"] = self.can_view_emails(request)
            form.data = form.data.copy()
            form.data["expected_count"] = count
        return TemplateResponse(
            request, "admin/appeals/signature/reject_by_pattern.html", context
        )


approve_cosignatures = bulk_action(
    "approve_cosignatures",
    _("Approve: show on the appeal"),
    lambda queryset: services.approve_organization_signatures(signatures=queryset),
    ngettext_lazy(
        "%(count)d co-signature approved.", "%(count)d co-signatures approved.", "count"
    ),
)
reject_cosignatures = bulk_action(
    "reject_cosignatures",
    _("Reject"),
    lambda queryset: services.reject_organization_signatures(signatures=queryset),
    ngettext_lazy(
        "%(count)d co-signature rejected.", "%(count)d co-signatures rejected.", "count"
    ),
)


class AwaitingApprovalFilter(admin.SimpleListFilter):
    """The list opens on the co-signatures awaiting approval: the work to do."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("awaiting", _("Confirmed, awaiting approval")),
            ("all", _("All co-signatures")),
        ]

    def value(self):
        return super().value() or "awaiting"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.awaiting_approval()
        return queryset


@admin.register(OrganizationSignature)
class OrganizationSignatureAdmin(SignerDataAdmin):
    list_display = [
        "organization_name",
        "appeal_title",
        "website",
        "country",
        "status_and_reason",
        "is_approved",
        "signed_at",
    ]
    list_filter = [
        AwaitingApprovalFilter,
        "status",
        "is_approved",
        ("appeal", AppealFilter),
    ]
    search_fields = ["organization_name", "website"]
    list_select_related = ["appeal"]
    actions = [approve_cosignatures, reject_cosignatures, release]
    moderated_fields = []
    fields = [
        "appeal",
        "organization_name",
        "website",
        "country",
        "contact_name",
        "email",
        "email_normalized",
        "statement",
        "status",
        "quarantine_reason",
        "ip_hash",
        "is_approved",
        "language",
        "privacy_notice_version",
        "created_at",
        "confirmed_at",
        "withdrawn_at",
    ]


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "appeal", "kind", "row_count"]
    list_filter = ["kind", "appeal"]
    list_select_related = ["user", "appeal"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
