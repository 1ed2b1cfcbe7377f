"""Absolute addresses on this site, for emails, feeds, share tags and JSON."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """Return the address of a path under SITE_URL (the public base URL)."""
    return f"{settings.SITE_URL}{path}"
