"""Work an app server process would otherwise do on its first requests.

gunicorn loads the app once and forks its workers from it (`preload_app`): what is
prepared here, before the fork, every worker starts with, including the workers
that replace recycled ones in the middle of a wave. Nothing here may open a
database or cache connection: a forked worker must not share one.
"""

import importlib

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.core.validators import validate_email
from django.template import engines
from django.template.loader import get_template
from django.urls import reverse
from django.utils import formats, translation
from django.utils.module_loading import import_string

from appeals.forms import SignatureForm
from appeals.rendering import render_markdown

# Loaded on first use, not at start: the Redis client (Django imports it with the
# first cache command, slowing each new worker's first request; README,
# "Performance") and the codec that connecting by host name uses.
LAZY_MODULES = ["redis", "encodings.idna"]

# The pages a wave of readers and signers opens.
HOT_TEMPLATES = [
    "appeals/appeal_detail.html",
    "appeals/signature_list.html",
    "appeals/check_email.html",
    "appeals/confirm.html",
    "appeals/thanks.html",
    "404.html",
]


def warm_up() -> None:
    """Import what a first request would; compile the hot pages in every language."""
    for module in LAZY_MODULES:
        importlib.import_module(module)
    # What the middleware and the template engine import on the first request.
    for name in [
        settings.MESSAGE_STORAGE,
        settings.SESSION_SERIALIZER,
        *engines["django"].engine.context_processors,
    ]:
        import_string(name)
    render_markdown("Warm *up*")  # Loads the Markdown extensions.
    for name in HOT_TEMPLATES:
        get_template(name)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            render_crispy_form(SignatureForm())  # Country list, form templates.
            formats.get_format("DATE_FORMAT")  # The language's format module.
            reverse("appeals:detail", kwargs={"slug": "warm-up"})
    validate_email("warm.up@example.org")  # Django compiles its patterns lazily.
