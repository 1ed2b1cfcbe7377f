"""Error pages of our own: never a traceback, and a 503 while the database is away."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string

DATABASE_RETRY_AFTER_SECONDS = 30


def server_error(request):
    """Answer 503 with Retry-After when the database failed, else our 500 page.

    Django calls this while handling the exception, so sys.exception() is it. A
    database that is down or too slow is temporary: the connection health checks
    reconnect by themselves once it is back.
    """
    if isinstance(sys.exception(), (OperationalError, InterfaceError)):
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(render_to_string("500.html"))
