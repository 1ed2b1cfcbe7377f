import uuid

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

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
