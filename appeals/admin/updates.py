"""Updates to signers, for staff: write one, with its text for each language
version of the appeal; the tools beside it (preview, a test to oneself, sending,
progress) are in update_tools.

Writing and sending take "Can change update" (editors); viewing is enough for the
preview and the progress (moderators). An update can be changed until it starts
going out; from then on it is a record: who wrote it, who sent it, when it went
out and to how many (also in the admin log).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.forms.models import BaseInlineFormSet
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appeals.admin.update_tools import UpdateToolsMixin
from appeals.forms import tidy_line, tidy_text
from appeals.models import Appeal, DeliveryEvent, Update, UpdateText

State = Update.State

# The title "Write an update about this" suggests, in the appeal's language.
SUGGESTED_TITLES = {
    DeliveryEvent.Kind.DELIVERED: gettext_lazy("We delivered the appeal"),
    DeliveryEvent.Kind.REPLY: gettext_lazy("The addressee replied"),
    DeliveryEvent.Kind.FOLLOW_UP: gettext_lazy("What happened next"),
}


def write_update_url(event: DeliveryEvent) -> str:
    """The add form of an update about a delivery event, filled in."""
    with translation.override(event.appeal.language):
        title = str(SUGGESTED_TITLES.get(event.kind, ""))
    query = {"appeal": event.appeal_id, "delivery_event": event.pk, "title": title}
    return f"{reverse('admin:appeals_update_add')}?{urlencode(query)}"


def _appeal_id(request, update: Update | None) -> int | None:
    """The appeal of the update in the form: its own, or the one chosen (or given
    in the address, as "Write an update about this" does)."""
    if update is not None:
        return update.appeal_id
    value = request.POST.get("appeal") or request.GET.get("appeal") or ""
    # ASCII digits only ("²" is a digit to Python), and a real id's size.
    return (
        int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
    )


class TidyTextForm(forms.ModelForm):
    """Titles and texts as signers get them: no hidden or control characters
    (pasted from a word processor, they would break an email or a feed)."""

    def clean_title(self):
        return tidy_line(self.cleaned_data["title"])

    def clean_body(self):
        return tidy_text(self.cleaned_data["body"])


class UpdateForm(TidyTextForm):
    class Meta:
        model = Update
        fields = ["appeal", "delivery_event", "title", "body"]

    def clean(self):
        cleaned_data = super().clean()
        appeal = cleaned_data.get("appeal")
        appeal_id = appeal.pk if appeal else self.instance.appeal_id
        event = cleaned_data.get("delivery_event")
        if event and appeal_id and event.appeal_id != appeal_id:
            self.add_error(
                "delivery_event",
                _("That event belongs to another appeal; choose one of this appeal."),
            )
        return cleaned_data


class UpdateTextFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            version = getattr(form, "cleaned_data", {}).get("appeal_version")
            if (
                version
                and not self._should_delete_form(form)
                and version.translation_of_id != self.instance.appeal_id
            ):
                form.add_error(
                    "appeal_version",
                    _("Choose a language version of this update's appeal."),
                )


def _editable(update: Update | None) -> bool:
    return update is None or update.is_editable


def _version_label(version: Appeal) -> str:
    return f"{version.get_language_display()}: {version.title}"


class UpdateTextInline(admin.StackedInline):
    """The update's title and text for the signers of each translation."""

    model = UpdateText
    form = TidyTextForm
    formset = UpdateTextFormSet
    fields = ["appeal_version", "title", "body"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("appeal_version")
        if field is not None:
            versions = Appeal.objects.filter(translation_of__isnull=False)
            appeal_id = _appeal_id(request, obj)
            if appeal_id is not None:
                versions = versions.filter(translation_of_id=appeal_id)
            field.queryset = versions.order_by("language", "pk")
            field.label_from_instance = _version_label
        return formset

    def get_extra(self, request, obj=None, **kwargs):
        appeal_id = _appeal_id(request, obj)
        if appeal_id is None:
            return 1
        versions = Appeal.objects.filter(translation_of_id=appeal_id).count()
        return max(0, versions - (obj.versions.count() if obj else 0))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _editable(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _editable(obj)


@admin.register(Update)
class UpdateAdmin(UpdateToolsMixin, admin.ModelAdmin):
    form = UpdateForm
    list_display = [
        "title",
        "appeal",
        "state",
        "published_at",
        "recipient_count",
        "progress_link",
    ]
    list_filter = ["state", ("appeal", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "appeal__title"]
    list_select_related = ["appeal"]
    inlines = [UpdateTextInline]
    actions = None  # No "delete selected": only a draft may be deleted.
    record_fields = [
        "state",
        "send_at",
        "published_at",
        "finished_at",
        "recipient_count",
        "created_by",
        "created_at",
        "sent_by",
    ]

    def get_fieldsets(self, request, obj=None):
        text = (None, {"fields": ["appeal", "delivery_event", "title", "body"]})
        if obj is None:
            return [text]
        return [text, (gettext_lazy("Record"), {"fields": self.record_fields})]

    def get_readonly_fields(self, request, obj=None):
        # An update stays on the appeal it was written for: its texts are for
        # that appeal's language versions.
        return [*self.record_fields, *(["appeal"] if obj else [])]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("delivery_event")
        if field is not None:
            appeal_id = _appeal_id(request, obj)
            if appeal_id is None:
                field.queryset = field.queryset.select_related("appeal")
                field.label_from_instance = lambda event: f"{event.appeal}: {event}"
            else:
                field.queryset = field.queryset.filter(appeal_id=appeal_id)
        return form

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.state == State.DRAFT
        )

    def view_on_site(self, update):
        return update.get_absolute_url() if update.published_at else None

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.save()
        else:
            # Only the text: the update may have started going out meanwhile.
            obj.save(update_fields=[*form.changed_data, "updated_at"])

    @admin.display(description=gettext_lazy("progress"))
    def progress_link(self, update):
        if update.state == State.DRAFT:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:appeals_update_progress", args=[update.pk]),
            _("Progress"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/preview/",
                view(self.preview_view),
                name="appeals_update_preview",
            ),
            path(
                "<int:pk>/send-test/",
                view(self.send_test_view),
                name="appeals_update_send_test",
            ),
            path("<int:pk>/send/", view(self.send_view), name="appeals_update_send"),
            path(
                "<int:pk>/progress/",
                view(self.progress_view),
                name="appeals_update_progress",
            ),
            path(
                "<int:pk>/progress/<str:step>/",
                view(self.step_view),
                name="appeals_update_step",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        update = self.get_object(request, unquote(object_id))
        if update is not None:
            extra_context = {
                **(extra_context or {}),
                "can_send": update.is_editable and self.may_send(request),
            }
        return super().change_view(request, object_id, form_url, extra_context)
