"""Each page's address names its language; every address used before still works."""

import pytest
from django.test import Client
from django.urls import reverse

from appeals.models import Signature
from appeals.tokens import Purpose, make_token
from tests.factories import form_shown, make_signature
from tests.test_protocol import appeal, public_routes, sample_url  # noqa: F401

pytestmark = pytest.mark.django_db


def page_routes():
    """The routes under a language prefix: every page of the site."""
    return [
        (name, route)
        for name, route in public_routes()
        if name.startswith(("appeals:", "community:")) or name == "feed"
    ]


def test_every_page_s_address_from_before_languages_leads_to_it(sample_url):  # noqa: F811
    for name, route in page_routes():
        url = sample_url(name, route)
        assert url.startswith("/en/"), url
        old = url.removeprefix("/en")

        english = Client().get(old)
        ukrainian = Client(HTTP_ACCEPT_LANGUAGE="uk").get(old)

        assert (english.status_code, english["Location"]) == (302, url), old
        assert ukrainian["Location"] == f"/uk{old}", old
        for response in (english, ukrainian):
            assert "private" in response["Cache-Control"], old
            assert "Accept-Language" in response["Vary"], old
        expected = Client().get(url, follow=True).status_code
        assert Client().get(old, follow=True).status_code == expected, old


def test_the_query_goes_along(client, appeal):  # noqa: F811
    old = f"/appeals/{appeal.slug}/signatures/?oldest=1"

    response = client.get(old)

    assert response["Location"] == f"/en{old}"


def test_the_language_chosen_before_is_kept_for_old_addresses():
    reader = Client(HTTP_ACCEPT_LANGUAGE="en")
    reader.cookies["django_language"] = "uk"

    assert reader.get("/privacy/")["Location"] == "/uk/privacy/"


def test_a_form_from_a_page_opened_before_is_taken_where_it_is_sent(client, appeal):  # noqa: F811
    """A page kept in a browser from before posts to the old address: no redirect
    (a POST would lose what the signer typed), it is taken there."""
    data = {
        "full_name": "Olena Marchuk",
        "email": "olena@example.org",
        "country": "UA",
        "visibility": "public",
        **form_shown(),
    }

    response = client.post(f"/appeals/{appeal.slug}/sign/", data)

    assert response.status_code == 302
    assert response["Location"] == f"/en/appeals/{appeal.slug}/sign/check-email/"
    assert Signature.objects.get().email == "olena@example.org"


def test_a_confirmation_link_from_an_email_sent_before_confirms(client, appeal):  # noqa: F811
    signature = make_signature(appeal, status=Signature.Status.PENDING)
    old = f"/signatures/confirm/{make_token(signature, Purpose.CONFIRM)}/"

    page = client.get(old, follow=True)
    confirmed = client.post(old)

    assert page.status_code == 200
    assert "Confirm my signature" in page.content.decode()
    assert confirmed.status_code == 302
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED


def test_addresses_the_same_in_every_language_stay_as_they_were(client, appeal):  # noqa: F811
    for url in [
        f"/appeals/{appeal.slug}.json",
        f"/appeals/{appeal.slug}/count.json",
        "/appeals.json",
        "/robots.txt",
        "/sitemap.xml",
    ]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="uk")
        assert response.status_code == 200, url
        assert "Accept-Language" not in response.get("Vary", ""), url
    assert client.get(f"/a/{appeal.pk}/").status_code == 301
    assert reverse("data:count_json", args=[appeal.slug]) == (
        f"/appeals/{appeal.slug}/count.json"
    )


def test_an_unknown_address_is_a_404_in_the_reader_s_language(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="uk")

    assert response.status_code == 404
    assert '<html lang="uk"' in response.content.decode()


def test_a_crafted_address_cannot_redirect_off_the_site(client):
    response = client.get("//evil.example/")

    assert response.status_code in (302, 404)
    assert not response.get("Location", "/").startswith("//")
