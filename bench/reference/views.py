import uuid

from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt

from appeals.forms import SignatureForm
from appeals.views.signing import signable_appeal
from appealsite.crosssite import public_form
from bench.reference.models import Row

_PREBUILT = {}


def prebuilt(request, size):
    """R1: a prebuilt response as large as the appeal page."""
    body = _PREBUILT.setdefault(size, b"x" * size)
    return HttpResponse(body, content_type="text/html; charset=utf-8")


@csrf_exempt
def insert(request):
    """R2: one ORM insert into a table with a unique constraint."""
    Row.objects.create(key=uuid.uuid4().hex)
    return HttpResponse(status=201)


@public_form  # As the sign view: without it, Django's token check refused every POST.
def sign_floor(request, slug):
    """F1: the sign request without its write.

    It checks the form and redirects: how much of a signature's cost comes before
    any database work, the ceiling a sign POST could reach however its write were
    done.
    """
    appeal = signable_appeal(slug)
    form = SignatureForm(request.POST)
    if not form.is_valid() or form.suspicion_reasons():
        return HttpResponse(status=400)
    return redirect("appeals:check_email", slug=appeal.slug)
