"""The static copies of the site (appeals.mirror): how to check one, as a page and
as data."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from appeals.mirror import ARCHIVE
from appeals.models import MirrorExport
from appealsite.languages import language_neutral

# Copies found elsewhere may be old: their archives stay listed a good while.
EXPORTS_LISTED = 60


def published_exports() -> list[MirrorExport]:
    return list(MirrorExport.objects.newest_first()[:EXPORTS_LISTED])


@require_safe
def mirror_page(request):
    return render(
        request,
        "appeals/mirror.html",
        {"exports": published_exports(), "archive": ARCHIVE},
    )


@require_safe
@language_neutral
def mirror_json(request):
    """The archives of the copy, newest first, for scripts that check one."""
    data = {
        "site": settings.SITE_URL,
        "onion": settings.ONION_URL or None,
        "archive": ARCHIVE,
        "exports": [
            {
                "as_of": export.as_of.isoformat(),
                "exported_at": export.created_at.isoformat(),
                "sha256": export.sha256,
                "size": export.size,
            }
            for export in published_exports()
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
