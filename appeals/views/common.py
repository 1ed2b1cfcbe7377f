"""What several views share: finding the appeal at an address, reading emailed links.

A view that takes an appeal or a link is decorated, in the manner of Django's own
require_GET: the decorator turns the slug or token in the URL into the appeal, the
signature or the address, and answers by itself when there is none (a redirect from
a former address, a 404, a page about a bad link). The view starts from what it
needs and never checks a lookup that failed.
"""

from collections.abc import Callable
from functools import wraps

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from appeals.models import Appeal, AppealQuerySet, AppealSlug
from appeals.tokens import (
    ExpiredToken,
    InvalidToken,
    Purpose,
    read_data_access_token,
    read_token,
)

View = Callable[..., HttpResponse]


def published_appeals(request: HttpRequest) -> AppealQuerySet:
    """Show the public only the appeals past their draft and their start."""
    return Appeal.objects.published()


def public_appeal(
    view_name: str,
    *,
    appeals: Callable[[HttpRequest], AppealQuerySet] = published_appeals,
) -> Callable[[View], View]:
    """Hand the view the appeal at its slug; send a renamed appeal's old links on."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
            shown = appeals(request)
            appeal = shown.filter(slug=slug).first()
            if appeal is None:
                return redirect_from_former_address(
                    request, slug, view_name, appeals=shown
                )
            return view(request, appeal)

        return wrapper

    return decorator


def redirect_from_former_address(
    request: HttpRequest, slug: str, view_name: str, *, appeals: AppealQuerySet
) -> HttpResponsePermanentRedirect:
    """Keep links printed before staff renamed the appeal working; else raise 404."""
    former = (
        AppealSlug.objects.filter(slug=slug, appeal__in=appeals)
        .select_related("appeal")
        .first()
    )
    if former is None:
        raise Http404
    url = reverse(view_name, kwargs={"slug": former.appeal.slug})
    if request.GET:
        url += "?" + request.GET.urlencode()
    return HttpResponsePermanentRedirect(url)


def published_appeal(slug: str) -> Appeal:
    """Find the published appeal at this slug or a former one, or raise Http404."""
    appeal = appeal_at_address(Appeal.objects.published(), slug)
    if appeal is None:
        raise Http404
    return appeal


def appeal_at_address(appeals: AppealQuerySet, slug: str) -> Appeal | None:
    """Find the appeal at this slug, or at one it had before staff renamed it.

    The sign forms and the pages after them answer at a former address too: a page
    opened before the rename still sends its signature there, and it must count.
    """
    appeal = appeals.at_address(slug)
    if appeal is None:
        appeal = (
            appeals.select_related("translation_of")
            .filter(old_slugs__slug=slug)
            .first()
        )
    return appeal


def signature_link(purpose: Purpose) -> Callable[[View], View]:
    """Hand the view the signature an emailed link names; explain a link that fails."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            try:
                signature = read_token(token, purpose)
            except InvalidToken as error:
                return bad_link(
                    request,
                    error,
                    expired_message=_(
                        "Confirmation links work for 7 days. Sign the appeal again "
                        "with the same address and we will send you a new link."
                    ),
                )
            return view(request, signature)

        return wrapper

    return decorator


def data_access_link(view: View) -> View:
    """Hand the view a data link's address and token; explain a link that fails."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        try:
            email = read_data_access_token(token)
        except InvalidToken as error:
            return bad_link(
                request,
                error,
                expired_message=_(
                    "Links to your data work for 24 hours. Ask for a new one on the "
                    "“Your data” page."
                ),
            )
        return view(request, email, token)

    return wrapper


def bad_link(
    request: HttpRequest, error: InvalidToken, *, expired_message: str
) -> HttpResponse:
    """Tell someone following an emailed link what to do when it no longer works."""
    if isinstance(error, ExpiredToken):
        return link_problem(
            request,
            title=_("This link has expired"),
            message=expired_message,
            status=410,
        )
    return link_problem(
        request,
        title=_("This link is not valid"),
        message=_(
            "The link may be incomplete: copy the whole address from the email "
            "into your browser."
        ),
        status=400,
    )


def link_problem(
    request: HttpRequest,
    *,
    title: str,
    message: str,
    status: int,
    appeal: Appeal | None = None,
) -> HttpResponse:
    """Explain, on one page for every link, why it leads nowhere useful."""
    context = {"title": title, "message": message, "appeal": appeal}
    return render(request, "appeals/link_problem.html", context, status=status)
