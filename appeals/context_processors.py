from functools import partial
from urllib.parse import urlsplit

from django.conf import settings

from appeals.mirror import mirror_as_of
from appealsite.languages import neutral_path, other_languages
from appealsite.onion import is_onion


def site(request):
    """Expose the site's name, and this page's address in each language."""
    return {
        "site_name": settings.SITE_NAME,
        # Links name the address the page was reached at: the onion, or the web.
        "site_url": settings.ONION_URL if is_onion(request) else settings.SITE_URL,
        # Worked out only by a template that asks.
        "page_languages": partial(other_languages, request),
        "page_address_for_everyone": partial(neutral_path, request.get_full_path()),
        # In the static copy (appeals.mirror): as of when; its forms lead here.
        "mirror": mirror(request),
    }


def mirror(request) -> dict | None:
    as_of = mirror_as_of(request)
    if as_of is None:
        return None
    return {
        "as_of": as_of,
        "live_url": f"{settings.SITE_URL}{request.get_full_path()}",
        "live_host": urlsplit(settings.SITE_URL).netloc,
        "onion_url": settings.ONION_URL
        and f"{settings.ONION_URL}{request.get_full_path()}",
    }
