"""Signing, confirming and withdrawing, by a person or for an organization."""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from appeals import localcache, services
from appeals.antispam import client_ip
from appeals.forms import OrganizationSignatureForm, SignatureForm
from appeals.models import (
    Appeal,
    MirrorExport,
    OrganizationSignature,
    Signature,
    SigningState,
)
from appeals.sharing import share_links
from appeals.tokens import InvalidToken, Purpose, make_token, read_token
from appeals.views.common import (
    appeal_at_address,
    link_problem,
    published_appeal,
    signature_link,
)
from appeals.views.log import receipt_context
from appeals.views.pages import render_appeal
from appealsite.crosssite import public_form
from appealsite.languages import language_to_write_in


def signable_appeal(slug: str) -> Appeal:
    """Find a sign form's appeal, asking the database at most once a second per process.

    In a wave every signer posts to the same appeal; asking for it each time weighed
    on every signature (README "Performance").
    """
    appeal = localcache.get_or_set(
        f"appeals:signable:{slug}",
        localcache.SIGNABLE_APPEAL_SECONDS,
        lambda: appeal_at_address(Appeal.objects.published(), slug),
    )
    if appeal is None:
        raise Http404
    return appeal


@public_form
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign(request, slug):
    appeal = signable_appeal(slug)
    if request.method != "POST":
        return redirect(appeal)
    if refusal := signing_refusal(request, appeal.original):
        return refusal
    form = SignatureForm(request.POST, appeal=appeal.original)
    if not form.is_valid():
        return render_appeal(request, appeal, form=form, status=400)
    try:
        services.sign_appeal(
            appeal=appeal.original,
            data={**form.model_data(), "appeal_version": appeal},
            language=language_to_write_in(appeal.language),
            ip=client_ip(request),
            suspicions=form.suspicion_reasons(),
            form_token=form.form_token(),
        )
    except ValidationError:
        return signing_refusal(request, appeal.original)
    return HttpResponseRedirect(check_email_url(appeal.slug, get_language()))


@functools.lru_cache(maxsize=1024)
def check_email_url(slug: str, language: str) -> str:
    """Build the address every sign form leads to once per process, not per signer.

    The language is part of the key: reverse() puts the active one in the address.
    """
    return reverse("appeals:check_email", kwargs={"slug": slug})


@public_form
@require_http_methods(["GET", "HEAD", "POST"])
def organization_sign(request, slug):
    appeal = published_appeal(slug)
    if refusal := signing_refusal(request, appeal.original):
        return refusal
    data = request.POST if request.method == "POST" else None
    form = OrganizationSignatureForm(data)
    if data is None or not form.is_valid():
        context = {
            "appeal": appeal,
            "form": form,
            "high_risk_key_grace_days": settings.HIGH_RISK_KEY_GRACE_DAYS,
            "high_risk_retention_days": settings.HIGH_RISK_SIGNER_DATA_RETENTION_DAYS,
        }
        return render(
            request,
            "appeals/organization_sign.html",
            context,
            status=200 if data is None else 400,
        )
    try:
        services.cosign_appeal(
            appeal=appeal.original,
            data=form.model_data(),
            language=language_to_write_in(appeal.language),
            ip=client_ip(request),
            suspicions=form.suspicion_reasons(),
            form_token=form.form_token(),
        )
    except ValidationError:
        return signing_refusal(request, appeal.original)
    return redirect("appeals:check_email", slug=appeal.slug)


def render_closed(request, appeal):
    return render(
        request, "appeals/signing_closed.html", {"appeal": appeal}, status=403
    )


def signing_refusal(request, appeal):
    """Explain why this appeal takes no signature now; return None if it does."""
    state = appeal.signing_state
    if state == SigningState.CLOSED:
        return render_closed(request, appeal)
    if state == SigningState.PAUSED:
        return render(
            request, "appeals/signing_paused.html", {"appeal": appeal}, status=403
        )
    return None


@never_cache
@require_safe
def check_email(request, slug):
    """End every sign submission here, whatever the address's history.

    A signer is keenest now: the page asks them to pass the appeal on.
    """
    appeal = published_appeal(slug)
    context = {
        "appeal": appeal,
        "share_url": appeal.shared_url,
        "share_links": share_links(url=appeal.shared_url, title=appeal.title),
    }
    return render(request, "appeals/check_email.html", context)


@public_form
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signature_link(Purpose.CONFIRM)
def confirm(request, signature):
    appeal = signature.appeal
    if signature.status == signature.Status.CONFIRMED:
        return link_problem(
            request,
            title=_("Your signature is already confirmed"),
            message=_("Thank you: it is counted. There is nothing more to do."),
            status=409,
            appeal=appeal,
        )
    if signature.status != signature.Status.PENDING:
        return link_problem(
            request,
            title=_("This signature can no longer be confirmed"),
            message=_("It was withdrawn or removed. You can sign the appeal again."),
            status=409,
            appeal=appeal,
        )
    if not appeal.accepts_confirmations:
        return render_closed(request, appeal)
    # The letter as the signer read it: its title here, its page to thank them on.
    read = signature.appeal_read if signature.appeal_read.is_public else appeal
    if request.method == "POST":
        try:
            services.confirm_signature(signature=signature)
        except ValidationError:
            return render_closed(request, appeal)
        if isinstance(signature, OrganizationSignature):
            return redirect("appeals:organization_thanks", slug=read.slug)
        # The thank-you page shows the signer's receipt (the token names them).
        token = make_token(signature, Purpose.RECEIPT)
        thanks = reverse("appeals:thanks", kwargs={"slug": read.slug})
        return HttpResponseRedirect(f"{thanks}?{urlencode({'receipt': token})}")
    return render(
        request, "appeals/confirm.html", {"appeal": read, "signature": signature}
    )


@public_form
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signature_link(Purpose.WITHDRAW)
def withdraw(request, signature):
    appeal = signature.appeal
    if signature.is_anonymized:
        return link_problem(
            request,
            title=_("This signature is anonymized"),
            message=_(
                "Its personal data was erased after the appeal closed; only the "
                "count and the country remain."
            ),
            status=410,
            appeal=appeal,
        )
    if signature.status == signature.Status.WITHDRAWN:
        return link_problem(
            request,
            title=_("This signature is already withdrawn"),
            message=_(
                "It is no longer counted or shown, and its personal data is erased."
            ),
            status=409,
            appeal=appeal,
        )
    if request.method == "POST":
        services.withdraw_signature(signature=signature)
        return redirect("appeals:withdrawn", slug=appeal.slug)
    return render(
        request,
        "appeals/withdraw.html",
        {
            "appeal": appeal,
            "signature": signature,
            "copies": MirrorExport.objects.exists(),
        },
    )


@never_cache
@require_safe
def withdrawn(request, slug):
    appeal = published_appeal(slug)
    return render(request, "appeals/withdrawn.html", {"appeal": appeal})


@never_cache
@require_safe
def thanks(request, slug):
    appeal = published_appeal(slug)
    url = appeal.shared_url
    context = {
        "appeal": appeal,
        "signature_count": appeal.original.current_signature_count(),
        "share_url": url,
        "share_links": share_links(url=url, title=appeal.title),
    }
    if token := request.GET.get("receipt"):
        try:
            signature = read_token(token, Purpose.RECEIPT)
        except InvalidToken:
            signature = None
        if (
            isinstance(signature, Signature)
            and signature.appeal_id == appeal.original.pk
        ):
            # The receipt's, but the thank-you page stays that of the version read.
            context = {**receipt_context(signature), **context, "has_receipt": True}
    return render(request, "appeals/thanks.html", context)


@never_cache
@require_safe
def organization_thanks(request, slug):
    appeal = published_appeal(slug)
    return render(request, "appeals/organization_thanks.html", {"appeal": appeal})
