"""HTTP as clients speak it: HEAD, form encodings, addresses that changed."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.views.static import serve

from appeals.models import OrganizationSignature, Signature, Update
from appeals.services import record_former_slug, signature_log
from appeals.tokens import Purpose, make_data_access_token, make_token
from tests.factories import form_shown, in_language, make_appeal, make_signature

pytestmark = pytest.mark.django_db

FORM_IN_UTF16 = "application/x-www-form-urlencoded; charset=utf-16"


def public_routes():
    """Every URL pattern but the admin's and development's: (name, pattern)."""

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern) == settings.ADMIN_URL:
                    continue
                inner = (
                    f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                )
                yield from walk(entry.url_patterns, inner)
            elif entry.callback is not serve:  # Uploads, when DEBUG is on.
                yield f"{namespace}{entry.name}", entry

    return list(walk(get_resolver().url_patterns, ""))


@pytest.fixture
def appeal():
    return make_appeal(slug="press-freedom-now")


@pytest.fixture
def sample_url(appeal):
    """A working address for each route, its parts filled in."""
    signature = make_signature(appeal, status=Signature.Status.PENDING)
    data_token = make_data_access_token(signature.email_normalized)
    update = Update.objects.create(
        appeal=appeal, title="Delivered", body="Today.", published_at=timezone.now()
    )
    tokens = {
        "appeals:confirm": make_token(signature, Purpose.CONFIRM),
        "appeals:withdraw": make_token(signature, Purpose.WITHDRAW),
        "appeals:unsubscribe": make_token(signature, Purpose.UNSUBSCRIBE),
        "appeals:receipt": make_token(signature, Purpose.RECEIPT),
        "appeals:receipt_download": make_token(signature, Purpose.RECEIPT),
        "appeals:my_data": data_token,
        "appeals:my_data_json": data_token,
    }
    # One entry in the signature log, for its proof and the receipt pages.
    signature_log.record_addition(signature=signature)
    signature_log.append_pending()
    queries = {
        "appeals:share_mastodon": "?server=mastodon.social",
        "data:log_proof": "?index=0&size=1",
        "data:log_consistency": "?from=0&to=1",
        "data:log_entries": "?start=0&end=1",
    }

    def url(name, route):
        values = {
            "slug": appeal.slug,
            "number": appeal.pk,
            "token": tokens.get(name),
            "pk": update.pk,
        }
        kwargs = {key: values[key] for key in route.pattern.converters}
        assert None not in kwargs.values(), f"{name}: give it a sample {kwargs}"
        return reverse(name, kwargs=kwargs) + queries.get(name, "")

    return url


# --- HEAD --------------------------------------------------------------------


def test_every_public_page_answers_head_as_it_answers_get(client, sample_url):
    differences = []
    for name, route in public_routes():
        url = sample_url(name, route)
        got = client.get(url)
        if got.status_code == 405:
            continue  # Not a page: a form's target only.
        head = client.head(url)
        assert got.status_code < 400, f"{name}: {url} answers {got.status_code}"
        if (head.status_code, head.headers.get("Location")) != (
            got.status_code,
            got.headers.get("Location"),
        ) or head.content:
            differences.append((name, got.status_code, head.status_code))

    assert differences == []


# --- Forms in another encoding than UTF-8 ------------------------------------


@pytest.fixture
def reader():
    """A browser with a CSRF cookie (the admin's forms need one), checked as in
    production."""
    reader = Client(enforce_csrf_checks=True)
    reader.get(reverse("admin:login"))
    reader.csrf_token = reader.cookies[settings.CSRF_COOKIE_NAME].value
    return reader


def test_any_form_sent_in_another_encoding_than_utf8_gets_the_400_page(
    reader, sample_url
):
    urls = [sample_url(name, route) for name, route in public_routes()]
    urls.append(reverse("admin:login"))
    answers = {}
    for url in urls:
        response = reader.post(
            url, f"csrfmiddlewaretoken={reader.csrf_token}", content_type=FORM_IN_UTF16
        )
        answers[url] = response.status_code
        if response.status_code == 400:
            assert "We could not read that request" in response.content.decode()

    assert set(answers.values()) == {400}, answers
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_the_400_page_for_another_encoding_is_in_the_readers_language(reader):
    response = reader.post(
        in_language(reverse("appeals:my_data_request"), "uk"),
        "email=olena@example.org",
        content_type=FORM_IN_UTF16,
    )

    assert response.status_code == 400
    assert "Ми не змогли прочитати цей запит" in response.content.decode()


def test_a_form_that_names_utf8_as_its_encoding_is_read(client, appeal):
    response = client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        "&".join(f"{key}={value}" for key, value in sign_data().items()),
        content_type="application/x-www-form-urlencoded; charset=UTF-8",
    )

    assert response.status_code == 302
    assert appeal.signatures.filter(email="olena@example.org").exists()


# --- An appeal's former address ----------------------------------------------


def sign_data():
    return {
        "full_name": "Olena Marchuk",
        "email": "olena@example.org",
        "country": "UA",
        "visibility": "public",
        **form_shown(),
    }


@pytest.fixture
def renamed(appeal):
    """The appeal, once at /appeals/free-the-press/, now at press-freedom-now."""
    record_former_slug(appeal=appeal, slug="free-the-press")
    return appeal


def test_a_signature_sent_to_a_former_address_is_saved(client, renamed):
    response = client.post("/en/appeals/free-the-press/sign/", sign_data())

    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/en/appeals/press-freedom-now/sign/check-email/"
    )
    assert renamed.signatures.filter(email="olena@example.org").exists()


def test_a_cosignature_sent_to_a_former_address_is_saved(client, renamed):
    response = client.post(
        "/en/appeals/free-the-press/organizations/sign/",
        {
            "organization_name": "Coastal Rights Network",
            "website": "https://crn.example.org/",
            "country": "GE",
            "contact_name": "Nino Beridze",
            "email": "nino@crn.example.org",
            **form_shown(),
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/en/appeals/press-freedom-now/sign/check-email/"
    )
    assert OrganizationSignature.objects.filter(appeal=renamed).exists()


def test_every_page_under_a_former_address_answers(client, renamed):
    update = Update.objects.create(
        appeal=renamed, title="Delivered", body="Today.", published_at=timezone.now()
    )
    missing = []
    for name, route in public_routes():
        if "slug" not in route.pattern.converters:
            continue
        values = {"slug": "free-the-press", "pk": update.pk}
        url = reverse(
            name, kwargs={key: values[key] for key in route.pattern.converters}
        )
        if client.get(url).status_code == 404:
            missing.append(url)

    assert missing == []
