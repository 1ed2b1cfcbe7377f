"""Languages: a translated interface, and translated appeals sharing one count."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from appeals.models import Signature
from appeals.services.counting import fold_signature_counts
from tests.factories import form_shown, in_language, make_appeal, make_organization


@pytest.mark.django_db
def test_the_language_switcher_turns_the_interface_ukrainian(client):
    make_appeal(title="Free the press")
    english = client.get("/en/").content.decode()
    assert "Open appeals" in english
    switch = re.search(r'<a href="([^"]+)" hreflang="uk" lang="uk"', english)

    response = client.get(switch.group(1))

    assert switch.group(1) == "/uk/"
    html = response.content.decode()
    assert '<html lang="uk"' in html
    assert "Відкриті звернення" in html
    assert "Знайшли помилку? Виділіть її та натисніть Ctrl+Enter." in html
    assert "Open appeals" not in html
    assert "Free the press" in html  # Staff's text stays as written.


@pytest.mark.django_db
def test_the_language_form_of_pages_kept_from_before_still_switches(client):
    response = client.post("/i18n/setlang/", {"language": "uk", "next": "/en/privacy/"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/uk/privacy/"
    # The choice is remembered for addresses without a language (old links).
    assert client.get("/").headers["Location"] == "/uk/"


@pytest.mark.django_db
def test_the_browser_language_is_the_default(client):
    reader = Client(HTTP_ACCEPT_LANGUAGE="uk,en;q=0.5")

    response = reader.get("/", follow=True)

    assert response.redirect_chain == [("/uk/", 302)]
    assert "Відкриті звернення" in response.content.decode()


@pytest.fixture
def versions():
    authors = [make_organization(name="Rights Watch")]
    original = make_appeal(
        slug="free-the-press", title="Free the press", language="en", authors=authors
    )
    translation = make_appeal(
        slug="zvilnit-presu",
        title="Звільніть пресу",
        language="uk",
        translation_of=original,
    )
    return original, translation


@pytest.mark.django_db(transaction=True)
def test_translations_share_one_count_and_one_list(versions, mailoutbox):
    original, translation = versions
    client = Client()

    response = client.post(
        reverse("appeals:sign", args=[translation.slug]),
        {
            "full_name": "Оксана Левчук",
            "email": "oksana@example.org",
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.appeal == original
    assert signature.appeal_version == translation
    assert "Звільніть пресу" in mailoutbox[0].body
    confirm = re.search(
        r"http://[^/]+(/[a-z]{2}/signatures/confirm/\S+/)", mailoutbox[0].body
    )
    client.post(confirm.group(1))
    fold_signature_counts()

    for appeal in [original, translation]:
        html = client.get(appeal.get_absolute_url()).content.decode()
        assert '<strong class="signature-count">1</strong>' in html
        assert "Оксана Левчук" in html
    listing = client.get(reverse("appeals:signatures", args=[translation.slug]))
    assert "Оксана Левчук" in listing.content.decode()
    assert (
        client.get(reverse("data:count_json", args=[translation.slug])).json()[
            "signature_count"
        ]
        == 1
    )


@pytest.mark.django_db
def test_each_version_links_to_the_others(client, versions, settings):
    settings.SITE_URL = "https://appeals.example.org"
    original, translation = versions

    english = client.get(original.get_absolute_url()).content.decode()
    ukrainian = client.get(translation.get_absolute_url()).content.decode()

    assert 'href="/en/appeals/zvilnit-presu/" hreflang="uk"' in english
    assert 'href="/en/appeals/free-the-press/" hreflang="en"' in ukrainian
    for html in [english, ukrainian]:
        assert (
            '<link rel="alternate" hreflang="uk" '
            'href="https://appeals.example.org/en/appeals/zvilnit-presu/">'
        ) in html
    home = client.get("/en/").content.decode()
    assert home.count("Free the press") == 1  # Listed once, with its versions.
    assert (
        'href="/en/appeals/zvilnit-presu/" hreflang="uk" lang="uk">Українська<' in home
    )
    data = client.get("/appeals/free-the-press.json").json()
    assert data["translations"] == [
        {"language": "uk", "url": "https://appeals.example.org/appeals/zvilnit-presu/"}
    ]
    assert client.get("/appeals/zvilnit-presu.json").json()["translations"] == [
        {"language": "en", "url": "https://appeals.example.org/appeals/free-the-press/"}
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, written",
    [
        ("en", "Dec. 1, 2026"),
        ("uk", "01 грудня 2026 р."),
        ("ru", "1 декабря 2026 г."),
        ("kk", "2026 ж. 1 желтоқсан"),  # The year first, the month in lowercase.
    ],
)
def test_an_appeal_s_date_is_written_as_its_reader_s_language_writes_dates(
    client, language, written
):
    appeal = make_appeal(published_at=datetime(2026, 12, 1, 12, tzinfo=UTC))

    page = client.get(in_language(appeal.get_absolute_url(), language))

    assert f">{written}</time>" in page.content.decode()


@pytest.mark.django_db
def test_the_read_in_links_name_each_language_in_itself_the_reader_s_first(
    client, versions
):
    original, ukrainian = versions
    make_appeal(slug="svobodu-presse", language="ru", translation_of=original)

    page = client.get(in_language(original.get_absolute_url(), "ru")).content.decode()

    links = re.search(r"Читать на языке:(.*?)</nav>", page, re.S).group(1)
    assert re.findall(r'lang="(\w+)">([^<]+)<', links) == [
        ("ru", "Русский"),
        ("en", "English"),
        ("uk", "Українська"),
    ]
    assert "Читать это обращение на вашем языке: Русский" in page


@pytest.mark.django_db
def test_a_kazakh_reader_of_a_letter_in_other_languages_is_not_told_it_has_one(
    client, versions
):
    original, _ukrainian = versions

    page = client.get(in_language(original.get_absolute_url(), "kk")).content.decode()

    assert "Бұл хат тек бір тілде бар" not in page
    assert 'lang="uk">Українська</a>' in page


@pytest.mark.django_db
def test_a_kazakh_reader_finds_countries_and_form_errors_in_kazakh(client):
    appeal = make_appeal()
    address = in_language(reverse("appeals:sign", args=[appeal.slug]), "kk")

    response = client.post(
        address,
        {"full_name": "Айгерим", "email": "not an address", "country": "KZ"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert '<option value="KZ" selected>Қазақстан</option>' in html
    assert '<option value="UA">Украина</option>' in html
    assert "Дұрыс электрондық пошта мекенжайын енгізіңіз." in html
