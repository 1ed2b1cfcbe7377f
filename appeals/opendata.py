"""The public data about appeals, as JSON for journalists and other sites.

Only what the appeal page already shows: never anything about a signer.
"""

import hashlib
import json
from datetime import datetime
from typing import NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from appeals.models import Appeal, OrganizationSignature

# Long enough to let a CDN or nginx absorb a spike, short enough to stay current.
PUBLIC_MAX_AGE_SECONDS = 10


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
        "url": appeal.canonical_url,
        "title": appeal.title,
        "addressee": appeal.addressee,
        "summary": appeal.summary,
        "language": appeal.language,
        "status": "open" if original.is_open else original.status,
        "published_at": appeal.published_at,
        "closes_at": original.closes_at,
        "signature_count": original.signature_count,
        "signature_goal": original.signature_goal,
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
            {"language": version.language, "url": version.canonical_url}
            for version in appeal.other_language_versions()
        ],
        "updated_at": max(appeal.last_changed_at, original.last_changed_at),
    }


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


def prepare_json(data: dict, *, last_modified: datetime | None) -> PreparedJSON:
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    return PreparedJSON(
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        last_modified=int(last_modified.timestamp()) if last_modified else None,
    )


def json_response(
    request, data: dict, *, last_modified: datetime | None
) -> HttpResponse:
    """A cacheable, CORS-open JSON answer; 304 when the client already has it."""
    return prepared_json_response(
        request, prepare_json(data, last_modified=last_modified)
    )


def prepared_json_response(request, prepared: PreparedJSON) -> HttpResponse:
    response = get_conditional_response(
        request, etag=prepared.etag, last_modified=prepared.last_modified
    ) or HttpResponse(prepared.body, content_type="application/json")
    response["ETag"] = prepared.etag
    if prepared.last_modified is not None:
        response["Last-Modified"] = http_date(prepared.last_modified)
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE_SECONDS)
    return response
