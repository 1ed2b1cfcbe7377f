"""Public forms refuse posts from other sites by the browser's own word, not a token.

A token in each form made every page different for every reader, so no cache
between us and a crowd of readers could keep it (README "Performance"). Browsers
now say where a request comes from: `Sec-Fetch-Site` (every current browser), and
`Origin` on every POST (all of them since 2020). The rule follows Go's
net/http.CrossOriginProtection (Filippo Valsorda's analysis, 2025):

1. GET and HEAD change nothing and pass.
2. `Sec-Fetch-Site` present: `same-origin` or `none` (typed by the reader) pass;
   anything else (`cross-site`, and `same-site`, a neighbouring subdomain) is
   refused, unless `Origin` is a trusted origin (CSRF_TRUSTED_ORIGINS).
3. No `Sec-Fetch-Site` (an older browser): `Origin` must be this site's own origin
   or a trusted one; `Origin: null` (a sandboxed frame, a page from disk) is refused.
4. Neither header: not a browser, so not someone's browser made to post for them;
   passes. Every public write is rate-limited per client and most wait for a
   confirmation by email, so a script gains nothing it could not get by posting
   from its own machine.

The admin and every staff page keep Django's token check (CsrfViewMiddleware):
only views marked `public_form` take this rule instead. django-modern-csrf applies
the same rule, but to every view of a site; we need the two side by side.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.log import log_response

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
ACCEPTED_FETCH_SITES = {"same-origin", "none"}


def public_form(view):
    """Let a public form's POST through if it comes from our own pages (see above).

    What answers a POST (the form again with its errors, what was typed) is for
    the one who sent it: kept by no cache.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return view(request, *args, **kwargs)
        if reason := refusal(request):
            return cross_site_refused(request, reason)
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    wrapper.csrf_exempt = True  # Django's token check: this one instead.
    return wrapper


def refusal(request) -> str | None:
    """Why the request looks sent by another site; None if it does not."""
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if origin is not None and origin in settings.CSRF_TRUSTED_ORIGINS:
        return None
    if fetch_site is not None:
        if fetch_site.lower() in ACCEPTED_FETCH_SITES:
            return None
        return f"Sec-Fetch-Site: {fetch_site}"
    if origin is None:
        return None
    if origin == f"{request.scheme}://{request.get_host()}":
        return None
    return f"Origin: {origin}"


def cross_site_refused(request, reason: str):
    response = render(request, "403_cross_site.html", status=403)
    add_never_cache_headers(response)
    log_response(
        "Form from another site refused (%s): %s",
        reason[:200],
        request.path,
        response=response,
        request=request,
    )
    return response
