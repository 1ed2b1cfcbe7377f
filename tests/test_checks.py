"""Our system checks: a language offered in the switcher has a complete catalogue."""

import shutil
from pathlib import Path

import polib
import pytest
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from appeals.checks import check_catalogues

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def test_every_offered_language_has_a_complete_compiled_catalogue(settings):
    assert [code for code, _name in settings.LANGUAGES] == ["en", "uk", "ru", "kk"]

    assert check_catalogues(None) == []


def test_the_catalogue_check_runs_in_manage_py_check():
    assert check_catalogues in registry.get_checks()


@pytest.fixture
def locale(tmp_path, settings):
    """A copy of the Russian catalogue, the only other language offered."""
    shutil.copytree(LOCALE / "ru", tmp_path / "ru")
    settings.LOCALE_PATHS = [tmp_path]
    settings.LANGUAGES = [("en", "English"), ("ru", "Russian")]
    return tmp_path / "ru" / "LC_MESSAGES"


def edit_source(locale, change):
    source = polib.pofile(locale / "django.po")
    entry = next(e for e in source if e.msgid == "Signers' safety")
    change(entry)
    source.save()


def test_a_missing_translation_fails_the_check(locale):
    edit_source(locale, lambda entry: setattr(entry, "msgstr", ""))

    errors = check_catalogues(None)

    assert "appeals.E002" in [error.id for error in errors]
    assert '"Signers\' safety"' in errors[0].msg
    with pytest.raises(SystemCheckError, match="appeals.E002"):
        call_command("check", tags=["translation"])


def test_a_fuzzy_translation_fails_the_check(locale):
    edit_source(locale, lambda entry: entry.flags.append("fuzzy"))

    assert "appeals.E003" in [error.id for error in check_catalogues(None)]


def test_a_catalogue_changed_but_not_compiled_fails_the_check(locale):
    edit_source(locale, lambda entry: setattr(entry, "msgstr", "Подписать!"))

    assert [error.id for error in check_catalogues(None)] == ["appeals.E004"]


def test_a_catalogue_never_compiled_fails_the_check(locale):
    (locale / "django.mo").unlink()

    assert [error.id for error in check_catalogues(None)] == ["appeals.E004"]


def test_an_offered_language_without_a_catalogue_fails_the_check(locale, settings):
    settings.LANGUAGES = [("en", "English"), ("kk", "Kazakh")]
    settings.LOCALE_PATHS = [locale.parent.parent]

    assert [error.id for error in check_catalogues(None)] == ["appeals.E001"]
