"""Sharing: where a reader or a signer is keenest, and never through a third party."""

import html
import re

import pytest
from django.urls import reverse

from appeals.models import Signature
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db

SITE = "https://appeals.example.org"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def appeal():
    return make_appeal(slug="free-the-press", title="Free the press")


def shared_link(page: str) -> str:
    return html.unescape(re.search(r'id="share-url"[^>]*value="([^"]+)"', page)[1])


@pytest.mark.parametrize("page", ["detail", "check_email", "thanks"])
def test_the_appeal_page_and_the_signer_s_pages_offer_to_share_it(client, appeal, page):
    make_signature(appeal, status=Signature.Status.CONFIRMED)

    html_page = client.get(reverse(f"appeals:{page}", args=[appeal.slug])).content

    text = html_page.decode()
    # The address without a language: each friend gets the page in theirs.
    assert shared_link(text) == f"{SITE}/appeals/free-the-press/"
    for network in ["Telegram", "WhatsApp", "Facebook", "Bluesky"]:
        assert f">{network}</a>" in text
    # The phone's share sheet, shown by share.js where the browser has one.
    assert re.search(r'<button[^>]*data-share-url="[^"]+"[^>]*hidden>', text)
    assert "appeals/js/share.js" in text
    assert "mastodonshare" not in text
    assert 'action="/en/appeals/free-the-press/share/mastodon/"' in text


@pytest.mark.parametrize(
    "typed", ["mastodon.social", "@ann@mastodon.social", "https://Mastodon.Social/"]
)
def test_mastodon_sharing_leads_to_the_reader_s_own_server(client, appeal, typed):
    url = reverse("appeals:share_mastodon", args=[appeal.slug])

    response = client.get(url, {"server": typed})

    assert response.status_code == 200
    link = html.unescape(
        re.search(r'href="(https://mastodon[^"]+)"', response.content.decode())[1]
    )
    assert link == (
        "https://mastodon.social/share?text=Free+the+press+"
        "https%3A%2F%2Fappeals.example.org%2Fappeals%2Ffree-the-press%2F"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "localhost",
        "127.0.0.1",
        "evil.example/path?x=1",
        "javascript:alert(1)",
        "user:pass@evil.example:8080",
        "a" * 300 + ".example",
        "evil.example\r\nX-Header: 1",
    ],
)
def test_anything_but_a_server_name_is_refused_and_leads_nowhere(client, appeal, typed):
    url = reverse("appeals:share_mastodon", args=[appeal.slug])

    response = client.get(url, {"server": typed})

    assert response.status_code == 400
    page = response.content.decode()
    assert "That is not the name of a Mastodon server" in page
    assert "/share?text=" not in page
    assert "Location" not in response
