"""Public forms take posts from our own pages only, by the browser's own word."""

import pytest
from django.test import Client
from django.urls import reverse

from appeals.models import OrganizationSignature, Signature
from appeals.models.mail import OutgoingEmail
from community.models import TypoReport, VolunteerApplication
from tests.factories import form_shown, in_language, make_appeal
from tests.test_protocol import public_routes, sample_url  # noqa: F401

pytestmark = pytest.mark.django_db

CROSS_SITE = [
    {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"},
    {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "https://sub.testserver"},
    {"HTTP_ORIGIN": "https://evil.example"},  # An older browser: Origin only.
    {"HTTP_ORIGIN": "null"},  # A sandboxed frame, a page opened from disk.
]
OURS = [
    {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://testserver"},
    {"HTTP_SEC_FETCH_SITE": "none"},  # Typed or bookmarked by the reader.
    {"HTTP_ORIGIN": "http://testserver"},  # An older browser, our own page.
    {},  # No browser at all: no one's session to abuse; rate limits apply.
]


@pytest.fixture
def appeal():
    return make_appeal(slug="press-freedom-now")


def forms(appeal) -> list[tuple[str, dict]]:
    """Each public form's address and what a person would fill in."""
    return [
        (
            reverse("appeals:sign", args=[appeal.slug]),
            {
                "full_name": "Olena Marchuk",
                "email": "olena@example.org",
                "country": "UA",
                "visibility": "public",
                **form_shown(),
            },
        ),
        (
            reverse("appeals:organization_sign", args=[appeal.slug]),
            {
                "organization_name": "Coastal Rights Network",
                "website": "https://crn.example.org/",
                "country": "GE",
                "contact_name": "Nino Beridze",
                "email": "nino@crn.example.org",
                "statement": "We stand with them.",
                **form_shown(),
            },
        ),
        (
            reverse("community:typo_report"),
            {"page_url": "/en/", "selected_text": "teh", "context": "", "comment": ""},
        ),
        (
            reverse("community:join"),
            {
                "name": "Ivan",
                "email": "ivan@example.org",
                "city": "Lviv",
                "country": "UA",
                "ways_to_help": [VolunteerApplication.Help.values[0]],
                "languages": "uk",
                "message": "",
                "has_contact_consent": "on",
                **form_shown(),
            },
        ),
        (
            reverse("appeals:my_data_request"),
            {"email": "olena@example.org", **form_shown()},
        ),
    ]


def saved() -> list[int]:
    return [
        model.objects.count()
        for model in (
            Signature,
            OrganizationSignature,
            TypoReport,
            VolunteerApplication,
            OutgoingEmail,
        )
    ]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_form_posted_from_another_site_is_refused_and_nothing_is_saved(
    appeal, headers, mailoutbox
):
    for url, data in forms(appeal):
        response = Client().post(url, data, **headers)

        assert response.status_code == 403, url
        assert "This form came from another site" in response.content.decode()
        assert "Nothing was saved." in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    assert saved() == [0, 0, 0, 0, 0]
    assert mailoutbox == []


@pytest.mark.parametrize("headers", OURS)
def test_a_form_posted_from_our_own_pages_is_taken(appeal, headers):
    for url, data in forms(appeal):
        response = Client().post(url, data, **headers)

        assert response.status_code in (200, 302), (url, response.status_code)
        assert "no-store" in response["Cache-Control"]
    signatures, cosignatures, reports, volunteers, _emails = saved()
    assert (signatures, cosignatures, reports, volunteers) == (1, 1, 1, 1)


def test_the_refusal_is_in_the_reader_s_language(appeal):
    url, data = forms(appeal)[0]

    response = Client().post(in_language(url, "uk"), data, HTTP_ORIGIN="null")

    assert response.status_code == 403
    assert "Ця форма надійшла з іншого сайту" in response.content.decode()


def test_a_trusted_origin_may_post(appeal, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://mirror.example.org"]
    url, data = forms(appeal)[0]

    response = Client().post(
        url,
        data,
        HTTP_SEC_FETCH_SITE="cross-site",
        HTTP_ORIGIN="https://mirror.example.org",
    )

    assert response.status_code == 302
    assert Signature.objects.count() == 1


def test_no_public_address_takes_a_post_from_another_site(sample_url):  # noqa: F811
    """Every address that takes a POST refuses it from another site; the one-click
    unsubscribe alone takes it (mail programs send it from their own pages, and
    the signed token in its address is what allows it), and a witness's
    countersignature, which no browser sends: its Ed25519 signature is what
    allows it (an empty one gets a 400)."""
    taken = {}
    for name, route in public_routes():
        url = sample_url(name, route)
        response = Client().post(url, {}, HTTP_SEC_FETCH_SITE="cross-site")
        if response.status_code not in (403, 405):
            taken[name] = response.status_code

    assert taken == {"appeals:unsubscribe": 200, "data:log_cosign": 400}


def test_the_admin_keeps_its_token(staff_client):
    staff_client.handler.enforce_csrf_checks = True

    response = staff_client.post(
        reverse("admin:appeals_appeal_add"),
        {"title": "Forged"},
        HTTP_SEC_FETCH_SITE="same-origin",
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 403
    assert "CSRF" in response.content.decode() or "Please try again" in (
        response.content.decode()
    )
