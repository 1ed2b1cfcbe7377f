from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SessionCutoff(models.Model):
    """The moment before which every session of a user is over (see sessions.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="session_cutoff",
        verbose_name=_("user"),
    )
    cut_at = models.DateTimeField(
        _("sessions ended at"),
        help_text=_("Sessions this user started before this moment are over."),
    )

    class Meta:
        verbose_name = _("session cut-off")
        verbose_name_plural = _("session cut-offs")

    def __str__(self):
        return f"{self.user} @ {self.cut_at:%Y-%m-%d %H:%M}"
