"""WSGI entry point, used by gunicorn: appealsite.wsgi:application."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "appealsite.settings")

application = get_wsgi_application()
