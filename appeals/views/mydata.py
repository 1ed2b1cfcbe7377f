"""A signer's own data: what we hold about an address, sent to that address."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from appeals import services
from appeals.antispam import client_ip
from appeals.forms import DataAccessForm
from appeals.models import OrganizationSignature
from appeals.tokens import Purpose, make_token
from appeals.views.common import data_access_link
from appealsite.crosssite import public_form


@public_form
@require_http_methods(["GET", "HEAD", "POST"])
def my_data_request(request):
    form = DataAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not form.suspicion_reasons():
            services.request_data_access(
                email=form.cleaned_data["email"],
                language=get_language(),
                ip=client_ip(request),
                form_token=form.form_token(),
            )
        return render(request, "appeals/my_data_sent.html")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "appeals/my_data_request.html", {"form": form}, status=status
    )


@never_cache
@require_safe
@data_access_link
def my_data(request, email, token):
    signatures = services.signatures_of(email)
    entries = [
        {
            "signature": signature,
            "withdraw_url": reverse(
                "appeals:withdraw",
                kwargs={"token": make_token(signature, Purpose.WITHDRAW)},
            ),
        }
        for signature in signatures
    ]
    context = {
        "email": email,
        "entries": entries,
        "token": token,
        "high_risk_key_grace_days": settings.HIGH_RISK_KEY_GRACE_DAYS,
    }
    return render(request, "appeals/my_data.html", context)


@never_cache
@require_safe
@data_access_link
def my_data_json(request, email, token):
    data = {
        "email": email,
        "signatures": [
            personal_data(signature) for signature in services.signatures_of(email)
        ],
    }
    response = JsonResponse(
        data, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="my-signatures.json"'
    return response


def personal_data(signature) -> dict:
    """Give a signer everything stored in one of their signatures, to download."""
    fields = [
        field.name
        for field in signature._meta.concrete_fields
        if field.name not in {"id", "appeal", "emails_sent_on", "emails_sent_count"}
    ]
    data = {
        "appeal": signature.appeal.title,
        "appeal_url": signature.appeal.canonical_url,
        "kind": "organization"
        if isinstance(signature, OrganizationSignature)
        else "person",
    }
    for name in fields:
        value = getattr(signature, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return data
