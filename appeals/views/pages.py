"""The public pages: the list of appeals, an appeal, its signatories."""

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import ListView

from appeals import services
from appeals.forms import SignatureForm
from appeals.models import Appeal
from appeals.pagination import KeysetQueryForm, newest_first_page

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


def link_problem(request, *, title, message, status, appeal=None):
    context = {"title": title, "message": message, "appeal": appeal}
    return render(request, "appeals/link_problem.html", context, status=status)


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
