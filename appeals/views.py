from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.generic import ListView

from appeals import services
from appeals.antispam import client_ip
from appeals.emails import absolute_url
from appeals.forms import DataAccessForm, OrganizationSignatureForm, SignatureForm
from appeals.models import Appeal, OrganizationSignature
from appeals.pagination import KeysetQueryForm, newest_first_page
from appeals.sharing import share_links
from appeals.tokens import (
    ExpiredToken,
    InvalidToken,
    Purpose,
    make_token,
    read_data_access_token,
    read_token,
)

LATEST_SIGNATURES_ON_APPEAL_PAGE = 5
SIGNATURES_PER_PAGE = 50


class AppealListView(ListView):
    template_name = "appeals/appeal_list.html"
    context_object_name = "appeals"
    paginate_by = 20

    def get_queryset(self):
        return Appeal.objects.published().with_authors().open_first()


def published_appeal(slug: str) -> Appeal:
    return get_object_or_404(Appeal.objects.published().with_authors(), slug=slug)


def can_preview(user) -> bool:
    """Staff who may read appeals see drafts and scheduled ones at their address."""
    return user.is_active and user.is_staff and user.has_perm("appeals.view_appeal")


@require_GET
def appeal_detail(request, slug):
    appeals = Appeal.objects.with_authors()
    if not can_preview(request.user):
        appeals = appeals.published()
    appeal = get_object_or_404(appeals, slug=slug)
    response = render_appeal(request, appeal, form=SignatureForm())
    if not appeal.is_public:
        response["Cache-Control"] = "private, no-store"
    return response


def render_appeal(request, appeal, *, form, status=200):
    latest = appeal.signatures.confirmed().public().order_by("-pk")
    paused = appeal.is_open and services.signing_paused(appeal)
    context = {
        "appeal": appeal,
        "form": form if appeal.is_open and not paused else None,
        "signing_paused": paused,
        "latest_signatures": latest[:LATEST_SIGNATURES_ON_APPEAL_PAGE],
        "organization_signatures": appeal.organization_signatures.public().order_by(
            "confirmed_at", "pk"
        ),
        "delivery_events": appeal.delivery_events.all(),
    }
    return render(request, "appeals/appeal_detail.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def sign(request, slug):
    appeal = published_appeal(slug)
    if request.method == "GET":
        return redirect(appeal)
    if refusal := refuse_signing(request, appeal):
        return refusal
    form = SignatureForm(request.POST)
    if not form.is_valid():
        return render_appeal(request, appeal, form=form, status=400)
    try:
        services.sign_appeal(
            appeal=appeal,
            data=signer_data(form),
            language=get_language(),
            ip=client_ip(request),
            suspicions=form.suspicion_reasons(),
        )
    except ValidationError:
        return refuse_signing(request, appeal)
    return redirect("appeals:check_email", slug=appeal.slug)


def signer_data(form) -> dict:
    """The model fields of a valid public form, without its spam traps."""
    return {
        name: value
        for name, value in form.cleaned_data.items()
        if name not in form.trap_fields
    }


@never_cache
@require_http_methods(["GET", "POST"])
def organization_sign(request, slug):
    appeal = published_appeal(slug)
    if refusal := refuse_signing(request, appeal):
        return refusal
    data = request.POST if request.method == "POST" else None
    form = OrganizationSignatureForm(data)
    if request.method == "GET" or not form.is_valid():
        return render(
            request,
            "appeals/organization_sign.html",
            {"appeal": appeal, "form": form},
            status=200 if request.method == "GET" else 400,
        )
    try:
        services.cosign_appeal(
            appeal=appeal,
            data=signer_data(form),
            language=get_language(),
            ip=client_ip(request),
            suspicions=form.suspicion_reasons(),
        )
    except ValidationError:
        return refuse_signing(request, appeal)
    return redirect("appeals:check_email", slug=appeal.slug)


def render_closed(request, appeal):
    return render(
        request, "appeals/signing_closed.html", {"appeal": appeal}, status=403
    )


def refuse_signing(request, appeal):
    """A page saying why this appeal takes no signature now, or None if it does."""
    if not appeal.is_open:
        return render_closed(request, appeal)
    if services.signing_paused(appeal):
        return render(
            request, "appeals/signing_paused.html", {"appeal": appeal}, status=403
        )
    return None


@never_cache
@require_GET
def check_email(request, slug):
    """The page every sign submission ends on, whatever the address's history."""
    appeal = published_appeal(slug)
    return render(request, "appeals/check_email.html", {"appeal": appeal})


def link_problem(request, *, title, message, status, appeal=None):
    context = {"title": title, "message": message, "appeal": appeal}
    return render(request, "appeals/link_problem.html", context, status=status)


def signature_from_link(request, token, purpose):
    """Return (signature, None) for a good link, or (None, an error response)."""
    try:
        return read_token(token, purpose), None
    except ExpiredToken:
        return None, link_problem(
            request,
            title=_("This link has expired"),
            message=_(
                "Confirmation links work for 7 days. Sign the appeal again with the "
                "same address and we will send you a new link."
            ),
            status=410,
        )
    except InvalidToken:
        return None, link_problem(
            request,
            title=_("This link is not valid"),
            message=_(
                "The link may be incomplete: copy the whole address from the email "
                "into your browser."
            ),
            status=400,
        )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    signature, problem = signature_from_link(request, token, Purpose.CONFIRM)
    if problem:
        return problem
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
    if request.method == "POST":
        try:
            services.confirm_signature(signature=signature)
        except ValidationError:
            return render_closed(request, appeal)
        if isinstance(signature, OrganizationSignature):
            return redirect("appeals:organization_thanks", slug=appeal.slug)
        return redirect("appeals:thanks", slug=appeal.slug)
    return render(
        request, "appeals/confirm.html", {"appeal": appeal, "signature": signature}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request, token):
    signature, problem = signature_from_link(request, token, Purpose.WITHDRAW)
    if problem:
        return problem
    appeal = signature.appeal
    if signature.status != signature.Status.WITHDRAWN and not signature.email:
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
        request, "appeals/withdraw.html", {"appeal": appeal, "signature": signature}
    )


@never_cache
@require_GET
def withdrawn(request, slug):
    appeal = get_object_or_404(Appeal.objects.published(), slug=slug)
    return render(request, "appeals/withdrawn.html", {"appeal": appeal})


@never_cache
@require_GET
def thanks(request, slug):
    appeal = published_appeal(slug)
    url = absolute_url(appeal.get_absolute_url())
    context = {
        "appeal": appeal,
        "signature_count": appeal.current_signature_count(),
        "share_url": url,
        "share_links": share_links(url=url, title=appeal.title),
    }
    return render(request, "appeals/thanks.html", context)


@never_cache
@require_GET
def organization_thanks(request, slug):
    appeal = published_appeal(slug)
    return render(request, "appeals/organization_thanks.html", {"appeal": appeal})


@require_GET
def signature_list(request, slug):
    appeal = published_appeal(slug)
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


@require_GET
def privacy(request):
    return render(request, "appeals/privacy.html")


@never_cache
@require_http_methods(["GET", "POST"])
def my_data_request(request):
    form = DataAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not form.suspicion_reasons():
            services.request_data_access(
                email=form.cleaned_data["email"], language=get_language()
            )
        return render(request, "appeals/my_data_sent.html")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "appeals/my_data_request.html", {"form": form}, status=status
    )


def data_access_problem(request, token):
    """Return (address, None) for a good data link, or (None, an error page)."""
    try:
        return read_data_access_token(token), None
    except ExpiredToken:
        return None, link_problem(
            request,
            title=_("This link has expired"),
            message=_(
                "Links to your data work for 24 hours. Ask for a new one on the "
                "“Your data” page."
            ),
            status=410,
        )
    except InvalidToken:
        return None, link_problem(
            request,
            title=_("This link is not valid"),
            message=_(
                "The link may be incomplete: copy the whole address from the email "
                "into your browser."
            ),
            status=400,
        )


@never_cache
@require_GET
def my_data(request, token):
    email, problem = data_access_problem(request, token)
    if problem:
        return problem
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
    context = {"email": email, "entries": entries, "token": token}
    return render(request, "appeals/my_data.html", context)


@never_cache
@require_GET
def my_data_json(request, token):
    email, problem = data_access_problem(request, token)
    if problem:
        return problem
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
    """Everything stored in one signature, as its signer may download it."""
    fields = [
        field.name
        for field in signature._meta.concrete_fields
        if field.name not in {"id", "appeal", "emails_sent_on", "emails_sent_count"}
    ]
    data = {
        "appeal": signature.appeal.title,
        "appeal_url": absolute_url(signature.appeal.get_absolute_url()),
        "kind": "organization"
        if isinstance(signature, OrganizationSignature)
        else "person",
    }
    for name in fields:
        value = getattr(signature, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return data
