"""Serve anonymous readers a freshly stamped copy of a page rendered seconds ago.

When an appeal goes viral, thousands of people read the same page. Rendering it
costs far more than the database queries behind it, so anonymous GETs are answered
from the shared cache (Redis in production) for PAGE_CACHE_SECONDS. The copy is
rendered with a placeholder where CSRF tokens go; each reader gets their own token
stamped in, so the forms on the page (sign, language, typo dialog) stay protected
and nobody gets someone else's token. The placeholder is drawn at random for each
copy and kept with it, never shown: no text a visitor wrote (a co-signer's website,
a comment) can contain it, so a token is stamped only where a form asks for one.
Staff (anyone with a session) and every non-GET request bypass the cache.
"""

import hashlib
import secrets
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from appeals import localcache

# Part of each key: copies in another shape (an older release's) are not read.
COPY_FORMAT = 2
# How long past its time an old copy may still be served while a new one renders.
STALE_SECONDS = 30


def cached_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        path = request.get_full_path().encode()
        digest = hashlib.sha256(path).hexdigest()
        key = f"appeals:page:{COPY_FORMAT}:{get_language()}:{digest}"
        cached = localcache.get(key)
        if cached is None:
            cached, response = _shared_copy(
                key, lambda: _render(request, view, *args, **kwargs)
            )
            if cached is None:
                return response  # Not a page to keep: an error, a redirect.
            localcache.put(key, localcache.PAGE_SECONDS, cached)
        content, content_type, _fresh_until, placeholder = cached
        response = HttpResponse(
            content.replace(placeholder, get_token(request).encode()),
            content_type=content_type,
        )
        patch_vary_headers(response, ["Cookie"])
        # Browsers may keep it briefly; shared caches may not (tokens are per reader).
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        return response

    return wrapper


def _shared_copy(key: str, render):
    """The shared cache's copy of a page, rendered anew if it is missing or old.

    Return (copy, None), or (None, the response) if the page is not one to keep.
    An old copy is served while one process renders a new one: readers never queue
    behind a page being rendered. A process looks here once per
    localcache.PAGE_SECONDS and renders only if the copy here is old, so a copy
    that another process has just rendered is not rendered again.
    """
    old = cache.get(key)
    lock = f"{key}:rendering"
    if old is not None and (old[2] >= time.time() or not cache.add(lock, True, 10)):
        return old, None
    try:
        cached, response = render()
        if cached is not None:
            cache.set(key, cached, settings.PAGE_CACHE_SECONDS + STALE_SECONDS)
        return cached, response
    finally:
        if old is not None:  # This process took the lock.
            cache.delete(lock)


def _render(request, view, *args, **kwargs):
    """Render a copy of the page to share: return (copy, None).

    The copy has a placeholder, new for each copy, where each reader's CSRF token
    goes. A page not to keep (an error, a redirect) is returned as (None, the
    response), with this reader's own token in it.
    """
    placeholder = f"csrf-{secrets.token_hex(16)}"
    request.page_cache_csrf_placeholder = placeholder
    try:
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):  # A TemplateResponse renders lazily.
            response.render()
    finally:
        # An error page Django renders after an exception gets a real token.
        del request.page_cache_csrf_placeholder
    if response.status_code != 200 or not response.get("Content-Type", "").startswith(
        "text/html"
    ):
        if not response.streaming:
            response.content = response.content.replace(
                placeholder.encode(), get_token(request).encode()
            )
        return None, response
    fresh_until = time.time() + settings.PAGE_CACHE_SECONDS
    copy = (
        response.content,
        response.get("Content-Type"),
        fresh_until,
        placeholder.encode(),
    )
    return copy, None


def _cacheable(request) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def csrf(request):
    """Context processor: the placeholder instead of a token when rendering a copy."""
    if placeholder := getattr(request, "page_cache_csrf_placeholder", None):
        return {"csrf_token": placeholder}
    return {}
