"""Updates for readers (each on a page of its own) and for signers (unsubscribe, in
one click)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from appeals.models import Update
from appeals.services import updates
from appeals.tokens import Purpose
from appeals.views.common import published_appeal, signature_link


# A mail client's one-click unsubscribe (RFC 8058) is a POST without cookies or a
# CSRF token: the signed token in the address is what allows it. GET only shows
# the page (mail scanners open links).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signature_link(Purpose.UNSUBSCRIBE)
def unsubscribe(request, signature):
    context = {"appeal": signature.appeal, "signature": signature}
    if request.method == "POST":
        everything = request.POST.get("scope") == "everything"
        updates.unsubscribe(signature=signature, everything=everything)
        context["done"] = "everything" if everything else "appeal"
    return render(request, "appeals/unsubscribe.html", context)


@require_safe
def update_detail(request, slug, pk):
    """One update as readers see it, in the appeal's language version at `slug`."""
    appeal = published_appeal(slug)
    update = get_object_or_404(
        Update.objects.public().prefetch_related("versions"),
        pk=pk,
        appeal=appeal.original,
    )
    text = update.text_for(appeal)
    return render(
        request,
        "appeals/update_detail.html",
        {"appeal": appeal, "update": update, "text": text},
    )
