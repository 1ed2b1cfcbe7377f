"""For journalists and other sites: short links, JSON, an appeal's feed, the embed,
the share card."""

from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from appeals import localcache, opendata, stats
from appeals.cards import card_png, site_card_png
from appeals.feeds import AppealTimelineFeed
from appeals.links import absolute_url, address_here
from appeals.models import Appeal
from appeals.pagecache import public_cache
from appeals.services import signature_log
from appeals.views.common import public_appeal, redirect_from_former_address
from appealsite.languages import language_neutral, neutral_path
from appealsite.spreadsheets import csv_bytes

APPEALS_PER_JSON_PAGE = 50

# The embed is the one page other sites may frame; it loads nothing but our CSS.
EMBED_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": ["*"],
}


@language_neutral
@require_safe
def short_link(request, number):
    """Send /a/<number>/, short for print and SMS, on to the appeal's address
    without a language: each reader goes on from there to theirs."""
    appeal = get_object_or_404(Appeal.objects.published(), pk=number)
    response = HttpResponsePermanentRedirect(neutral_path(appeal.get_absolute_url()))
    public_cache(response, fresh_seconds=settings.PAGE_FRESH_SECONDS)
    return response


def open_data(view):
    """Mark a view of the open data: the same in every language, read-only, and
    readable by a script on any site, its errors and redirects too (a widget
    elsewhere would otherwise see a CORS failure where we said 404)."""

    safe_view = require_safe(view)

    @language_neutral
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = safe_view(request, *args, **kwargs)
        except Http404:
            response = json_error(_("There is no appeal at this address."), status=404)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


@open_data
@public_appeal("data:json")
def appeal_json(request, appeal):
    appeal = get_object_or_404(
        opendata.appeals_for_data(include_translations=True), pk=appeal.pk
    )
    data = opendata.appeal_data(appeal)
    last_modified = opendata.changed_at(appeal)
    checkpoint = signature_log.latest_checkpoint(appeal)
    data["signature_log"] = {
        "checkpoints": signature_log.checkpoints_url(appeal),
        "latest_checkpoint": checkpoint and signature_log.checkpoint_data(checkpoint),
    }
    if checkpoint:
        last_modified = max(last_modified, checkpoint.made_at)
    return opendata.json_response(request, data, last_modified=last_modified)


@open_data
def appeals_json(request):
    """List published appeals, newest first, by page; ?status=open|closed filters."""
    appeals = opendata.appeals_for_data().order_by("-published_at", "-pk")
    status = request.GET.get("status", "")
    if status == "open":
        appeals = appeals.filter(pk__in=Appeal.objects.open().values("pk"))
    elif status == "closed":
        appeals = appeals.exclude(pk__in=Appeal.objects.open().values("pk"))
    elif status:
        return json_error(_("status must be “open” or “closed”."))
    paginator = Paginator(appeals, APPEALS_PER_JSON_PAGE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        return json_error(_("There is no such page."))
    items = list(page)

    def page_url(number):
        query = f"?page={number}" + (f"&status={status}" if status else "")
        return absolute_url(reverse("data:list_json") + query)

    data = {
        "count": paginator.count,
        "next": page_url(page.next_page_number()) if page.has_next() else None,
        "previous": (
            page_url(page.previous_page_number()) if page.has_previous() else None
        ),
        "results": [opendata.appeal_data(appeal) for appeal in items],
    }
    last_modified = max(map(opendata.changed_at, items), default=None)
    return opendata.json_response(request, data, last_modified=last_modified)


def json_error(message: str, *, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@open_data
def count_json(request, slug):
    """Answer pollers with just the count."""
    prepared = localcache.get_or_set(
        f"appeals:count-json:{slug}",
        localcache.COUNT_SECONDS,
        lambda: _prepared_count(slug),
    )
    if prepared is None:  # Not a current address: a former one redirects, else 404.
        return redirect_from_former_address(
            request, slug, "data:count_json", appeals=Appeal.objects.published()
        )
    return opendata.prepared_json_response(
        request, prepared, fresh_seconds=settings.COUNT_FRESH_SECONDS
    )


def _prepared_count(slug: str) -> opendata.PreparedJSON | None:
    """Build the count's JSON once a second per worker, however many poll it."""
    data = opendata.count_data(slug)
    if data is None:
        return None
    return opendata.prepare_json(data, last_modified=data["updated_at"])


@open_data
@public_appeal("data:stats_json")
def stats_json(request, appeal):
    """Signatures by country and by day (appeals.stats), as old as those figures."""
    figures = stats.appeal_stats(appeal)
    data = opendata.stats_data(figures, appeal=appeal, request=request)
    prepared = opendata.prepare_json(
        data, last_modified=data["updated_at"], made_at=figures.made_at
    )
    return opendata.prepared_json_response(
        request, prepared, fresh_seconds=stats.STATS_SECONDS
    )


@open_data
@public_appeal("data:stats_csv")
def stats_csv(request, appeal):
    """Signatures day by day as CSV, for a spreadsheet."""
    figures = stats.appeal_stats(appeal)
    rows = [["date", "signatures", "total"]]
    rows += [[day.date.isoformat(), day.count, day.total] for day in figures.days]
    prepared = opendata.prepare_body(
        b"".join(csv_bytes(rows)),
        last_modified=datetime.fromtimestamp(figures.made_at, tz=UTC),
        made_at=figures.made_at,
    )
    response = opendata.prepared_json_response(
        request,
        prepared,
        fresh_seconds=stats.STATS_SECONDS,
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{appeal.original.slug}-signatures-by-day.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@public_appeal("appeals:feed")
def appeal_feed(request, appeal):
    """The appeal's updates and delivery events as an Atom feed."""
    return AppealTimelineFeed()(request, appeal=appeal)


@xframe_options_exempt
@csp_override(EMBED_CSP)
@require_safe
@public_appeal("appeals:embed")
def embed(request, appeal):
    response = render(
        request,
        "appeals/embed.html",
        {
            "appeal": appeal,
            "appeal_url": address_here(request, appeal.get_absolute_url()),
        },
    )
    public_cache(response, fresh_seconds=settings.PAGE_FRESH_SECONDS)
    return response


@require_safe
@public_appeal("appeals:card")
def share_card(request, appeal):
    response = HttpResponse(card_png(appeal), content_type="image/png")
    patch_cache_control(response, public=True, max_age=300)
    return response


@require_safe
def site_card(request):
    """The home page's share card, in the page's language."""
    description = _(
        "Open appeals by human-rights organizations. Read them and add your signature."
    )
    response = HttpResponse(site_card_png(description), content_type="image/png")
    patch_cache_control(response, public=True, max_age=300)
    return response


@language_neutral
@require_safe
def robots_txt(request):
    personal = ["/signatures/", "/my-data/"]  # Emailed links; in every language.
    prefixes = ["", *(f"/{code}" for code, _name in settings.LANGUAGES)]
    lines = [
        "User-agent: *",
        f"Disallow: /{settings.ADMIN_URL}",
        *(f"Disallow: {prefix}{path}" for prefix in prefixes for path in personal),
        f"Sitemap: {absolute_url(reverse('sitemap'))}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
    public_cache(response, fresh_seconds=settings.PAGE_FRESH_SECONDS)
    return response
