"""What a request may claim about itself, settled before anything reads it."""

from django.shortcuts import render
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
