from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from appeals.models import Appeal, Authorship, Organization, Signature


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


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "status",
        "language",
        "published_at",
        "closes_at",
        "signature_count",
    ]
    list_filter = ["status", "language"]
    search_fields = ["title", "slug", "addressee", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    readonly_fields = ["signature_count", "created_at", "updated_at"]
    inlines = [AuthorshipInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "language", "addressee", "summary"]}),
        (_("Letter"), {"fields": ["body", "share_image"]}),
        (
            _("Publication"),
            {"fields": ["status", "published_at", "closes_at", "signature_goal"]},
        ),
        (
            _("Record"),
            {"fields": ["signature_count", "created_at", "updated_at"]},
        ),
    ]


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = [
        "full_name",
        "appeal",
        "country",
        "city",
        "status",
        "visibility",
        "created_at",
    ]
    list_filter = ["status", "visibility", "appeal", "country", "created_at"]
    search_fields = ["full_name", "city", "=email_normalized"]
    list_select_related = ["appeal"]
    date_hierarchy = "created_at"
    readonly_fields = ["email_normalized", "created_at", "confirmed_at"]
    raw_id_fields = ["appeal"]
    show_full_result_count = False
