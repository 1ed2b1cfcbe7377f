"""Public pages: the same bytes for every reader, kept by us and by caches on the way.

When an appeal goes viral, thousands of people read the same page. Its address
names its language (appealsite.languages) and its forms carry no per-reader token
(appealsite.crosssite), so a page is the same for everyone who asks for it: nginx
or a CDN in front may keep it (README "Performance"), and so do we, for a small
site that has neither. Anonymous GETs are answered from the shared cache (Redis in
production) with a copy rendered at most PAGE_CACHE_SECONDS ago, and every answer
says honestly how long it may be kept: `public`, a max-age and s-maxage that add
up, with the copy's age, to at most PAGE_FRESH_SECONDS, an ETag, and 304 to whoever
has it already. Staff (anyone with a session) see their own, live view, never
kept by anyone (`private`).

A copy is compressed once, when it is rendered, not for each reader: a browser
that accepts gzip gets those bytes, and nginx keeps them as they are. Compressing
is safe here as it is not on a page with a secret in it (BREACH): a public page
holds nothing of one reader's.
"""

import hashlib
import re
import time
from dataclasses import dataclass
from functools import wraps
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, QueryDict
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, parse_http_date_safe
from django.utils.text import compress_string

from appeals import localcache
from appeals.mirror import is_mirror
from appealsite.onion import is_onion

# Part of each key: copies in another shape (an older release's) are not read.
COPY_FORMAT = 4
# How long past its time an old copy may still be served while a new one renders.
STALE_SECONDS = 30
READS = {"GET", "HEAD"}
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# Smaller pages gain nothing from compression (Django's GZipMiddleware's limit).
COMPRESS_FROM_BYTES = 200


# What a copy does not keep of the view's answer: how to cache it is said anew
# for each reader, and what is one reader's is never kept.
NOT_KEPT = {"cache-control", "expires", "vary", "set-cookie", "etag", "content-length"}
VARIES_BY = "Accept-Encoding"  # Nothing else: nginx keys its copies by the address.


@dataclass(frozen=True)
class Page:
    """A rendered page, as every reader of its address gets it."""

    body: bytes
    headers: tuple[tuple[str, str], ...]  # The view's own: Content-Type, X-Robots-Tag.
    rendered_at: float  # A timestamp: its data is as old as this.
    etag: str
    compressed: bytes | None = None  # The body in gzip, if worth it.

    @classmethod
    def of(cls, response) -> "Page":
        body = response.content
        worth_compressing = len(
            body
        ) >= COMPRESS_FROM_BYTES and not response.has_header("Content-Encoding")
        return cls(
            body=body,
            compressed=compress_string(body) if worth_compressing else None,
            headers=tuple(
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in NOT_KEPT
            ),
            rendered_at=time.time(),
            etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        )

    def response(self, request) -> HttpResponse:
        headers = dict(self.headers)
        headers.setdefault("Last-Modified", http_date(int(self.rendered_at)))
        gzipped = self.compressed is not None and ACCEPTS_GZIP.search(
            request.headers.get("Accept-Encoding", "")
        )
        # Each encoding is another representation, with an ETag of its own.
        etag = f'{self.etag[:-1]}-gzip"' if gzipped else self.etag
        response = get_conditional_response(
            request,
            etag=etag,
            last_modified=parse_http_date_safe(headers["Last-Modified"]),
        ) or HttpResponse(self.compressed if gzipped else self.body)
        if response.status_code == 412:
            return response  # One reader's precondition: no cache may keep it.
        for name, value in headers.items():
            response[name] = value
        response["ETag"] = etag
        if self.compressed is not None:
            response["Vary"] = VARIES_BY
            if gzipped and response.status_code == 200:
                response["Content-Encoding"] = "gzip"
        public_cache(
            response,
            fresh_seconds=settings.PAGE_FRESH_SECONDS,
            age=time.time() - self.rendered_at,
        )
        return response


def public_cache(response, *, fresh_seconds: float, age: float = 0) -> None:
    """Let any cache keep the response, so that what it shows is never older than
    fresh_seconds: the age it already has, plus a shared cache's s-maxage, plus a
    browser's max-age (nginx does not tell a browser how old its copy is).

    When the site cannot answer, caches may show their copy for
    HTTP_STALE_IF_ERROR_SECONDS rather than an error; while one request fetches
    a new copy, others get the old one for at most HTTP_STALE_SECONDS.
    """
    remaining = max(0, int(fresh_seconds - age))
    browser = remaining // 2
    patch_cache_control(
        response,
        public=True,
        max_age=browser,
        s_maxage=remaining - browser,
        stale_while_revalidate=settings.HTTP_STALE_SECONDS,
        stale_if_error=settings.HTTP_STALE_IF_ERROR_SECONDS,
    )


def cached_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _anonymous_read(request):
            response = view(request, *args, **kwargs)
            if request.method in READS:  # Staff: their own view, kept by nobody.
                patch_cache_control(response, private=True)
            return response
        drop_click_ids(request)
        if settings.PAGE_CACHE_SECONDS <= 0:
            page, response = _render(request, view, *args, **kwargs)
            return response if page is None else page.response(request)
        # The onion's copy links to the onion (appealsite.onion): a copy of its own.
        where = "onion" if is_onion(request) else "web"
        path = request.get_full_path().encode()
        key = f"appeals:page:{COPY_FORMAT}:{where}:{hashlib.sha256(path).hexdigest()}"
        page = localcache.get(key)
        if page is None:
            page, response = _shared_copy(
                key, lambda: _render(request, view, *args, **kwargs)
            )
            if page is None:
                return response  # Not a page to keep: an error, a redirect.
            localcache.put(key, localcache.PAGE_SECONDS, page)
        return page.response(request)

    return wrapper


# What sites add to every link they send a reader through, new for each click
# (Facebook's fbclid, Google's gclid, a newsletter's utm_*): the page is the same
# without them, and with them each reader of a wave would be a page to render.
CLICK_IDS = re.compile(
    r"utm_\w+|fbclid|gclid|gbraid|wbraid|dclid|msclkid|yclid|igshid|mc_[ce]id|_ga"
)


def drop_click_ids(request) -> None:
    """Read the request as if its address had no click ids: the copy kept, and
    the links in it, are those of the address without them."""
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if not CLICK_IDS.fullmatch(name)]
    if len(kept) != len(pairs):
        request.META["QUERY_STRING"] = urlencode(kept)
        request.GET = QueryDict(request.META["QUERY_STRING"])


def _shared_copy(key: str, render):
    """The shared cache's copy of a page, rendered anew if it is missing or old.

    Return (page, None), or (None, the response) if the page is not one to keep.
    An old copy is served while one process renders a new one: readers never queue
    behind a page being rendered. A process looks here once per
    localcache.PAGE_SECONDS and renders only if the copy here is old, so a copy
    that another process has just rendered is not rendered again.
    """
    old = cache.get(key)
    lock = f"{key}:rendering"
    if old is not None and (
        old.rendered_at + settings.PAGE_CACHE_SECONDS >= time.time()
        or not cache.add(lock, True, 10)
    ):
        return old, None
    try:
        page, response = render()
        if page is not None:
            cache.set(key, page, settings.PAGE_CACHE_SECONDS + STALE_SECONDS)
        return page, response
    finally:
        if old is not None:  # This process took the lock.
            cache.delete(lock)


def _render(request, view, *args, **kwargs):
    """Render the page: (Page, None), or (None, the response) if not one to keep."""
    response = view(request, *args, **kwargs)
    if hasattr(response, "render"):  # A TemplateResponse renders lazily.
        response.render()
    cache_control = response.get("Cache-Control", "")
    if (
        response.status_code != 200
        or response.streaming
        or "private" in cache_control
        or "no-store" in cache_control
        or response.cookies
    ):
        return None, response
    return Page.of(response), None


def _anonymous_read(request) -> bool:
    """Whether the reader is no one in particular: not signed in as staff.

    A cookie's name proves nothing: anyone may send one, and nginx, which cannot
    tell a real one, sends its bearer on to us. Were that enough, a flood of
    made-up cookies would cost a render each. So the session is looked up (only
    for a request that has a cookie for it). A message waiting (django.contrib.
    messages) is for the admin: no public page shows one. A page for the static
    copy is the copy's (appeals.mirror): kept by nobody.
    """
    if is_mirror(request) or request.method not in READS:
        return False
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    return not request.user.is_authenticated
