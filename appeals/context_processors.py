from functools import partial

from django.conf import settings

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
    }
