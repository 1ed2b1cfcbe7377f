"""For journalists: permalinks, share tags, JSON, feeds, sitemap, embed, card."""

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_max_age
from PIL import Image

from appeals import cards, localcache
from appeals.models import (
    Appeal,
    DeliveryEvent,
    OrganizationSignature,
    Update,
    UpdateText,
)
from appeals.services import record_former_slug
from tests.factories import make_appeal, make_organization, make_signature

pytestmark = pytest.mark.django_db

SITE = "https://appeals.example.org"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def appeal():
    appeal = make_appeal(
        slug="free-the-press",
        title="Free the press",
        summary="Reporters are jailed.",
        signature_goal=500,
        authors=[
            make_organization(name="Rights Watch", website="https://rw.example.org/")
        ],
    )
    make_signature(appeal, full_name="Visible Signer", email="visible@example.org")
    make_signature(appeal, full_name="Hidden Signer", visibility="counted")
    Appeal.objects.filter(pk=appeal.pk).update(signature_count=2)
    OrganizationSignature.objects.create(
        appeal=appeal,
        organization_name="Coastal Rights",
        website="https://cr.example.org/",
        contact_name="Private Contact",
        email="private@example.org",
        country="GE",
        status="confirmed",
        is_approved=True,
    )
    appeal.refresh_from_db()
    return appeal


def test_the_appeal_page_names_its_canonical_address_and_share_tags(client, appeal):
    html = client.get(appeal.get_absolute_url()).content.decode()

    url = f"{SITE}/en/appeals/free-the-press/"
    assert f'<link rel="canonical" href="{url}">' in html
    for tag in [
        '<meta property="og:title" content="Free the press">',
        '<meta property="og:description" content="Reporters are jailed.">',
        f'<meta property="og:url" content="{url}">',
        '<meta property="og:type" content="article">',
        '<meta property="og:locale" content="en_US">',
        '<meta name="twitter:card" content="summary_large_image">',
        f'<meta property="og:image" content="{url}card.png?v=2">',
        '<meta property="article:published_time" content="',
        f'<link rel="alternate" hreflang="en" href="{url}">',
    ]:
        assert tag in html, tag


def test_a_renamed_appeal_redirects_from_its_old_address_for_good(
    client, staff_client, appeal
):
    data = {
        "title": appeal.title,
        "slug": "press-freedom-now",
        "language": "en",
        "addressee": appeal.addressee,
        "summary": appeal.summary,
        "body": appeal.body,
        "authorships-TOTAL_FORMS": "0",
        "authorships-INITIAL_FORMS": "0",
        "delivery_events-TOTAL_FORMS": "0",
        "delivery_events-INITIAL_FORMS": "0",
    }
    staff_client.post(reverse("admin:appeals_appeal_change", args=[appeal.pk]), data)

    for old, new in [
        ("/en/appeals/free-the-press/", "/en/appeals/press-freedom-now/"),
        (
            "/en/appeals/free-the-press/signatures/?oldest=1",
            "/en/appeals/press-freedom-now/signatures/?oldest=1",
        ),
        ("/appeals/free-the-press.json", "/appeals/press-freedom-now.json"),
        ("/appeals/free-the-press/count.json", "/appeals/press-freedom-now/count.json"),
        ("/en/appeals/free-the-press/embed/", "/en/appeals/press-freedom-now/embed/"),
    ]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == new


def test_renaming_back_leaves_no_loop(client, appeal):
    record_former_slug(appeal=appeal, slug="free-the-press")
    Appeal.objects.filter(pk=appeal.pk).update(slug="new-name")
    appeal.refresh_from_db()
    record_former_slug(appeal=appeal, slug="new-name")
    Appeal.objects.filter(pk=appeal.pk).update(slug="free-the-press")
    appeal.refresh_from_db()
    record_former_slug(appeal=appeal, slug="new-name")

    assert client.get("/en/appeals/free-the-press/").status_code == 200
    assert (
        client.get("/en/appeals/new-name/").headers["Location"]
        == "/en/appeals/free-the-press/"
    )


def test_the_short_link_leads_to_the_canonical_address(client, appeal):
    response = client.get(f"/a/{appeal.pk}/")

    # On to the address without a language, which sends each reader to theirs.
    assert response.status_code == 301
    assert response.headers["Location"] == "/appeals/free-the-press/"
    reader = client.get(f"/a/{appeal.pk}/", HTTP_ACCEPT_LANGUAGE="uk", follow=True)
    assert reader.redirect_chain[-1] == ("/uk/appeals/free-the-press/", 302)
    draft = make_appeal(status=Appeal.Status.DRAFT, published_at=None)
    assert client.get(f"/a/{draft.pk}/").status_code == 404


ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_appeal_json_has_the_documented_fields_and_no_signer_data(client, appeal):
    response = client.get("/appeals/free-the-press.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data == {
        "slug": "free-the-press",
        "url": f"{SITE}/appeals/free-the-press/",
        "title": "Free the press",
        "addressee": "the Government",
        "summary": "Reporters are jailed.",
        "language": "en",
        "status": "open",
        "published_at": data["published_at"],
        "closes_at": None,
        "signature_count": 2,
        "signature_goal": 500,
        "stats_url": f"{SITE}/appeals/free-the-press/stats.json",
        "organization_signature_count": 1,
        "authors": [{"name": "Rights Watch", "url": "https://rw.example.org/"}],
        "cosigning_organizations": [
            {"name": "Coastal Rights", "url": "https://cr.example.org/"}
        ],
        "translations": [],
        "updates": [],
        "response": {
            "status": "not_delivered",
            "delivered_on": None,
            "days_waiting": None,
            "replied_on": None,
            "reply_summary": None,
        },
        "updated_at": data["updated_at"],
        "signature_log": {
            "checkpoints": f"{SITE}/appeals/free-the-press/log/checkpoints",
            "latest_checkpoint": None,
        },
    }
    assert ISO_8601.match(data["published_at"])
    assert ISO_8601.match(data["updated_at"])
    body = response.content.decode()
    for secret in [
        "Visible Signer",
        "Hidden Signer",
        "@example.org",
        "Private Contact",
    ]:
        assert secret not in body


def test_appeals_json_lists_pages_and_filters(client, appeal):
    make_appeal(
        title="Old closed one",
        status=Appeal.Status.CLOSED,
        published_at=timezone.now() - timedelta(days=30),
    )
    make_appeal(title="A draft", status=Appeal.Status.DRAFT, published_at=None)

    data = client.get("/appeals.json").json()
    assert data["count"] == 2
    assert [item["title"] for item in data["results"]] == [
        "Free the press",
        "Old closed one",
    ]
    assert data["next"] is None and data["previous"] is None
    assert [
        i["title"] for i in client.get("/appeals.json?status=open").json()["results"]
    ] == ["Free the press"]
    assert [
        i["status"] for i in client.get("/appeals.json?status=closed").json()["results"]
    ] == ["closed"]
    assert client.get("/appeals.json?status=nonsense").status_code == 400
    assert client.get("/appeals.json?page=99").status_code == 400


def test_appeals_json_pages_link_to_each_other(client):
    for number in range(51):
        make_appeal(published_at=timezone.now() - timedelta(minutes=number))

    first = client.get("/appeals.json").json()
    assert len(first["results"]) == 50
    assert first["next"] == f"{SITE}/appeals.json?page=2"
    second = client.get("/appeals.json?page=2").json()
    assert len(second["results"]) == 1
    assert second["previous"] == f"{SITE}/appeals.json?page=1"


def test_appeals_json_queries_stay_constant(client, django_assert_num_queries):
    def add():
        appeal = make_appeal(authors=[make_organization(), make_organization()])
        translation = make_appeal(translation_of=appeal, language="uk")
        OrganizationSignature.objects.create(
            appeal=appeal,
            organization_name="X",
            contact_name="Y",
            email=f"x{appeal.pk}@example.org",
            country="UA",
            status="confirmed",
            is_approved=True,
        )
        DeliveryEvent.objects.create(
            appeal=appeal, kind="delivered", occurred_on=timezone.localdate()
        )
        update = Update.objects.create(
            appeal=appeal, title="Delivered", body="Today.", published_at=timezone.now()
        )
        UpdateText.objects.create(
            update=update,
            appeal_version=translation,
            title="Передано",
            body="Сьогодні.",
        )

    add()
    with django_assert_num_queries(8) as few:
        client.get("/appeals.json")
    for _ in range(6):
        add()
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/appeals.json")


def test_count_json_and_conditional_requests(client, appeal, settings):
    response = client.get("/appeals/free-the-press/count.json")

    assert response.json()["signature_count"] == 2
    assert set(response.json()) == {"signature_count", "updated_at"}
    # Never older than COUNT_FRESH_SECONDS, wherever it is kept on the way.
    s_maxage = re.search(r"s-maxage=(\d+)", response["Cache-Control"]).group(1)
    assert get_max_age(response) + int(s_maxage) <= settings.COUNT_FRESH_SECONDS
    assert "public" in response["Cache-Control"]
    etag = response["ETag"]
    not_modified = client.get(
        "/appeals/free-the-press/count.json", HTTP_IF_NONE_MATCH=etag
    )
    assert not_modified.status_code == 304
    since = client.get(
        "/appeals/free-the-press.json",
        HTTP_IF_MODIFIED_SINCE=response["Last-Modified"],
    )
    assert since.status_code == 304

    Appeal.objects.filter(pk=appeal.pk).update(
        signature_count=3, count_updated_at=timezone.now() + timedelta(seconds=2)
    )
    localcache.clear()  # As a second later: each worker keeps the count for 1 s.
    changed = client.get("/appeals/free-the-press/count.json", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["signature_count"] == 3


def test_drafts_never_appear_in_feed_sitemap_or_json(client, appeal):
    make_appeal(
        title="Secret draft", slug="secret-draft", status="draft", published_at=None
    )
    make_appeal(
        title="Scheduled later",
        slug="scheduled",
        published_at=timezone.now() + timedelta(days=1),
    )

    feed = client.get("/en/feeds/appeals/")
    sitemap = client.get("/sitemap.xml")
    listing = client.get("/appeals.json")
    for response in [feed, sitemap, listing]:
        body = response.content.decode()
        assert "Secret draft" not in body and "secret-draft" not in body
        assert "Scheduled later" not in body and "/scheduled/" not in body
        assert "Visible Signer" not in body and "@example.org" not in body
    assert client.get("/appeals/secret-draft.json").status_code == 404


def test_the_atom_feed_lists_published_appeals(client, appeal):
    response = client.get("/en/feeds/appeals/")

    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "<title>Free the press</title>" in body
    assert f'href="{SITE}/en/appeals/free-the-press/"' in body
    assert "Rights Watch" in body


def test_the_sitemap_lists_appeals_and_signatory_lists_with_lastmod(client, appeal):
    body = client.get("/sitemap.xml").content.decode()

    for language in ["en", "uk"]:
        assert f"<loc>{SITE}/{language}/appeals/free-the-press/</loc>" in body
        assert (
            f"<loc>{SITE}/{language}/appeals/free-the-press/signatures/</loc>" in body
        )
    assert (
        f'<xhtml:link rel="alternate" hreflang="uk" '
        f'href="{SITE}/uk/appeals/free-the-press/"/>'
    ) in body
    assert "<lastmod>" in body


def test_robots_txt_keeps_crawlers_out_of_the_admin(client, settings):
    body = client.get("/robots.txt").content.decode()

    assert f"Disallow: /{settings.ADMIN_URL}" in body
    assert f"Sitemap: {SITE}/sitemap.xml" in body


def test_pages_link_the_feed_and_the_sitemap(client, appeal):
    html = client.get("/en/").content.decode()

    assert 'type="application/atom+xml"' in html and 'href="/en/feeds/appeals/"' in html
    assert 'href="/sitemap.xml"' in html


def test_only_the_embed_may_be_framed(client, appeal):
    embed = client.get("/en/appeals/free-the-press/embed/")
    page = client.get(appeal.get_absolute_url())

    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    html = embed.content.decode()
    assert "Free the press" in html
    assert "<strong>2</strong>" in html
    assert (
        f'href="{SITE}/en/appeals/free-the-press/" target="_blank" rel="noopener"'
        in html
    )
    assert "<script" not in html
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert (
        f'&lt;iframe src="{SITE}/en/appeals/free-the-press/embed/"'
        in page.content.decode()
    )


def test_the_press_box_cites_the_appeal(client, appeal):
    html = client.get(appeal.get_absolute_url()).content.decode()

    assert "Cite this appeal" in html
    citation = re.search(r'<p id="citation"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "Rights Watch." in citation
    assert "“Free the press”" in citation
    assert f"{SITE}/appeals/free-the-press/" in citation
    assert "2 signatures as of" in citation
    assert f"{SITE}/appeals/free-the-press.json" in html
    assert f"{SITE}/a/{appeal.pk}/" in html


def test_the_share_card_is_a_1200_by_630_png(client, appeal):
    response = client.get("/en/appeals/free-the-press/card.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_the_share_card_follows_the_count(client, appeal):
    first = client.get("/en/appeals/free-the-press/card.png").content
    assert client.get("/en/appeals/free-the-press/card.png").content == first

    Appeal.objects.filter(pk=appeal.pk).update(signature_count=1000)

    assert client.get("/en/appeals/free-the-press/card.png").content != first


def test_an_uploaded_share_image_replaces_the_card(client, appeal):
    Appeal.objects.filter(pk=appeal.pk).update(share_image="appeals/share/photo.jpg")

    html = client.get(appeal.get_absolute_url()).content.decode()

    assert (
        f'<meta property="og:image" content="{SITE}/media/appeals/share/photo.jpg">'
        in html
    )


def test_times_in_json_carry_a_time_zone(client, appeal):
    published = client.get("/appeals/free-the-press.json").json()["published_at"]

    assert datetime.fromisoformat(published.replace("Z", "+00:00")).tzinfo is not None


def test_the_sitemap_lists_the_home_page_and_join_us_in_every_language(client):
    body = client.get("/sitemap.xml").content.decode()

    for language in ["en", "uk"]:
        assert f"<loc>{SITE}/{language}/</loc>" in body
        assert f"<loc>{SITE}/{language}/join/</loc>" in body
    assert f'<xhtml:link rel="alternate" hreflang="uk" href="{SITE}/uk/join/"/>' in body


def test_the_home_page_names_its_canonical_address_and_share_tags(client, appeal):
    html = client.get("/uk/").content.decode()

    assert f'<link rel="canonical" href="{SITE}/uk/">' in html
    assert '<meta property="og:type" content="website">' in html
    assert f'<meta property="og:url" content="{SITE}/uk/">' in html
    assert '<meta property="og:site_name" content="appealsite">' in html
    assert '<meta property="og:locale" content="uk_UA">' in html
    assert re.search(r'<meta property="og:description" content="[^"]+">', html)
    assert f'<meta property="og:image" content="{SITE}/uk/card.png">' in html


def test_the_home_pages_card_names_the_site_in_the_pages_language(client, settings):
    settings.SITE_NAME = "Open Appeals"
    english = client.get("/en/card.png")
    ukrainian = client.get("/uk/card.png")

    assert english["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(english.content)).size == (1200, 630)
    assert english.content != ukrainian.content
    settings.SITE_NAME = "Another name"
    assert client.get("/en/card.png").content != english.content


def test_a_later_home_page_is_its_own_canonical_address(client, appeal):
    for number in range(25):
        make_appeal(slug=f"more-{number}")

    html = client.get("/en/?page=2").content.decode()

    assert f'<link rel="canonical" href="{SITE}/en/?page=2">' in html


def structured_data(html: str) -> dict:
    scripts = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S
    )
    assert len(scripts) == 1
    return json.loads(scripts[0])


def test_the_appeal_page_describes_itself_in_schema_org_json_ld(client, appeal):
    Appeal.objects.filter(pk=appeal.pk).update(
        closes_at=timezone.now() + timedelta(days=3)
    )

    data = structured_data(client.get(appeal.get_absolute_url()).content.decode())

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Article"
    assert data["headline"] == "Free the press"
    assert data["description"] == "Reporters are jailed."
    assert data["url"] == f"{SITE}/en/appeals/free-the-press/"
    assert data["inLanguage"] == "en"
    assert data["author"] == [
        {
            "@type": "Organization",
            "name": "Rights Watch",
            "url": "https://rw.example.org/",
        }
    ]
    assert data["publisher"]["name"] == "appealsite"
    assert data["interactionStatistic"]["userInteractionCount"] == 2
    assert data["image"].startswith(f"{SITE}/en/appeals/free-the-press/card.png")
    assert datetime.fromisoformat(data["datePublished"]).tzinfo is not None
    assert datetime.fromisoformat(data["expires"]) > datetime.now(UTC)


def test_json_ld_cannot_be_ended_early_by_a_title(client, appeal):
    title = "Stop it </script><script>alert(1)</script> & <!-- now"
    Appeal.objects.filter(pk=appeal.pk).update(title=title)

    html = client.get(appeal.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in html
    assert structured_data(html)["headline"] == title


def test_a_draft_preview_carries_no_json_ld(staff_client):
    draft = make_appeal(slug="draft", status="draft", published_at=None)

    html = staff_client.get(draft.get_absolute_url()).content.decode()

    assert "application/ld+json" not in html


def test_the_embed_code_draws_no_border(client, appeal):
    html = client.get(appeal.get_absolute_url()).content.decode()

    code = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', html, re.S)
    iframe = code.group(1)
    assert iframe.startswith("&lt;iframe ")
    assert 'frameborder="0"' in iframe


def test_the_share_card_names_the_site_and_leaves_room_under_the_count(
    client, appeal, settings
):
    card = Image.open(
        io.BytesIO(client.get("/en/appeals/free-the-press/card.png").content)
    )
    # Nothing drawn in the band's lowest 40 rows: only its colour.
    colours = card.crop((0, 590, 1200, 630)).getcolors()
    assert [colour for _count, colour in colours] == [cards.ACCENT]

    settings.SITE_NAME = "Another site"
    named = cards.render_card(appeal)
    assert Image.open(io.BytesIO(named)).tobytes() != card.tobytes()
