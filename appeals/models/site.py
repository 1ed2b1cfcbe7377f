from django.core.cache import cache
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from appeals import localcache

SITE_SETTINGS_CACHE_KEY = "appeals:site-settings"


class SiteSettings(models.Model):
    """Switches that staff flip for the whole site; there is only one row."""

    is_signing_paused = models.BooleanField(
        _("pause signing on every appeal"),
        default=False,
        help_text=_(
            "During an attack: every sign form says signing is paused and no "
            "signature is taken, until this is unticked."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self):
        return str(_("Site settings"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Whoever saves (the admin, a shell, a migration), every server reads the
        # new settings within seconds: the copies are dropped once it is stored.
        transaction.on_commit(self.forget_cached)

    @staticmethod
    def forget_cached() -> None:
        """Drop the shared and this process's cached copy of the settings."""
        cache.delete(SITE_SETTINGS_CACHE_KEY)
        localcache.forget(SITE_SETTINGS_CACHE_KEY)

    @classmethod
    def current(cls) -> "SiteSettings":
        """Return the settings, cached for a few seconds: they are read on hot paths.

        A change reaches every app server within about five seconds.
        """
        return localcache.get_or_set(
            SITE_SETTINGS_CACHE_KEY, localcache.SITE_SETTINGS_SECONDS, cls._from_cache
        )

    @classmethod
    def _from_cache(cls) -> "SiteSettings":
        settings = cache.get(SITE_SETTINGS_CACHE_KEY)
        if settings is None:
            settings, _created = cls.objects.get_or_create(pk=1)
            cache.set(SITE_SETTINGS_CACHE_KEY, settings, 3)
        return settings


class IPHashKey(models.Model):
    """The secret of one day for hashing client IP addresses.

    Keys older than a week are deleted (purge_expired), after which no hash made
    with them can be recomputed from an address.
    """

    day = models.DateField(unique=True)
    key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("IP hash key")
        verbose_name_plural = _("IP hash keys")

    def __str__(self):
        return str(self.day)


class DataAccessLink(models.Model):
    """A link to everything held about an address: a random token, kept hashed.

    The address is not in the link (it would land in every access log and
    browser history), and the token itself is not in the database: whoever reads
    the table cannot open the pages, nor read the address, which is kept sealed
    with a key only the token gives (appeals.tokens). Those who ask to see their
    data are often those who signed a high-risk appeal: the table must not list
    them.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    sealed_address = models.TextField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("link to a signer's data")
        verbose_name_plural = _("links to signers' data")

    def __str__(self):
        return f"#{self.pk}"
