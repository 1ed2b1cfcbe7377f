"""The one shape of an admin action: hand the selection to a service, say how many."""

from django.contrib import admin, messages


def bulk_action(name, description, service, done_message):
    """An admin action that hands the selection to a service and says how many."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        count = service(queryset)
        modeladmin.message_user(
            request, done_message % {"count": count}, messages.SUCCESS
        )

    action.__name__ = name
    return action
