"""Serve anonymous readers a freshly stamped copy of a page rendered seconds ago.

When an appeal goes viral, thousands of people read the same page. Rendering it
costs far more than the database queries behind it, so anonymous GETs are answered
from the shared cache (Redis in production) for PAGE_CACHE_SECONDS. The copy is
rendered with a placeholder where CSRF tokens go; each reader gets their own token
stamped in, so the forms on the page (sign, language, typo dialog) stay protected
and nobody gets someone else's token. Staff (anyone with a session) and every
non-GET request bypass the cache.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from appeals import localcache

CSRF_PLACEHOLDER = "__csrf_token_for_this_reader__"
# Each worker also keeps the copy this long, sparing the trip to the shared cache.
LOCAL_SECONDS = 1
# How long past its time an old copy may still be served while a new one renders.
STALE_SECONDS = 30


def cached_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        path = request.get_full_path().encode()
        key = f"appeals:page:{get_language()}:{hashlib.sha256(path).hexdigest()}"
        cached = localcache.get_or_set(key, LOCAL_SECONDS, lambda: cache.get(key))
        # An old copy is served while one request renders a new one: readers never
        # queue behind a page being rendered (no stampede when a copy expires).
        if cached is None or (
            cached[2] < time.time() and cache.add(f"{key}:rendering", True, 10)
        ):
            request.render_for_page_cache = True
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or not response.get(
                "Content-Type", ""
            ).startswith("text/html"):
                return response
            if hasattr(response, "render"):  # A TemplateResponse renders lazily.
                response.render()
            fresh_until = time.time() + settings.PAGE_CACHE_SECONDS
            cached = (response.content, response.get("Content-Type"), fresh_until)
            cache.set(key, cached, settings.PAGE_CACHE_SECONDS + STALE_SECONDS)
            cache.delete(f"{key}:rendering")
            localcache.put(key, LOCAL_SECONDS, cached)
        content, content_type, _fresh_until = cached
        response = HttpResponse(
            content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode()),
            content_type=content_type,
        )
        patch_vary_headers(response, ["Cookie"])
        # Browsers may keep it briefly; shared caches may not (tokens are per reader).
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        return response

    return wrapper


def _cacheable(request) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def csrf(request):
    """Context processor: the placeholder instead of a token when rendering a copy."""
    if getattr(request, "render_for_page_cache", False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}
