"""The signature log's witnesses, and its checkpoints to look at (never to edit)."""

import base64
import binascii

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from appeals.models import LogCheckpoint, LogWitness


class LogWitnessForm(forms.ModelForm):
    class Meta:
        model = LogWitness
        fields = ["name", "public_key", "is_active"]

    def clean_public_key(self):
        value = self.cleaned_data["public_key"].strip()
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != 32:
            raise forms.ValidationError(
                _("An Ed25519 public key is base64 of 32 bytes.")
            )
        return value


@admin.register(LogWitness)
class LogWitnessAdmin(admin.ModelAdmin):
    form = LogWitnessForm
    list_display = ["name", "key_id", "is_active"]


@admin.register(LogCheckpoint)
class LogCheckpointAdmin(admin.ModelAdmin):
    list_display = ["appeal", "tree_size", "signature_count", "made_at", "key_id"]
    list_filter = ["appeal"]
    readonly_fields = ["appeal", "tree_size", "signature_count", "made_at", "note"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
