"""The mail queue for staff: its state at a glance, failures with the server's reply.

Nothing here shows an address or an email's text: the emails about a signature
have none stored, and the others hold links meant for their reader alone.
"""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from appeals.mail.status import queue_status
from appeals.models import OutgoingEmail
from appeals.services.emails import retry_emails
from appealsite.admin_actions import bulk_action

SHOWN_FIELDS = [
    "kind",
    "state",
    "attempts",
    "created_at",
    "due_at",
    "sent_at",
    "last_error",
]

retry = bulk_action(
    "retry",
    _("Send the failed emails again"),
    lambda queryset: retry_emails(messages=queryset),
    ngettext_lazy(
        "%(count)d failed email queued again.",
        "%(count)d failed emails queued again.",
        "count",
    ),
)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "state",
        "attempts",
        "created_at",
        "sent_at",
        "reply",
        "signature",
        "organization_signature",
    ]
    list_filter = ["state", "kind"]
    list_select_related = ["signature", "organization_signature"]
    fields = [*SHOWN_FIELDS, "subject", "claimed_by"]
    readonly_fields = fields
    actions = [retry]
    ordering = ["-pk"]
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request):
        return False  # Emails are queued by what they are about.

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("mail server's answer"))
    def reply(self, message):
        return Truncator(message.last_error).chars(80)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "queue": queue_status()}
        return super().changelist_view(request, extra_context)


class OutgoingEmailInline(admin.TabularInline):
    """A signature's emails and what became of each, on its change page."""

    model = OutgoingEmail
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-pk"]
    verbose_name_plural = _("emails about this signature")

    def has_view_permission(self, request, obj=None):
        return True  # Whoever may see the signature may see how its emails went.
