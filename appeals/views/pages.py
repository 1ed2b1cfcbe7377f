"""The public pages: the list of appeals, an appeal, its signatories."""

from django.db.models import Prefetch
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from appeals.forms import SignatureForm
from appeals.links import absolute_url
from appeals.models import Appeal, AppealSlug, SigningState
from appeals.pagecache import cached_page
from appeals.pagination import KeysetQueryForm, newest_first_page
from appeals.tokens import ExpiredToken, InvalidToken

LATEST_SIGNATURES_ON_APPEAL_PAGE = 5

SIGNATURES_PER_PAGE = 50


class AppealListView(ListView):
    template_name = "appeals/appeal_list.html"
    context_object_name = "appeals"
    paginate_by = 20

    def get_queryset(self):
        return (
            Appeal.objects.published()
            .originals()
            .with_authors()
            .prefetch_related(
                Prefetch(
                    "translations",
                    queryset=Appeal.objects.published(),
                    to_attr="public_translations",
                )
            )
            .open_first()
        )


def published_appeal(slug: str) -> Appeal:
    appeal = appeal_at_address(Appeal.objects.published(), slug)
    if appeal is None:
        raise Http404
    return appeal


def appeal_at_address(appeals, slug: str) -> Appeal | None:
    """The appeal at this address or at one it had before staff renamed it; or None.

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


def public_appeal_or_redirect(request, slug, view_name, *, appeals=None):
    """Return (appeal, None), or (None, a 301 from a former address to the new one).

    Staff may rename an appeal; links printed or shared with the old address keep
    working.
    """
    appeals = Appeal.objects.published() if appeals is None else appeals
    appeal = appeals.filter(slug=slug).first()
    if appeal is not None:
        return appeal, None
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
    return None, HttpResponsePermanentRedirect(url)


def can_preview(user) -> bool:
    """Staff who may read appeals see drafts and scheduled ones at their address."""
    return user.is_active and user.is_staff and user.has_perm("appeals.view_appeal")


@require_safe
@cached_page
def appeal_detail(request, slug):
    appeals = Appeal.objects.select_related("translation_of").with_authors()
    if not can_preview(request.user):
        appeals = appeals.published()
    appeal, redirect = public_appeal_or_redirect(
        request, slug, "appeals:detail", appeals=appeals
    )
    if redirect:
        return redirect
    response = render_appeal(request, appeal, form=SignatureForm())
    if not appeal.is_public:
        response["Cache-Control"] = "private, no-store"
    return response


def render_appeal(request, appeal, *, form, status=200):
    """The appeal page. A translation shows its own text with the original's
    signatures, count and signing state (all language versions share them)."""
    original = appeal.original
    latest = original.signatures.confirmed().public().order_by("-pk")
    state = original.signing_state
    context = {
        "appeal": appeal,
        "original": original,
        "form": form if state == SigningState.OPEN else None,
        "signing_paused": state == SigningState.PAUSED,
        "latest_signatures": latest[:LATEST_SIGNATURES_ON_APPEAL_PAGE],
        "organization_signatures": original.organization_signatures.public().order_by(
            "confirmed_at", "pk"
        ),
        "delivery_events": original.delivery_events.all(),
        "language_versions": appeal.language_versions() if appeal.is_public else [],
        "canonical_url": appeal.canonical_url,
        "share_image_url": share_image_url(appeal),
        "og_locale": OG_LOCALES.get(appeal.language, appeal.language),
        "embed_url": absolute_url(reverse("appeals:embed", args=[appeal.slug])),
        "json_url": absolute_url(reverse("appeals:json", args=[appeal.slug])),
        "short_url": absolute_url(reverse("appeals:short_link", args=[original.pk])),
        "today": timezone.localdate(),
    }
    return render(request, "appeals/appeal_detail.html", context, status=status)


OG_LOCALES = {"en": "en_US", "uk": "uk_UA", "ru": "ru_RU", "kk": "kk_KZ"}


def share_image_url(appeal: Appeal) -> str:
    """The uploaded share image, or our card (refetched as the count grows)."""
    if appeal.share_image:
        return absolute_url(appeal.share_image.url)
    card = reverse("appeals:card", args=[appeal.slug])
    return absolute_url(f"{card}?v={appeal.original.signature_count}")


def link_problem(request, *, title, message, status, appeal=None):
    context = {"title": title, "message": message, "appeal": appeal}
    return render(request, "appeals/link_problem.html", context, status=status)


def bad_link(request, error: InvalidToken, *, expired_message: str):
    """The page for a link from an email that is too old or not valid."""
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


@require_safe
@cached_page
def signature_list(request, slug):
    appeal, redirect = public_appeal_or_redirect(request, slug, "appeals:signatures")
    if redirect:
        return redirect
    appeal = appeal.original
    query = KeysetQueryForm(request.GET)
    if not query.is_valid():
        return link_problem(
            request,
            title=_("There is no such page"),
            message=_("The page number in the address is not valid."),
            status=400,
            appeal=appeal,
        )
    signatures = (
        appeal.signatures.confirmed()
        .public()
        .only(
            "pk",
            "full_name",
            "city",
            "country",
            "affiliation",
            "comment",
            "comment_status",
        )
    )
    page = newest_first_page(
        signatures,
        before=query.cleaned_data["before"],
        after=query.cleaned_data["after"],
        oldest=query.cleaned_data["oldest"],
        size=SIGNATURES_PER_PAGE,
    )
    return render(
        request, "appeals/signature_list.html", {"appeal": appeal, "page": page}
    )


@require_safe
@cached_page
def privacy(request):
    return render(request, "appeals/privacy.html")
