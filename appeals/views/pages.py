"""The public pages: the list of appeals, an appeal, its signatories."""

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from appeals import charts, sharing, stats, structured
from appeals.forms import SignatureForm
from appeals.links import absolute_url, address_here, link_here
from appeals.mirror import is_mirror
from appeals.models import Appeal, AppealQuerySet, MirrorExport, SigningState
from appeals.pagination import KeysetQueryForm, newest_first_page
from appeals.timeline import timeline, timeline_prefetches
from appeals.views.common import link_problem, public_appeal
from appealsite.languages import switcher_position

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
                ),
                "delivery_events",  # For each card's response clock.
            )
            .open_first()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        first_page = not context["is_paginated"] or context["page_obj"].number == 1
        if first_page:
            context["awaiting_reply"] = awaiting_reply()
        address = reverse("appeals:list")
        if not first_page:
            address += f"?page={context['page_obj'].number}"
        context["canonical_url"] = absolute_url(address)
        context["share_image_url"] = absolute_url(reverse("appeals:site_card"))
        context["og_locale"] = OG_LOCALES.get(get_language(), get_language())
        return context


AWAITING_REPLY_ON_HOME_PAGE = 10


def awaiting_reply() -> list[Appeal]:
    """Appeals delivered and still without a reply, the longest waiting first.

    Archived ones are left out: staff archive an appeal they no longer pursue.
    """
    return list(
        Appeal.objects.published()
        .originals()
        .exclude(status=Appeal.Status.ARCHIVED)
        .awaiting_reply()
        .prefetch_related("delivery_events")
        .order_by("delivered_on", "pk")[:AWAITING_REPLY_ON_HOME_PAGE]
    )


def can_preview(user) -> bool:
    """Let staff who may read appeals check drafts and scheduled ones before launch."""
    return user.is_active and user.is_staff and user.has_perm("appeals.view_appeal")


def appeals_shown_to(request: HttpRequest) -> AppealQuerySet:
    """Show the public published appeals only, and staff who may preview every one.

    Only a reader with a session can be staff: for the others request.user is not
    asked, as asking reads the session and makes the page vary by cookie (no cache
    could keep it).
    """
    appeals = Appeal.objects.select_related("translation_of").with_authors()
    has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
    if not (has_session and can_preview(request.user)):
        appeals = appeals.published()
    return appeals


@require_safe
@public_appeal("appeals:detail", appeals=appeals_shown_to)
def appeal_detail(request, appeal):
    response = render_appeal(
        request, appeal, form=SignatureForm(appeal=appeal.original)
    )
    if not appeal.is_public:
        response["Cache-Control"] = "private, no-store"
    return response


def render_appeal(request, appeal, *, form, status=200):
    """Render an appeal; a translation shares its original's signatures and state."""
    original = appeal.original
    prefetch_related_objects([original], *timeline_prefetches())
    latest = original.signatures.confirmed().public().order_by("-pk")
    state = original.signing_state
    interface = get_language()
    # The version in the reader's interface language first, then the switcher's order.
    versions = sorted(
        appeal.language_versions() if appeal.is_public else [],
        key=lambda v: (v.language != interface, switcher_position(v.language)),
    )
    image_url = share_image_url(appeal)
    # The letter in the reader's interface language, if it is another version.
    interface_version = next(
        (v for v in versions if v.language == interface and v.pk != appeal.pk), None
    )
    context = {
        "appeal": appeal,
        "original": original,
        "interface_version": interface_version,
        "only_in_its_language": appeal.language != interface and len(versions) <= 1,
        "form": form if state == SigningState.OPEN else None,
        "signing_paused": state == SigningState.PAUSED,
        "latest_signatures": latest[:LATEST_SIGNATURES_ON_APPEAL_PAGE],
        "organization_signatures": original.organization_signatures.public().order_by(
            "confirmed_at", "pk"
        ),
        "response_clock": original.response_clock,
        "timeline": timeline(appeal),
        "feed_url": link_here(request, reverse("appeals:feed", args=[appeal.slug])),
        "language_versions": versions,
        "canonical_url": appeal.canonical_url,
        "share_image_url": image_url,
        "structured_data": (
            structured.ld_json(structured.appeal_data(appeal, image_url=image_url))
            if appeal.is_public
            else ""
        ),
        "og_locale": OG_LOCALES.get(appeal.language, appeal.language),
        # In this page's language: an address without one would send every view
        # of every embed through a redirect no cache may keep.
        "embed_url": absolute_url(reverse("appeals:embed", args=[appeal.slug])),
        "json_url": link_here(request, reverse("data:json", args=[appeal.slug])),
        "short_url": address_here(request, reverse("short_link", args=[original.pk])),
        "share_url": appeal.shared_url,
        "share_links": sharing.share_links(url=appeal.shared_url, title=appeal.title),
        "today": timezone.localdate(),
        "high_risk_key_grace_days": settings.HIGH_RISK_KEY_GRACE_DAYS,
        "high_risk_retention_days": settings.HIGH_RISK_SIGNER_DATA_RETENTION_DAYS,
    }
    return render(request, "appeals/appeal_detail.html", context, status=status)


OG_LOCALES = {"en": "en_US", "uk": "uk_UA", "ru": "ru_RU", "kk": "kk_KZ"}


def share_image_url(appeal: Appeal) -> str:
    """Return the uploaded share image, else our card, refetched as the count grows."""
    if appeal.share_image:
        return absolute_url(appeal.share_image.url)
    card = reverse("appeals:card", args=[appeal.slug])
    return absolute_url(f"{card}?v={appeal.original.signature_count}")


@require_safe
@public_appeal("appeals:signatures")
def signature_list(request, appeal):
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
    context = {"appeal": appeal, "page": page}
    if not any(query.cleaned_data.values()):  # The first page has the figures.
        context.update(figures_context(request, appeal))
    return render(request, "appeals/signature_list.html", context)


def figures_context(request, appeal: Appeal) -> dict:
    """Signatures by country and day by day, drawn and as tables (appeals.stats)."""
    figures = stats.appeal_stats(appeal)
    if not figures.total:
        return {}
    shown = figures.shown_countries
    # Those without a count by name, in the reader's language; "other countries" last.
    small = sorted(
        (country for country in figures.countries if country.is_suppressed),
        key=lambda country: (country.code is None, country.name),
    )
    return {
        "figures": figures,
        "countries": [*shown, *small],
        "smallest_count_shown": stats.SMALLEST_SHOWN,
        "country_chart": charts.country_chart(figures),
        "total_chart": charts.total_chart(figures),
        "daily_chart": charts.daily_chart(figures),
        "stats_json_url": reverse("data:stats_json", args=[appeal.slug]),
        "stats_csv_url": reverse("data:stats_csv", args=[appeal.slug]),
    }


@require_safe
@public_appeal("appeals:share_mastodon")
def share_mastodon(request, appeal):
    """Lead on to the reader's own Mastodon server, with a post about the appeal.

    A page with a link rather than a redirect: an address of ours must not send
    anyone to a server someone else named in it.
    """
    server = sharing.mastodon_server(request.GET.get("server", ""))
    context = {"appeal": appeal, "server": server}
    if server is None:
        return render(request, "appeals/share_mastodon.html", context, status=400)
    context["share_url"] = sharing.mastodon_share_url(
        server, url=appeal.shared_url, title=appeal.title
    )
    return render(request, "appeals/share_mastodon.html", context)


@require_safe
def privacy(request):
    # A copy of the site is a copy whatever exports came before it (deterministic).
    copies = is_mirror(request) or MirrorExport.objects.exists()
    return render(request, "appeals/privacy.html", {"copies": copies})
