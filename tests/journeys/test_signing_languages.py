"""A signer's emails speak the language of the version they read."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from appeals.models import Signature
from tests.factories import form_shown, make_appeal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def russian_version():
    appeal = make_appeal(title="Free the reporters", slug="free-the-reporters")
    return make_appeal(
        translation_of=appeal,
        language="ru",
        title="Освободите журналистов",
        slug="osvobodite-zhurnalistov",
    )


def sign_in_interface(client, version, interface):
    with translation.override(interface):
        address = reverse("appeals:sign", kwargs={"slug": version.slug})
    assert address.startswith(f"/{interface}/")
    return client.post(
        address,
        {
            "full_name": "Aigerim Nurlanova",
            "email": "aigerim@example.org",
            "country": "KZ",
            "visibility": "public",
            **form_shown(),
        },
    )


def test_the_russian_version_read_in_the_english_interface_is_confirmed_in_russian(
    client, russian_version, mailoutbox
):
    response = sign_in_interface(client, russian_version, "en")

    assert response.status_code == 302
    [email] = mailoutbox
    assert email.subject == "Подтвердите свою подпись: Освободите журналистов"
    assert "«Подтвердить мою подпись»" in email.body
    assert re.search(r"http://testserver/ru/signatures/confirm/\S+", email.body)
    assert "/en/" not in email.body
    assert Signature.objects.get().language == "ru"


def test_without_a_russian_interface_the_email_follows_the_interface_used(
    client, russian_version, mailoutbox, settings
):
    settings.LANGUAGES = [("en", "English"), ("uk", "Ukrainian")]

    sign_in_interface(client, russian_version, "uk")

    [email] = mailoutbox
    assert email.subject == "Підтвердьте свій підпис: Освободите журналистов"
    assert re.search(r"http://testserver/uk/signatures/confirm/\S+", email.body)
    assert Signature.objects.get().language == "uk"
