"""The country list of the public forms: its choices, its select and its check."""

import pytest
from django import forms
from django.test.html import parse_html
from django.utils import translation
from django_countries import countries

from appeals.forms import OrganizationSignatureForm, SignatureForm


@pytest.mark.parametrize("form_class", [SignatureForm, OrganizationSignatureForm])
@pytest.mark.parametrize("data", [None, {"country": "UA"}, {"country": "XX"}])
def test_the_country_select_writes_what_djangos_own_select_would(form_class, data):
    form = form_class(data)
    field = form["country"]
    django_select = forms.Select(
        attrs=field.field.widget.attrs, choices=field.field.choices
    )

    ours, theirs = str(field), field.as_widget(widget=django_select)

    assert parse_html(ours) == parse_html(theirs)
    assert ours.count("<option") == len(countries) + 1  # With "Choose a country".


def test_countries_are_listed_in_the_readers_language_and_escaped():
    with translation.override("uk"):
        html = str(SignatureForm({"country": "UA"})["country"])

    assert '<option value="UA" selected>Україна</option>' in html
    with translation.override("en"):
        html = str(SignatureForm()["country"])
    assert '<option value="CI">Côte d&#x27;Ivoire</option>' in html


@pytest.mark.parametrize("form_class", [SignatureForm, OrganizationSignatureForm])
def test_a_country_is_accepted_exactly_when_django_would_find_it_in_the_list(
    form_class,
):
    field = form_class().fields["country"]
    listed = [code for code, _name in field.choices]

    for code in [*listed, "XX", "ua", "UA ", "U", None]:
        assert field.valid_value(code) == forms.ChoiceField.valid_value(field, code)
    assert len(listed) == len(countries) + 1  # With the empty "Choose a country".
