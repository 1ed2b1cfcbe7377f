from django.db import models
from django.utils.translation import gettext_lazy as _


class MirrorExportQuerySet(models.QuerySet):
    def newest_first(self) -> "MirrorExportQuerySet":
        return self.order_by("-created_at", "-pk")


class MirrorExport(models.Model):
    """An archive of the static copy (appeals.mirror), as published: its SHA-256
    lets a reader check a copy found elsewhere. A new row only when the archive
    changed."""

    as_of = models.DateTimeField(
        _("data as of"), help_text=_("When the data in the copy last changed.")
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    objects = MirrorExportQuerySet.as_manager()

    class Meta:
        verbose_name = _("mirror export")
        verbose_name_plural = _("mirror exports")

    def __str__(self):
        return f"{self.as_of:%Y-%m-%d %H:%M} {self.sha256[:12]}"

    @property
    def anchor(self) -> str:
        """Its id on the page that lists the archives."""
        return f"sha256-{self.sha256[:16]}"
