"""Absolute addresses on this site, for emails, feeds, share tags and JSON."""

from django.conf import settings

from appeals.mirror import is_mirror
from appealsite.languages import neutral_path
from appealsite.onion import is_onion


def absolute_url(path: str) -> str:
    """Return the address of a path under SITE_URL (the public base URL)."""
    return f"{settings.SITE_URL}{path}"


def shared_url(path: str) -> str:
    """The address to share, cite or publish as data: one without a language, which
    sends each reader to the page in their own (appealsite.languages)."""
    return absolute_url(neutral_path(path))


def address_here(request, path: str) -> str:
    """The address of a path on the site the reader came to: the onion or the web."""
    return f"{settings.ONION_URL if is_onion(request) else settings.SITE_URL}{path}"


def link_here(request, path: str) -> str:
    """A link to a path on the site the reader came to; in the static copy, the
    path, which the export makes a link to its own copy (appeals.mirror)."""
    return path if is_mirror(request) else address_here(request, path)
