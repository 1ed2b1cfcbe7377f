from django.contrib import admin
from django.http import StreamingHttpResponse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from appealsite.admin_actions import bulk_action
from appealsite.spreadsheets import csv_bytes
from community import services
from community.models import JoinBlock, TypoReport, VolunteerApplication


def set_status(status):
    """The action that gives the selected reports or applications a status."""
    return bulk_action(
        f"mark_{status.value}",
        _("Mark as %(status)s") % {"status": status.label.lower()},
        lambda queryset: services.set_status(items=queryset, status=status),
        ngettext_lazy("%(count)d item updated.", "%(count)d items updated.", "count"),
    )


@admin.register(TypoReport)
class TypoReportAdmin(admin.ModelAdmin):
    """The inbox of typo reports."""

    list_display = [
        "selected_excerpt",
        "page_url",
        "comment_excerpt",
        "status",
        "created_at",
    ]
    list_filter = ["status", "language", "page_url"]
    search_fields = ["selected_text", "comment", "page_url"]
    readonly_fields = [
        "page_url",
        "selected_text",
        "context",
        "comment",
        "language",
        "created_at",
    ]
    actions = [set_status(status) for status in TypoReport.Status]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("selected text"))
    def selected_excerpt(self, report):
        return Truncator(report.selected_text).chars(60)

    @admin.display(description=_("comment"))
    def comment_excerpt(self, report):
        return Truncator(report.comment).chars(60)


@admin.register(JoinBlock)
class JoinBlockAdmin(admin.ModelAdmin):
    list_display = ["kind", "language", "title", "link_url", "position"]
    list_filter = ["kind", "language"]


@admin.action(description=_("Export as CSV"), permissions=["view"])
def export_csv(modeladmin, request, queryset):
    header = [
        _("name"),
        _("email"),
        _("city"),
        _("country"),
        _("ways to help"),
        _("languages"),
        _("message"),
        _("status"),
        _("applied at"),
    ]
    rows = (
        [
            application.name,
            application.email,
            application.city,
            application.country.name,
            application.ways_to_help_display,
            application.languages,
            application.message,
            application.get_status_display(),
            application.created_at.date(),
        ]
        for application in queryset.iterator()
    )
    response = StreamingHttpResponse(
        csv_bytes([header, *rows]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="volunteers.csv"'
    return response


@admin.register(VolunteerApplication)
class VolunteerApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "country",
        "ways_to_help_display",
        "status",
        "created_at",
    ]
    list_filter = ["status", "country", "created_at"]
    search_fields = ["name", "email", "city", "languages"]
    readonly_fields = [
        "name",
        "email",
        "city",
        "country",
        "ways_to_help",
        "languages",
        "message",
        "has_contact_consent",
        "language",
        "created_at",
    ]
    actions = [
        export_csv,
        *(set_status(status) for status in VolunteerApplication.Status),
    ]

    def has_add_permission(self, request):
        return False
