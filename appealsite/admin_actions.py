"""The one shape of an admin action, for every app: hand the selection to a
service, say how many it changed."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError


def bulk_action(name, description, service, done_message, *, one_by_one=False):
    """An admin action that hands the selection to a service and says how many.

    The service takes the queryset and returns how many rows it changed; with
    one_by_one, it takes one object at a time, and one it refuses (ValidationError)
    is named with the reason while the others go ahead.
    """

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        if one_by_one:
            count = _each(modeladmin, request, queryset, service)
        else:
            count = service(queryset)
        if count or not one_by_one:
            modeladmin.message_user(
                request, done_message % {"count": count}, messages.SUCCESS
            )

    action.__name__ = name
    return action


def _each(modeladmin, request, queryset, service) -> int:
    done = 0
    for item in queryset:
        try:
            service(item)
        except ValidationError as error:
            modeladmin.message_user(
                request, f"{item}: {' '.join(error.messages)}", messages.ERROR
            )
        else:
            done += 1
    return done
