"""The archives of the static copy (appeals.mirror), as the live site publishes
them: a record, written by the export alone."""

from django.contrib import admin

from appeals.models import MirrorExport


@admin.register(MirrorExport)
class MirrorExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "as_of", "sha256", "size"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
