from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from appeals import services
from appeals.admin.exports import AppealExportsMixin
from appeals.admin.updates import write_update_url
from appeals.models import (
    Appeal,
    AppealSlug,
    Authorship,
    DeliveryEvent,
    Organization,
    SiteSettings,
)
from appealsite.admin_actions import bulk_action

WORKFLOW_ACTIONS = {
    "publish": (gettext_lazy("Publish"), services.publish_appeal),
    "close": (gettext_lazy("Close signing"), services.close_appeal),
    "archive": (gettext_lazy("Archive"), services.archive_appeal),
    "reopen": (gettext_lazy("Reopen"), services.reopen_appeal),
}


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "country", "is_verified", "updated_at"]
    list_filter = ["is_verified", "country"]
    search_fields = ["name", "short_name", "website"]
    prepopulated_fields = {"slug": ["name"]}


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 1
    autocomplete_fields = ["organization"]
    fields = ["organization", "position"]
    ordering = ["position"]


class DeliveryEventInline(admin.TabularInline):
    """Delivery, reply, follow-ups: one line each."""

    model = DeliveryEvent
    extra = 0
    fields = ["kind", "occurred_on", "channel", "signature_count", "text", "document"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 40})},
    }

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._may_write_update(request, obj):
            fields = [*fields, "update_about_this"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if self._may_write_update(request, obj):
            fields = [*fields, "update_about_this"]
        return fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("appeal")  # Its link.

    def _may_write_update(self, request, appeal) -> bool:
        # Updates are written on the original, which holds the timeline.
        return (
            appeal is not None
            and appeal.translation_of_id is None
            and request.user.has_perm("appeals.add_update")
        )

    @admin.display(description=gettext_lazy("update to signers"))
    def update_about_this(self, event):
        if event.pk is None:
            return _("Save the event first.")
        return format_html(
            '<a href="{}">{}</a>',
            write_update_url(event),
            _("Write an update about this"),
        )


class PublishForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy(
            "Leave empty to publish now. A future time schedules the appeal: it "
            "appears by itself then."
        ),
    )


publish_now = bulk_action(
    "publish_now",
    gettext_lazy("Publish now"),
    lambda appeal: services.publish_appeal(appeal=appeal),
    ngettext_lazy(
        "%(count)d appeal published.", "%(count)d appeals published.", "count"
    ),
    one_by_one=True,
)
close = bulk_action(
    "close",
    gettext_lazy("Close signing"),
    lambda appeal: services.close_appeal(appeal=appeal),
    ngettext_lazy(
        "Signing closed on %(count)d appeal.",
        "Signing closed on %(count)d appeals.",
        "count",
    ),
    one_by_one=True,
)
archive = bulk_action(
    "archive",
    gettext_lazy("Archive"),
    lambda appeal: services.archive_appeal(appeal=appeal),
    ngettext_lazy("%(count)d appeal archived.", "%(count)d appeals archived.", "count"),
    one_by_one=True,
)
reopen = bulk_action(
    "reopen",
    gettext_lazy("Reopen"),
    lambda appeal: services.reopen_appeal(appeal=appeal),
    ngettext_lazy("%(count)d appeal reopened.", "%(count)d appeals reopened.", "count"),
    one_by_one=True,
)


class AppealAdminForm(forms.ModelForm):
    class Meta:
        # A title or an addressee reads whole in a field as wide as the letter's.
        widgets = {
            "title": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "addressee": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }

    def clean_is_high_risk(self):
        is_high_risk = self.cleaned_data["is_high_risk"]
        instance = self.instance
        turned_off = instance.pk and instance.is_high_risk and not is_high_risk
        if turned_off and instance.signatures.exists():
            raise forms.ValidationError(
                _(
                    "People signed this appeal on the promise of high-risk mode: "
                    "it stays on."
                )
            )
        return is_high_risk

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        taken = AppealSlug.objects.filter(slug=slug).exclude(appeal=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("Another appeal used this address before; links to it lead there.")
            )
        return slug


@admin.register(Appeal)
class AppealAdmin(AppealExportsMixin, admin.ModelAdmin):
    form = AppealAdminForm
    list_display = [
        "title",
        "status",
        "language",
        "published_at",
        "closes_at",
        "signature_count",
        "is_signing_paused",
    ]
    list_filter = ["status", "language", "is_signing_paused"]
    search_fields = ["title", "slug", "addressee", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "status",
        "published_at",
        "closed_at",
        "signature_count",
        "high_risk_key_destroyed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [AuthorshipInline, DeliveryEventInline]
    actions = [publish_now, close, archive, reopen]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "language",
                    "translation_of",
                    "addressee",
                    "summary",
                ]
            },
        ),
        (gettext_lazy("Letter"), {"fields": ["body", "share_image"]}),
        (
            gettext_lazy("Publication"),
            {
                "fields": [
                    "status",
                    "published_at",
                    "closes_at",
                    "closed_at",
                    "signature_goal",
                    "is_signing_paused",
                ],
                "description": gettext_lazy(
                    "Change the status with the buttons at the top of this page."
                ),
            },
        ),
        (
            gettext_lazy("Signers' safety"),
            {
                "fields": [
                    "is_high_risk",
                    "has_comments_in_high_risk_mode",
                    "high_risk_key_destroyed_at",
                ],
                "description": gettext_lazy(
                    "Read “When to turn on high-risk mode” in the README first."
                ),
            },
        ),
        (
            gettext_lazy("Record"),
            {"fields": ["signature_count", "created_at", "updated_at"]},
        ),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/workflow/<str:action>/",
                view(self.workflow_view),
                name="appeals_appeal_workflow",
            ),
            path(
                "<int:pk>/export/delivery.csv",
                view(self.delivery_csv_view),
                name="appeals_appeal_delivery_csv",
            ),
            path(
                "<int:pk>/export/emails.csv",
                view(self.emails_csv_view),
                name="appeals_appeal_emails_csv",
            ),
            path(
                "<int:pk>/delivery-document/",
                view(self.delivery_document_view),
                name="appeals_appeal_delivery_document",
            ),
            path("preview/", view(self.preview_view), name="appeals_appeal_preview"),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        former_slug = form.initial.get("slug") if change else None
        super().save_model(request, obj, form, change)
        if former_slug and former_slug != obj.slug:
            services.record_former_slug(appeal=obj, slug=former_slug)
        if change and "is_high_risk" in form.changed_data and obj.is_high_risk:
            services.turn_on_high_risk(appeal=obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        appeal = self.get_object(request, object_id)
        if appeal is not None:
            extra_context["workflow_actions"] = [
                (action, label)
                for action, (label, _service) in WORKFLOW_ACTIONS.items()
                if appeal.status in services.TRANSITIONS[action][0]
            ]
            extra_context["can_change_status"] = self.has_change_permission(
                request, appeal
            )
            extra_context["can_export"] = request.user.has_perm(
                "appeals.export_signatures"
            )
            # High-risk mode: no list of who signed with which address leaves.
            extra_context["can_export_emails"] = (
                request.user.has_perm("appeals.export_signer_emails")
                and not appeal.original.is_high_risk
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_formset(self, request, form, formset, change):
        for event in formset.save(commit=False):
            services.save_delivery_event(event=event)
        for event in formset.deleted_objects:
            event.delete()
        formset.save_m2m()

    def preview_view(self, request):
        """Show the letter as the form now has it, rendered as the public page
        renders it, before anything is saved."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        appeal = Appeal(
            **{
                field: request.POST.get(field, "")
                for field in ["title", "addressee", "summary", "body", "language"]
            }
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "appeal": appeal,
            "title": _("Preview: %(title)s") % {"title": appeal.title},
        }
        return TemplateResponse(request, "admin/appeals/appeal/preview.html", context)

    def workflow_view(self, request, pk, action):
        appeal = get_object_or_404(Appeal, pk=pk)
        if action not in WORKFLOW_ACTIONS:
            raise PermissionDenied
        if not self.has_change_permission(request, appeal):
            raise PermissionDenied
        label, service = WORKFLOW_ACTIONS[action]
        data = request.POST if request.method == "POST" else None
        form = PublishForm(data) if action == "publish" else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                if form is not None:
                    service(appeal=appeal, at=form.cleaned_data["publish_at"])
                else:
                    service(appeal=appeal)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(action)s: done.") % {"action": label},
                    messages.SUCCESS,
                )
            return redirect("admin:appeals_appeal_change", appeal.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "appeal": appeal,
            "action_label": label,
            "form": form,
            "title": f"{label}: {appeal}",
        }
        return TemplateResponse(request, "admin/appeals/appeal/workflow.html", context)


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """The one row of site-wide switches: open it straight from the list."""

    list_display = ["__str__", "is_signing_paused", "updated_at"]

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = SiteSettings.current()
        return redirect("admin:appeals_sitesettings_change", settings.pk)
