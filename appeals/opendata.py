"""The public data about appeals, as JSON for journalists and other sites.

Only what the appeal page already shows: never anything about a signer.
"""

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from appeals.links import absolute_url, address_here
from appeals.models import (
    Appeal,
    OrganizationSignature,
    ResponseClock,
    ResponseStatus,
    Update,
)
from appeals.pagecache import public_cache
from appeals.stats import SMALLEST_SHOWN, AppealStats, CountryCount
from appeals.timeline import public_updates, timeline_prefetches
from appealsite.languages import neutral_path


def appeals_for_data(*, include_translations: bool = False):
    """Published appeals with all the JSON needs, in a fixed number of queries.

    Lists show originals, each naming its translations; a translation's own
    address also answers, with the original's count and co-signers.
    """
    appeals = Appeal.objects.published()
    if not include_translations:
        appeals = appeals.originals()
    return (
        appeals.select_related("translation_of")
        .with_authors()
        .prefetch_related(
            Prefetch(
                "translations",
                queryset=Appeal.objects.published(),
                to_attr="public_translations",
            ),
            Prefetch(
                "organization_signatures",
                queryset=OrganizationSignature.objects.public().order_by(
                    "confirmed_at", "pk"
                ),
                to_attr="public_cosignatures",
            ),
            *timeline_prefetches(),
        )
    )


def appeal_data(appeal: Appeal) -> dict:
    """One appeal's public data; the count, status and co-signers are shared by
    all language versions and come from the original."""
    original = appeal.original
    cosignatures = getattr(original, "public_cosignatures", None)
    if cosignatures is None:
        cosignatures = list(
            original.organization_signatures.public().order_by("confirmed_at", "pk")
        )
    return {
        "slug": appeal.slug,
        "url": appeal.shared_url,
        "title": appeal.title,
        "addressee": appeal.addressee,
        "summary": appeal.summary,
        "language": appeal.language,
        "status": "open" if original.is_open else original.status,
        "published_at": appeal.published_at,
        "closes_at": original.closes_at,
        "signature_count": original.signature_count,
        "signature_goal": original.signature_goal,
        "stats_url": absolute_url(reverse("data:stats_json", args=[original.slug])),
        "organization_signature_count": len(cosignatures),
        "authors": [
            {"name": organization.name, "url": organization.website or None}
            for organization in appeal.ordered_authors
        ],
        "cosigning_organizations": [
            {"name": cosignature.organization_name, "url": cosignature.website or None}
            for cosignature in cosignatures
        ],
        "translations": [
            {"language": version.language, "url": version.shared_url}
            for version in appeal.other_language_versions()
        ],
        "updates": [
            update_data(update, appeal=appeal) for update in public_updates(appeal)
        ],
        "response": response_data(original.response_clock),
        "updated_at": max(appeal.last_changed_at, original.last_changed_at),
    }


def update_data(update: Update, *, appeal: Appeal) -> dict:
    """A published update, in the language version `appeal` (its title, its page)."""
    text = update.text_for(appeal)
    return {
        "title": text.title,
        "published_at": update.published_at,
        "url": text.shared_url,
    }


def response_data(clock: ResponseClock | None) -> dict:
    """Where the appeal stands with its addressee: the response clock's dates.

    `days_waiting` counts from the latest delivery until the reply, or until today
    while there is none.
    """
    if clock is None:
        return {
            "status": ResponseStatus.NOT_DELIVERED,
            "delivered_on": None,
            "days_waiting": None,
            "replied_on": None,
            "reply_summary": None,
        }
    return {
        "status": clock.status,
        "delivered_on": clock.delivered_on,
        "days_waiting": clock.days_waiting,
        "replied_on": clock.reply.occurred_on if clock.reply else None,
        "reply_summary": clock.reply_summary or None,
    }


def changed_at(appeal: Appeal) -> datetime:
    """When the appeal's data last changed, for Last-Modified: the appeal, its
    count, its updates, its delivery record; and today's start while the days
    waiting for a reply are counting."""
    original = appeal.original
    times = [appeal.last_changed_at, original.last_changed_at]
    for update in public_updates(appeal):
        times += [update.published_at, update.updated_at]
    times += [event.created_at for event in original.delivery_events.all()]
    clock = original.response_clock
    if clock is not None and clock.is_waiting:
        times.append(
            timezone.make_aware(
                datetime.combine(timezone.localdate(), datetime.min.time())
            )
        )
    return max(times)


def stats_data(figures: AppealStats, *, appeal: Appeal, request) -> dict:
    """An appeal's signatures by country and by day (appeals.stats explains what
    is counted and which counts are left out); country names in English."""
    slug = appeal.original.slug
    with translation.override("en"):
        countries = [country_data(country) for country in figures.countries]
    return {
        "slug": slug,
        "url": address_here(request, neutral_path(appeal.original.get_absolute_url())),
        "csv_url": address_here(request, reverse("data:stats_csv", args=[slug])),
        "signature_count": figures.total,
        "smallest_count_shown": SMALLEST_SHOWN,
        "by_country": countries,
        "by_day": [
            {"date": day.date, "signatures": day.count, "total": day.total}
            for day in figures.days
        ],
        "updated_at": datetime.fromtimestamp(figures.made_at, tz=UTC),
    }


def country_data(country: CountryCount) -> dict:
    if country.is_suppressed:
        return {
            "country": country.code,
            "name": country.name,
            "count": None,
            "fewer_than": SMALLEST_SHOWN,
        }
    return {"country": country.code, "name": country.name, "count": country.count}


def count_data(slug: str) -> dict | None:
    """The count of the published appeal at this address, or None."""
    appeal = Appeal.objects.published().at_address(slug)
    if appeal is None:
        return None
    original = appeal.original
    return {
        "signature_count": original.signature_count,
        "updated_at": original.last_changed_at,
    }


class PreparedJSON(NamedTuple):
    """A JSON answer's body and validators, built once and served many times."""

    body: bytes
    etag: str
    last_modified: int | None  # Whole seconds: HTTP dates have no more.
    made_at: float  # A timestamp: its data is as old as this.


def prepare_json(
    data: dict, *, last_modified: datetime | None, made_at: float | None = None
) -> PreparedJSON:
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    return prepare_body(body, last_modified=last_modified, made_at=made_at)


def prepare_body(
    body: bytes, *, last_modified: datetime | None, made_at: float | None = None
) -> PreparedJSON:
    """Prepare an answer's body (JSON, or CSV) with its validators; `made_at` is
    when its data was read, if not now."""
    return PreparedJSON(
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        last_modified=int(last_modified.timestamp()) if last_modified else None,
        made_at=time.time() if made_at is None else made_at,
    )


def json_response(
    request, data: dict, *, last_modified: datetime | None
) -> HttpResponse:
    """A cacheable, CORS-open JSON answer; 304 when the client already has it."""
    return prepared_json_response(
        request,
        prepare_json(data, last_modified=last_modified),
        fresh_seconds=settings.PAGE_FRESH_SECONDS,
    )


def prepared_json_response(
    request,
    prepared: PreparedJSON,
    *,
    fresh_seconds: int,
    content_type: str = "application/json",
) -> HttpResponse:
    """Answer with prepared JSON, kept by caches no longer than fresh_seconds
    from the moment it was prepared (appeals.pagecache.public_cache)."""
    response = get_conditional_response(
        request, etag=prepared.etag, last_modified=prepared.last_modified
    ) or HttpResponse(prepared.body, content_type=content_type)
    response["ETag"] = prepared.etag
    if prepared.last_modified is not None:
        response["Last-Modified"] = http_date(prepared.last_modified)
    response["Access-Control-Allow-Origin"] = "*"
    if response.status_code == 412:
        return response  # One reader's precondition: no cache may keep it.
    public_cache(
        response, fresh_seconds=fresh_seconds, age=time.time() - prepared.made_at
    )
    return response
