from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from appeals.antispam import client_ip
from appealsite.crosssite import public_form
from community import services
from community.forms import TypoReportForm, VolunteerForm
from community.models import JoinBlock


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@public_form
@require_http_methods(["GET", "HEAD", "POST"])
def typo_report(request):
    """Take a typo report from the dialog (JSON) or from the page without JavaScript."""
    if request.method != "POST":
        form = TypoReportForm(initial={"page_url": request.GET.get("url", "")})
        return render(request, "community/typo_report.html", {"form": form})
    form = TypoReportForm(request.POST)
    if not form.is_valid():
        if wants_json(request):
            errors = {
                name: [str(e) for e in errs] for name, errs in form.errors.items()
            }
            return JsonResponse(
                {"message": _("Please check the report."), "errors": errors}, status=400
            )
        return render(request, "community/typo_report.html", {"form": form}, status=400)
    try:
        services.report_typo(
            data=form.cleaned_data, language=get_language(), ip=client_ip(request)
        )
    except services.RateLimited:
        message = _("You have sent many reports in a short time. Please try later.")
        if wants_json(request):
            return JsonResponse({"message": message}, status=429)
        return render(
            request,
            "community/typo_report.html",
            {"form": form, "limited": message},
            status=429,
        )
    thanks = _("Thank you! Our editors will look at it.")
    if wants_json(request):
        return JsonResponse({"message": thanks}, status=201)
    return render(request, "community/typo_thanks.html", {"message": thanks})


@public_form
@require_http_methods(["GET", "HEAD", "POST"])
def join(request):
    """Support us, become a volunteer, complete a training: blocks staff edit."""
    form = VolunteerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not form.suspicion_reasons():
            services.apply_to_volunteer(data=form.model_data(), language=get_language())
        return redirect("community:join_thanks")
    context = {"blocks": join_blocks(), "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "community/join.html", context, status=status)


def join_blocks() -> list[JoinBlock]:
    """The blocks in the reader's language, falling back to the site's language."""
    blocks = {}
    for block in JoinBlock.objects.filter(language__in=[get_language(), "en"]):
        if block.kind not in blocks or block.language == get_language():
            blocks[block.kind] = block
    return sorted(blocks.values(), key=lambda block: (block.position, block.pk))


@require_safe
def join_thanks(request):
    return render(request, "community/join_thanks.html")
