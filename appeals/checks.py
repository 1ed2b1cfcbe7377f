"""Checks of our own: the interface catalogues (`manage.py check`), and a
deployment's settings (`manage.py check --deploy`)."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from appeals import logkeys
from appeals.services import tasks

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"


@register(Tags.security, deploy=True)
def check_deployment(app_configs, **kwargs):
    problems = []
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE or not settings.SECURE_CSP:
        problems.append(
            Warning(
                "The Content-Security-Policy header is not sent.",
                hint=f"Keep {CSP_MIDDLEWARE} in MIDDLEWARE and SECURE_CSP set.",
                id="appeals.W001",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        problems.append(
            Warning(
                "SITE_URL is not an https:// address: links in emails would send "
                "signers to an unencrypted page.",
                hint="Set SITE_URL=https://your.domain",
                id="appeals.W002",
            )
        )
    key = settings.SECRET_KEY
    if len(key) < 50 or len(set(key)) < 10 or key.startswith("django-insecure"):
        problems.append(
            Warning(
                "DJANGO_SECRET_KEY is weak: it signs every confirmation and "
                "withdrawal link.",
                hint="Use 50 or more random characters: python -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'",
                id="appeals.W003",
            )
        )
    if tasks.run_in_request():
        problems.append(
            Warning(
                "Tasks run inside web requests: a slow mail server slows signing.",
                hint="Set TASKS_BACKEND=database and run `manage.py db_worker` and "
                "`manage.py send_due_emails --watch`.",
                id="appeals.W004",
            )
        )
    return problems


@register(Tags.translation)
def check_catalogues(app_configs, **kwargs):
    """Every interface language but English has a complete, compiled catalogue.

    A language offered in the switcher with a message missing shows readers
    English in the middle of it; a catalogue edited but not compiled shows them
    the old text. The compiled file's contents are compared, not its time, which
    git does not keep.
    """
    locale = Path(settings.LOCALE_PATHS[0])
    problems = []
    for code, _name in settings.LANGUAGES:
        if code == "en":  # The texts themselves.
            continue
        source_path = locale / code / "LC_MESSAGES" / "django.po"
        if not source_path.is_file():
            problems.append(
                Error(
                    f"The interface language {code} has no catalogue: "
                    f"{source_path} is missing.",
                    hint=CATALOGUE_HINT,
                    id="appeals.E001",
                )
            )
            continue
        source = polib.pofile(source_path)
        untranslated = [entry.msgid for entry in source.untranslated_entries()]
        if untranslated:
            problems.append(
                Error(
                    f"The {code} catalogue lacks {len(untranslated)} "
                    f"translation(s), among them: {_first(untranslated)}",
                    hint=CATALOGUE_HINT,
                    id="appeals.E002",
                )
            )
        if fuzzy := [entry.msgid for entry in source.fuzzy_entries()]:
            problems.append(
                Error(
                    f"The {code} catalogue has {len(fuzzy)} guessed (fuzzy) "
                    f"translation(s), never shown: {_first(fuzzy)}",
                    hint=CATALOGUE_HINT,
                    id="appeals.E003",
                )
            )
        compiled_path = source_path.with_suffix(".mo")
        if not _compiled_from(source, compiled_path):
            problems.append(
                Error(
                    f"The compiled {code} catalogue {compiled_path} is missing "
                    "or does not say what its django.po says.",
                    hint=CATALOGUE_HINT,
                    id="appeals.E004",
                )
            )
    return problems


CATALOGUE_HINT = (
    "Translate the missing texts in locale/<language>_translations.py and run "
    '`make messages` (README, "Languages"), or leave the language out of '
    "INTERFACE_LANGUAGES."
)


def _first(texts: list[str]) -> str:
    return "; ".join(repr(text) for text in texts[:3])


def _compiled_from(source: polib.POFile, compiled_path: Path) -> bool:
    """Whether the compiled catalogue gives readers what its source says."""
    if not compiled_path.is_file():
        return False
    return _texts(polib.mofile(compiled_path)) == _texts(source)


def _texts(catalogue) -> dict:
    """What a catalogue translates, as readers get it: untranslated texts are not."""
    texts = {}
    for entry in catalogue:
        if not entry.msgid or entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            forms = {int(index): text for index, text in entry.msgstr_plural.items()}
            if all(forms.values()):
                texts[(entry.msgctxt, entry.msgid)] = forms
        elif entry.msgstr:
            texts[(entry.msgctxt, entry.msgid)] = entry.msgstr
    return texts


@register()
def check_signature_log_key(app_configs, **kwargs):
    """A key that does not parse would fail the first checkpoint, not start-up."""
    try:
        logkeys.current_key()
        logkeys.retired_keys()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="appeals.E010")]
    return []
