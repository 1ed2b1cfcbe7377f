"""Error pages of our own: never a traceback; a 503 while a shared service is away."""

import sys

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string

DATABASE_RETRY_AFTER_SECONDS = 30
# The database, or the shared cache (Redis: pages, rate limits, lockouts): down or
# too slow for now, back by itself.
SERVICE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
)


def server_error(request):
    """Answer 503 with Retry-After when the database or cache failed, else 500.

    Django calls this while handling the exception, so sys.exception() is it. A
    database or cache that is down or too slow is temporary: connections are made
    again by themselves once it is back.
    """
    if isinstance(sys.exception(), SERVICE_UNAVAILABLE):
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(render_to_string("500.html"))
