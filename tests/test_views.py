import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from appeals.models import Appeal
from tests.factories import in_language, make_appeal, make_organization, make_signature

pytestmark = pytest.mark.django_db


def detail_url(appeal):
    return reverse("appeals:detail", kwargs={"slug": appeal.slug})


def test_home_lists_published_appeals_with_authors_and_count(client):
    authors = [
        make_organization(name="Rights Watch North"),
        make_organization(name="Free Press Council"),
    ]
    appeal = make_appeal(
        title="Free the reporters", authors=authors, signature_goal=100
    )
    Appeal.objects.filter(pk=appeal.pk).update(signature_count=42)

    response = client.get(reverse("appeals:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Free the reporters" in html
    assert "the Government" in html
    assert "Rights Watch North</a> and <a" in html
    assert "Free Press Council" in html
    assert "42</strong>" in html
    assert 'max="100" value="42"' in html


def test_home_hides_drafts_and_shows_open_appeals_first(client):
    make_appeal(title="A closed appeal", status=Appeal.Status.CLOSED)
    make_appeal(
        title="An open appeal", published_at=timezone.now() - timedelta(days=30)
    )
    make_appeal(title="A secret draft", status=Appeal.Status.DRAFT, published_at=None)

    html = client.get(reverse("appeals:list")).content.decode()

    assert "A secret draft" not in html
    assert html.index("An open appeal") < html.index("A closed appeal")


def test_home_query_count_does_not_grow_with_appeals(client, django_assert_num_queries):
    def add_appeal():
        make_appeal(authors=[make_organization(), make_organization()])

    add_appeal()
    with django_assert_num_queries(6) as one:
        client.get(reverse("appeals:list"))
    for _ in range(5):
        add_appeal()
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("appeals:list"))


def test_appeal_page_shows_the_letter_and_the_sign_form(client):
    organization = make_organization(
        name="Rights Watch North", website="https://rwn.example.org/"
    )
    appeal = make_appeal(
        title="Let journalists in",
        addressee="the Minister of the Interior",
        summary="Journalists are kept out.",
        body="We **demand** access.",
        authors=[organization],
        closes_at=timezone.now() + timedelta(days=5),
    )

    response = client.get(detail_url(appeal))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Let journalists in</h1>" in html
    assert "the Minister of the Interior" in html
    assert (
        '<a href="https://rwn.example.org/" rel="noopener">Rights Watch North</a>'
        in html
    )
    assert "Journalists are kept out." in html
    assert "<strong>demand</strong>" in html
    assert "Open for signing until" in html
    for label in ["Full name", "Email", "Country", "Why I sign", "Count my signature"]:
        assert label in html
    assert 'name="csrfmiddlewaretoken"' not in html  # The same page for everyone.


def test_appeal_body_scripts_never_reach_the_page(client):
    appeal = make_appeal(
        body="Hello <script>alert('owned')</script> <img src=x onerror=alert(1)>"
    )

    html = client.get(detail_url(appeal)).content.decode()

    assert "alert(" not in html
    assert "onerror" not in html
    # Our own scripts come from static files; none is written into the page, only
    # its schema.org data, which no browser runs.
    assert "<script>" not in html
    data_blocks = html.count('<script type="application/ld+json">')
    assert data_blocks == 1
    assert html.count("<script") == html.count('<script src="/static/') + data_blocks


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": Appeal.Status.DRAFT, "published_at": None},
        {"status": Appeal.Status.DRAFT, "published_at": timezone.now()},
        {"published_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["draft", "draft-with-date", "scheduled"],
)
def test_unpublished_appeals_answer_404(client, overrides):
    appeal = make_appeal(**overrides)

    response = client.get(detail_url(appeal))

    assert response.status_code == 404
    assert appeal.title not in response.content.decode()
    assert "Page not found" in response.content.decode()


def test_closed_appeal_shows_closed_instead_of_the_form(client):
    appeal = make_appeal(closes_at=timezone.now() - timedelta(hours=1))

    html = client.get(detail_url(appeal)).content.decode()

    assert "Signing is closed." in html
    assert 'name="full_name"' not in html


def test_pages_send_a_strict_content_security_policy(client):
    response = client.get(reverse("appeals:list"))

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_landmarks_a_skip_link_and_a_language(client):
    html = client.get(reverse("appeals:list")).content.decode()

    assert '<html lang="en"' in html
    assert 'href="#main"' in html
    for landmark in ["<header", "<nav", '<main id="main"', "<footer"]:
        assert landmark in html


def test_error_page_renders_without_a_request():
    html = render_to_string("500.html")

    assert "Something went wrong" in html


@pytest.mark.parametrize("language", ["en", "uk"])
def test_the_deadline_says_its_zone_and_the_days_left_with_no_double_period(
    client, language, settings
):
    settings.TIME_ZONE = "Europe/Kyiv"
    appeal = make_appeal(closes_at=timezone.now() + timedelta(days=2, hours=3))
    make_signature(appeal)

    html = client.get(in_language(appeal.get_absolute_url(), language)).content.decode()

    assert "(Europe/Kyiv)" in html
    assert {"en": "3 days left", "uk": "Лишилося 3 дні"}[language] in html
    text = re.sub(r"<[^>]+>", "", html)
    assert ".." not in text.replace("...", "")


def test_a_reader_is_offered_the_letter_in_their_language_or_told_it_has_one(client):
    appeal = make_appeal(language="en", slug="free-them")
    only_english = make_appeal(language="en", slug="only-english")
    make_appeal(language="uk", translation_of=appeal, slug="zvilnit")

    offered = client.get("/uk/appeals/free-them/")
    told = client.get(in_language(only_english.get_absolute_url(), "uk"))
    english = client.get(only_english.get_absolute_url())

    assert 'href="/uk/appeals/zvilnit/"' in offered.content.decode()
    assert "вашою мовою: українська" in offered.content.decode().lower()
    assert "лише однією мовою: english" in told.content.decode().lower()
    assert "one language only" not in english.content.decode()
