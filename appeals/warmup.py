"""Work an app server process would otherwise do on its first requests.

gunicorn loads the app once and forks its workers from it (`preload_app`): what is
prepared here, before the fork, every worker starts with, including the workers
that replace recycled ones in the middle of a wave. Nothing here may open a
database or cache connection: a forked worker must not share one.
"""

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.core.validators import validate_email
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from appeals.forms import SignatureForm

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
    """Compile the hot templates, the sign form and the URL map in every language."""
    for name in HOT_TEMPLATES:
        get_template(name)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            render_crispy_form(SignatureForm())  # Country list, form templates.
            reverse("appeals:detail", kwargs={"slug": "warm-up"})
    validate_email("warm.up@example.org")  # Django compiles its patterns lazily.
