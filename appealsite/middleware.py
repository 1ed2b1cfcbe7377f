"""What a request may claim about itself, settled before anything reads it."""

from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.log import log_response

from appeals.antispam import from_trusted_proxy

FORM = "application/x-www-form-urlencoded"


class ForwardedHeadersMiddleware:
    """Drop the X-Forwarded-* headers of a request no trusted proxy sent.

    Django believes X-Forwarded-Proto from anyone (SECURE_PROXY_SSL_HEADER): a
    client that reaches gunicorn directly could claim HTTPS, and so could any
    X-Forwarded-* header read later. First in MIDDLEWARE, this leaves one rule for
    every header: antispam.from_trusted_proxy(), the one gunicorn.conf.py follows.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not from_trusted_proxy(request):
            forwarded = [
                name
                for name in request.META
                if name.startswith("HTTP_X_FORWARDED_") or name == "HTTP_FORWARDED"
            ]
            for name in forwarded:
                del request.META[name]
        return self.get_response(request)


ASCII = {"us-ascii", "ascii"}


class FormEncodingMiddleware:
    """Answer 400 to a form sent in another encoding than UTF-8, before it is read.

    Django refuses to read such a form, and raises BadRequest; but its 400 handler
    runs the CSRF check again, which reads the form again: a 500 instead, on any
    POST, the admin's login included. Browsers send forms in UTF-8, so whatever
    sends another encoding gets our 400 page, in the reader's language. The CSRF
    check reads the form in process_view, after every middleware's __call__: last
    in MIDDLEWARE, this still comes first, and its page gets the others' headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.encoding is not None and request.encoding.lower() in ASCII:
            # A subset of UTF-8: what some mail programs send for one-click
            # unsubscribing (RFC 8058) is read as the UTF-8 it is.
            request.encoding = "utf-8"
        # The rule Django reads forms by (HttpRequest._load_post_and_files).
        if (
            request.method == "POST"
            and request.content_type == FORM
            and request.encoding is not None
            and request.encoding.lower() != "utf-8"
        ):
            response = render(request, "400.html", status=400)
            log_response(
                "Form not in UTF-8: %s",
                request.path,
                response=response,
                request=request,
            )
            return response
        return self.get_response(request)


class SharedCacheMiddleware:
    """Keep every answer out of shared caches unless its view said it may be kept,
    and never let one that may be kept carry a cookie.

    nginx and CDNs may keep an answer that says nothing about caching; a page
    about a bad link, a form's errors or anything a view forgot to mark would then
    go to the next reader. Public pages say `public` (appeals.pagecache); the rest
    is `private`. A cookie on a kept page would go to every reader of it: Django
    sets a new CSRF cookie on any page for a reader whose cookie is malformed, so
    a public answer drops its cookies here (and the Vary: Cookie that came with
    them: a public answer is the same whatever the cookies).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cache_control = response.get("Cache-Control")
        if cache_control is None:
            patch_cache_control(response, private=True, no_cache=True)
        elif "public" in cache_control:
            response.cookies.clear()
            vary = [v.strip() for v in response.get("Vary", "").split(",")]
            kept = [v for v in vary if v and v.lower() != "cookie"]
            if kept:
                response["Vary"] = ", ".join(kept)
            elif "Vary" in response:
                del response["Vary"]
        return response
