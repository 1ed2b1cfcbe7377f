"""The country list of the public forms, made cheap: the choices, their check and
their <select>.

A sign form offers 250 countries in the reader's language. Built, checked and
rendered the general Django way, they were the largest part of showing and
checking a sign form (README, "Performance"); here each is done once per language
and process. tests/test_countries.py pins that the choices, the check and the HTML are
what Django's own would give.
"""

import functools

from django import forms
from django.forms.utils import flatatt
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries


class CountryChoices(BaseChoiceIterator):
    """The country list in the reader's language, sorted once per language.

    One instance serves every form: Django takes a choice iterator as it is, where
    it would copy and re-check a list of 250 countries for each form built.
    """

    def __iter__(self):
        return iter(_country_choices(get_language()))

    def __copy__(self):
        return self  # Nothing in it changes.

    def __deepcopy__(self, memo):
        return self


@functools.cache
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    with translation.override(language):
        return (("", str(_("Choose a country"))), *countries)


COUNTRY_CHOICES = CountryChoices()


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in COUNTRY_CHOICES)


class CountryChoiceField(forms.TypedChoiceField):
    """A country chosen in a public form, from the list in the reader's language.

    A choice is checked by its code: Django would walk the whole list of 250 for
    each form sent.
    """

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "choices": COUNTRY_CHOICES})

    def valid_value(self, value) -> bool:
        return value in _country_codes()


class CountrySelect(forms.Select):
    """The country <select>, written in Python.

    Django's widget templates render one template per option, 250 of them on every
    appeal page and every sign form sent back with an error. The HTML is the same.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (code, mark_safe(" selected") if code == selected else "", label)
                for code, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )
