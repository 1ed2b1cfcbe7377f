"""A count reads as each language says it: its plural forms, its digit groups."""

import re

import pytest
from django.test import Client

from appeals.models import Appeal
from tests.factories import make_appeal

NBSP = "\xa0"

# (count, what the appeals list shows after the figure) in each interface language.
COUNTS = {
    "en": [
        (1, "1", "signature"),
        (2, "2", "signatures"),
        (5, "5", "signatures"),
        (21, "21", "signatures"),
        (1_000_000, "1,000,000", "signatures"),
    ],
    "uk": [
        (1, "1", "підпис"),
        (2, "2", "підписи"),
        (5, "5", "підписів"),
        (21, "21", "підпис"),
        (1_000_000, f"1{NBSP}000{NBSP}000", "підписів"),
    ],
    "ru": [
        (1, "1", "подпись"),
        (2, "2", "подписи"),
        (5, "5", "подписей"),
        (21, "21", "подпись"),
        (1_000_000, f"1{NBSP}000{NBSP}000", "подписей"),
    ],
    # Kazakh keeps the noun singular after a number.
    "kk": [
        (1, "1", "қолтаңба"),
        (2, "2", "қолтаңба"),
        (5, "5", "қолтаңба"),
        (21, "21", "қолтаңба"),
        (1_000_000, f"1{NBSP}000{NBSP}000", "қолтаңба"),
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", COUNTS)
def test_a_signature_count_takes_the_language_s_plural_form(language):
    appeal = make_appeal(signature_goal=2_000_000)
    for count, figure, word in COUNTS[language]:
        Appeal.objects.filter(pk=appeal.pk).update(signature_count=count)

        html = Client().get(f"/{language}/").content.decode()

        shown = re.search(r'class="signature-count">([^<]+)</strong>\s+(\S+)\s', html)
        assert shown.groups() == (figure, word), (language, count)
