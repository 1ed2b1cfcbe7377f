"""Updates for readers (each on a page of its own) and for signers (unsubscribe, in
one click)."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from appeals.links import absolute_url
from appeals.services import updates
from appeals.tokens import Purpose
from appeals.views.common import published_appeal, signature_link
from appeals.views.pages import OG_LOCALES, share_image_url


# A mail client's one-click unsubscribe (RFC 8058) is a POST without cookies or a
# CSRF token: the signed token in the address is what allows it. GET only shows
# the page (mail scanners open links). Nor is it a public form
# (appealsite.crosssite): a webmail page on another site may send that POST.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@signature_link(Purpose.UNSUBSCRIBE)
def unsubscribe(request, signature):
    context = {"appeal": signature.appeal_read, "signature": signature}
    if request.method == "POST":
        everything = request.POST.get("scope") == "everything"
        updates.unsubscribe(signature=signature, everything=everything)
        context["done"] = "everything" if everything else "appeal"
    return render(request, "appeals/unsubscribe.html", context)


@require_safe
def update_detail(request, slug, pk):
    """One update as readers see it, in the appeal's language version at `slug`.

    Only a published update has a page; a draft or a scheduled one answers 404.
    """
    appeal = published_appeal(slug)
    update = get_object_or_404(
        appeal.original.updates.public().prefetch_related("versions"), pk=pk
    )
    text = update.text_for(appeal)
    # The same update in the other versions that have a text of their own.
    versions = [
        (version, other)
        for version in appeal.language_versions()
        if (other := update.text_for(version)).appeal_version.pk == version.pk
    ]
    context = {
        "appeal": appeal,
        "update": update,
        "text": text,
        "versions": versions,
        "canonical_url": text.canonical_url,
        "share_image_url": share_image_url(appeal),
        "og_locale": OG_LOCALES.get(text.appeal_version.language, appeal.language),
        "feed_url": absolute_url(reverse("appeals:feed", args=[appeal.slug])),
    }
    return render(request, "appeals/update_detail.html", context)
