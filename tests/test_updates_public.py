"""After the signatures, in public: the timeline, the response clock, the feeds and
the JSON of what happened to an appeal."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appeals.models import Appeal, DeliveryEvent, ResponseClock, Update, UpdateText
from appeals.services import updates
from tests.factories import in_language, make_appeal, make_organization

pytestmark = pytest.mark.django_db

SITE = "https://appeals.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def days_ago(days):
    return timezone.localdate() - timedelta(days=days)


def event(appeal, kind, days, **fields):
    return DeliveryEvent.objects.create(
        appeal=appeal, kind=kind, occurred_on=days_ago(days), **fields
    )


def delivered(appeal, days, **fields):
    return event(appeal, DeliveryEvent.Kind.DELIVERED, days, **fields)


def replied(appeal, days, **fields):
    return event(appeal, DeliveryEvent.Kind.REPLY, days, **fields)


def published_update(appeal, **fields):
    fields = {
        "title": "We handed the letter over",
        "body": "The ministry **signed** for it.",
        "state": Update.State.SENT,
        "published_at": timezone.now() - timedelta(hours=1),
    } | fields
    return Update.objects.create(appeal=appeal, **fields)


def html_of(url, language="en"):
    return Client().get(in_language(url, language)).content.decode()


def ukrainian_update(appeal):
    """A Ukrainian version of the appeal, and an update with its own text in it."""
    translation = make_appeal(
        slug="zvilnit-presu",
        title="Звільніть пресу",
        language="uk",
        translation_of=appeal,
    )
    update = published_update(appeal)
    UpdateText.objects.create(
        update=update, appeal_version=translation, title="Ми передали лист", body="Так."
    )
    return translation, update


@pytest.fixture
def appeal():
    return make_appeal(
        slug="free-the-press",
        title="Free the press",
        addressee="the Ministry of Justice",
        authors=[make_organization(name="Rights Watch")],
    )


# --- The timeline on the appeal page -----------------------------------------


def test_the_timeline_shows_delivery_events_and_published_updates_not_drafts(
    appeal,
):
    delivered(appeal, 12, channel="by registered mail", signature_count=1234)
    update = published_update(appeal)
    published_update(
        appeal, title="A draft nobody may see", state="draft", published_at=None
    )
    published_update(
        appeal,
        title="Scheduled for tomorrow",
        state="scheduled",
        published_at=None,
        send_at=timezone.now() + timedelta(days=1),
    )

    html = html_of(appeal.get_absolute_url())

    timeline = re.search(r'<section[^>]*id="timeline".*?</section>', html, re.S)
    assert timeline is not None
    timeline = timeline.group(0)
    assert "What happened next" in timeline
    assert "Delivered to the Ministry of Justice (by registered mail)" in timeline
    assert f'<a href="/en/appeals/free-the-press/updates/{update.pk}/" lang="en">' in (
        timeline
    )
    assert "We handed the letter over" in timeline
    assert "A draft nobody may see" not in html
    assert "Scheduled for tomorrow" not in html


def test_the_timeline_lists_the_newest_first_and_stands_above_the_letter(appeal):
    delivered(appeal, 12)
    replied(appeal, 3, text="We will look into it.")
    published_update(appeal, title="The ministry answered")

    html = html_of(appeal.get_absolute_url())

    timeline = html[html.index('id="timeline"') :]
    newest, reply, delivery = (
        timeline.index("The ministry answered"),
        timeline.index("We will look into it."),
        timeline.index("Delivered to the Ministry of Justice"),
    )
    assert newest < reply < delivery
    assert html.index('id="timeline"') < html.index('class="appeal-body"')


def test_the_appeal_page_queries_do_not_grow_with_its_timeline(
    client, appeal, django_assert_num_queries
):
    translation = make_appeal(
        slug="zvilnit-presu",
        title="Звільніть пресу",
        language="uk",
        translation_of=appeal,
    )

    def add():
        delivered(appeal, 12)
        update = published_update(appeal)
        UpdateText.objects.create(
            update=update, appeal_version=translation, title="Так", body="Так."
        )

    add()
    client.get(translation.get_absolute_url())  # Site settings are cached after this.
    with django_assert_num_queries(10) as few:
        client.get(translation.get_absolute_url())
    for _ in range(5):
        add()
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(translation.get_absolute_url()).content.decode()
    assert html.count('lang="uk">Так</a>') == 6


def test_a_long_reply_is_summarized_with_the_whole_text_one_click_away(appeal):
    delivered(appeal, 12)
    words = " ".join(f"word{number}" for number in range(100))
    reply = replied(appeal, 2, text=words)

    html = html_of(appeal.get_absolute_url())

    assert len(reply.summary) <= 201 and reply.summary.endswith("…")
    assert (
        f'<blockquote class="reply-summary mb-1">{reply.summary}</blockquote>' in html
    )
    assert "<summary>Read it in full</summary>" in html
    assert "word99" in html  # In the <details>, which opens without JavaScript.


def test_staff_text_on_the_timeline_is_escaped(appeal):
    delivered(appeal, 5, channel="<i>by hand</i>")
    replied(appeal, 1, text="<script>alert(1)</script>")
    published_update(appeal, title="<b>Bold</b> claims")

    html = html_of(appeal.get_absolute_url())

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;i&gt;by hand&lt;/i&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; claims" in html
    assert 'style="' not in html


def test_a_translation_shows_the_update_in_its_own_language(appeal):
    translation, update = ukrainian_update(appeal)

    html = html_of(translation.get_absolute_url())

    assert (
        f'<a href="/en/appeals/zvilnit-presu/updates/{update.pk}/" lang="uk">'
        "Ми передали лист</a>"
    ) in html


def test_dates_on_the_page_carry_no_microseconds(appeal):
    published_update(
        appeal,
        published_at=timezone.now().replace(microsecond=123456) - timedelta(seconds=1),
    )
    Appeal.objects.filter(pk=appeal.pk).update(
        published_at=timezone.now().replace(microsecond=654321) - timedelta(days=1)
    )

    html = html_of(appeal.get_absolute_url())

    datetimes = re.findall(r'<time datetime="([^"]+)"', html)
    assert len(datetimes) == 2
    for value in datetimes:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", value), value


# --- The response clock --------------------------------------------------------


def clock_of(html):
    found = re.search(
        r'<section class="response-clock.*?<p class="fw-semibold mb-1">(.*?)</p>',
        html,
        re.S,
    )
    return found and " ".join(found.group(1).split())


def test_no_clock_before_the_appeal_is_delivered(appeal):
    published_update(appeal)

    html = html_of(appeal.get_absolute_url())

    assert clock_of(html) is None
    assert "no reply yet" not in html


@pytest.mark.parametrize(
    ("days", "english", "ukrainian"),
    [
        (0, "Delivered today, no reply yet", "Доставлено сьогодні, відповіді ще немає"),
        (
            1,
            "Delivered 1 day ago, no reply yet",
            "Доставлено 1 день тому, відповіді ще немає",
        ),
        (
            3,
            "Delivered 3 days ago, no reply yet",
            "Доставлено 3 дні тому, відповіді ще немає",
        ),
        (
            12,
            "Delivered 12 days ago, no reply yet",
            "Доставлено 12 днів тому, відповіді ще немає",
        ),
        (
            21,
            "Delivered 21 days ago, no reply yet",
            "Доставлено 21 день тому, відповіді ще немає",
        ),
    ],
)
def test_the_clock_counts_the_days_waiting_in_english_and_ukrainian(
    appeal, days, english, ukrainian
):
    delivered(appeal, days)

    assert clock_of(html_of(appeal.get_absolute_url())) == english
    assert clock_of(html_of(appeal.get_absolute_url(), "uk")) == ukrainian


def test_the_clock_stands_near_the_top_before_the_summary(appeal):
    delivered(appeal, 12)

    html = html_of(appeal.get_absolute_url())

    assert html.index("Delivered 12 days ago") < html.index("appeal-summary")
    assert '<a href="#timeline">See the whole timeline</a>' in html


def test_a_reply_stops_the_clock_and_is_quoted_with_a_link(appeal):
    delivered(appeal, 12)
    reply = replied(appeal, 2, text="We have received your letter and will reply.")
    iso = reply.occurred_on.isoformat()

    english = html_of(appeal.get_absolute_url())
    ukrainian = html_of(appeal.get_absolute_url(), "uk")

    assert clock_of(english).startswith(f'Reply received on <time datetime="{iso}">')
    assert clock_of(ukrainian).startswith(f'Відповідь отримано <time datetime="{iso}">')
    assert ">We have received your letter and will reply.</blockquote>" in english
    assert f'<a href="#event-{reply.pk}">Read the reply</a>' in english
    assert f'id="event-{reply.pk}"' in english
    assert "no reply yet" not in english


def test_a_reply_before_the_latest_delivery_does_not_stop_the_clock(appeal):
    delivered(appeal, 30)
    replied(appeal, 25, text="No.")
    delivered(appeal, 12)

    assert clock_of(html_of(appeal.get_absolute_url())) == (
        "Delivered 12 days ago, no reply yet"
    )


# --- The home page -------------------------------------------------------------


def test_each_card_shows_its_clock_once_delivered(appeal):
    delivered(appeal, 12)
    make_appeal(title="Not delivered yet")

    html = html_of("/en/")

    assert html.count("Delivered 12 days ago, no reply yet") == 1
    assert f'href="{appeal.get_absolute_url()}#timeline"' in html


def test_the_home_page_lists_appeals_awaiting_a_reply_the_longest_first():
    waiting_long = make_appeal(title="Waiting long")
    delivered(waiting_long, 40)
    waiting = make_appeal(title="Waiting a little")
    delivered(waiting, 3)
    answered = make_appeal(title="Answered")
    delivered(answered, 20)
    replied(answered, 2)
    make_appeal(title="Not delivered")
    archived = make_appeal(title="Archived", status=Appeal.Status.ARCHIVED)
    delivered(archived, 100)
    draft = make_appeal(title="A draft", status=Appeal.Status.DRAFT, published_at=None)
    delivered(draft, 5)

    html = html_of("/en/")
    ukrainian = html_of("/uk/")

    aside = re.search(
        r'<aside[^>]*aria-labelledby="awaiting-heading".*?</aside>', html, re.S
    )
    assert aside is not None
    aside = aside.group(0)
    assert "Awaiting a reply" in aside
    titles = re.findall(r'#timeline">([^<]+)</a>', aside)
    assert titles == ["Waiting long", "Waiting a little"]
    assert "40 days without a reply" in aside
    assert "3 days without a reply" in aside
    assert "40 днів без відповіді" in ukrainian
    assert "3 дні без відповіді" in ukrainian
    assert "A draft" not in html


def test_no_awaiting_section_when_nothing_waits(appeal):
    assert "Awaiting a reply" not in html_of("/en/")


def test_the_home_page_queries_do_not_grow_with_delivered_appeals(
    client, django_assert_num_queries
):
    def add():
        appeal = make_appeal(authors=[make_organization()])
        make_appeal(translation_of=appeal, language="uk")
        delivered(appeal, 12)
        replied(appeal, 2, text="Maybe.")
        waiting = make_appeal()
        delivered(waiting, 5)

    add()
    with django_assert_num_queries(7) as few:
        client.get("/en/")
    for _ in range(5):
        add()
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get("/en/").content.decode()
    assert html.count("5 days without a reply") == 6


def test_the_awaiting_query_agrees_with_the_response_clock():
    cases = {
        "never delivered": [],
        "waiting": [("delivered", 10)],
        "answered": [("delivered", 10), ("reply", 4)],
        "answered the same day": [("delivered", 10), ("reply", 10)],
        "delivered again since the reply": [
            ("delivered", 30),
            ("reply", 20),
            ("delivered", 10),
        ],
        "only a follow-up": [("follow_up", 3)],
    }
    appeals = {}
    for name, steps in cases.items():
        appeals[name] = make_appeal(title=name)
        for kind, days in steps:
            event(appeals[name], kind, days)

    waiting = set(Appeal.objects.awaiting_reply().values_list("title", flat=True))

    for name, appeal in appeals.items():
        clock = ResponseClock.of(appeal.delivery_events.all())
        assert (name in waiting) == bool(clock and clock.is_waiting), name
    assert waiting == {"waiting", "delivered again since the reply"}


# --- The update's own page -------------------------------------------------------


def test_an_update_page_names_its_appeal_date_and_share_title(appeal):
    update = published_update(appeal, title="Delivered <today>")

    html = html_of(update.get_absolute_url())

    url = f"{SITE}/en/appeals/free-the-press/updates/{update.pk}/"
    assert '<h1 id="update-title" class="h2">Delivered &lt;today&gt;</h1>' in html
    assert '<meta property="og:title" content="Delivered &lt;today&gt;">' in html
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:description" content="The ministry signed for it.">' in (
        html
    )
    assert '<a href="/en/appeals/free-the-press/">Free the press</a>' in html
    assert f'<time datetime="{update.published_at:%Y-%m-%dT%H:%M:%S}+0000">' in html
    assert "<strong>signed</strong>" in html


def test_an_update_page_links_its_other_language_versions(appeal):
    translation = make_appeal(
        slug="zvilnit-presu",
        title="Звільніть пресу",
        language="uk",
        translation_of=appeal,
    )
    make_appeal(
        slug="svobodu", title="Свободу прессе", language="ru", translation_of=appeal
    )
    update = published_update(appeal)
    UpdateText.objects.create(
        update=update, appeal_version=translation, title="Ми передали лист", body="Так."
    )

    english = html_of(f"/en/appeals/free-the-press/updates/{update.pk}/")
    ukrainian = html_of(f"/en/appeals/zvilnit-presu/updates/{update.pk}/")

    for html in [english, ukrainian]:
        assert (
            f'<link rel="alternate" hreflang="uk" '
            f'href="{SITE}/en/appeals/zvilnit-presu/updates/{update.pk}/">'
        ) in html
        assert (
            f'<link rel="alternate" hreflang="en" '
            f'href="{SITE}/en/appeals/free-the-press/updates/{update.pk}/">'
        ) in html
        # No Russian text: no Russian version's page (the interface's Russian is
        # another matter: the switcher offers this page with Russian buttons).
        assert "/appeals/svobodu/updates/" not in html
    assert '<article class="col-lg-8" lang="uk"' in ukrainian
    assert "Ми передали лист" in ukrainian


def test_only_published_updates_of_that_appeal_have_a_page(client, appeal):
    draft = published_update(appeal, state="draft", published_at=None)
    scheduled = published_update(
        appeal, state="scheduled", published_at=timezone.now() + timedelta(hours=2)
    )
    other = published_update(make_appeal(slug="another"))

    for update in [draft, scheduled]:
        assert client.get(update.get_absolute_url()).status_code == 404
    wrong_appeal = f"/en/appeals/free-the-press/updates/{other.pk}/"
    assert client.get(wrong_appeal).status_code == 404


# --- Feeds ---------------------------------------------------------------------


def entries_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "category": entry.find(f"{ATOM}category").get("term"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ], feed


def test_the_appeal_feed_has_its_updates_and_delivery_events(client, appeal):
    delivery = delivered(appeal, 12, signature_count=1234)
    update = published_update(appeal)
    published_update(appeal, title="A draft", state="draft", published_at=None)

    entries, feed = entries_of(client.get("/en/appeals/free-the-press/feed/"))

    assert (
        reverse("appeals:feed", args=[appeal.slug])
        == "/en/appeals/free-the-press/feed/"
    )
    assert feed.findtext(f"{ATOM}title") == "Updates on “Free the press”"
    assert entries == [
        {
            "title": "We handed the letter over",
            "link": f"{SITE}/en/appeals/free-the-press/updates/{update.pk}/",
            "category": "update",
        },
        {
            "title": "Delivered to the Ministry of Justice",
            "link": f"{SITE}/en/appeals/free-the-press/#event-{delivery.pk}",
            "category": "delivered",
        },
    ]
    summary = feed.find(f"{ATOM}entry").findtext(f"{ATOM}summary")
    assert "<strong>signed</strong>" in summary


def test_the_feed_of_a_translation_speaks_its_language(client, appeal):
    translation, update = ukrainian_update(appeal)
    replied(appeal, 1, text="<b>Ні</b>")

    entries, feed = entries_of(client.get("/en/appeals/zvilnit-presu/feed/"))

    assert feed.findtext(f"{ATOM}title") == "Новини про «Звільніть пресу»"
    assert [entry["title"] for entry in entries] == [
        "Ми передали лист",
        "Отримано відповідь",
    ]
    assert "&lt;b&gt;Ні&lt;/b&gt;" in feed.findall(f"{ATOM}entry")[1].findtext(
        f"{ATOM}summary"
    )


def test_the_appeal_feed_follows_a_renamed_appeal_and_hides_drafts(client, appeal):
    from appeals.services import record_former_slug

    record_former_slug(appeal=appeal, slug="old-name")
    draft = make_appeal(slug="secret", status=Appeal.Status.DRAFT, published_at=None)

    response = client.get("/en/appeals/old-name/feed/")

    assert response.status_code == 301
    assert response.headers["Location"] == "/en/appeals/free-the-press/feed/"
    assert client.get(f"/en/appeals/{draft.slug}/feed/").status_code == 404


def test_pages_link_the_appeal_feed_in_their_head(appeal):
    update = published_update(appeal)
    link = (
        '<link rel="alternate" type="application/atom+xml" '
        'title="Updates on “Free the press”" '
        f'href="{SITE}/en/appeals/free-the-press/feed/">'
    )

    assert link in html_of(appeal.get_absolute_url())
    assert link in html_of(update.get_absolute_url())


def test_the_site_feed_adds_updates_to_the_new_appeals(client, appeal):
    update = published_update(appeal)
    published_update(appeal, title="A draft", state="draft", published_at=None)
    hidden = make_appeal(
        title="Draft appeal", status=Appeal.Status.DRAFT, published_at=None
    )
    published_update(hidden, title="On a draft appeal")

    entries, feed = entries_of(client.get("/en/feeds/appeals/"))

    assert feed.findtext(f"{ATOM}title") == "New appeals and updates"
    assert entries == [
        {
            "title": "Update on “Free the press”: We handed the letter over",
            "link": f"{SITE}/en/appeals/free-the-press/updates/{update.pk}/",
            "category": "update",
        },
        {
            "title": "Free the press",
            "link": f"{SITE}/en/appeals/free-the-press/",
            "category": "appeal",
        },
    ]
    authors = [name.text for name in feed.iter(f"{ATOM}name")]
    assert authors == ["Rights Watch", "Rights Watch"]


# --- JSON ----------------------------------------------------------------------


def test_the_json_lists_updates_and_the_response(client, appeal):
    delivered(appeal, 12)
    update = published_update(appeal)
    published_update(appeal, title="A draft", state="draft", published_at=None)

    data = client.get("/appeals/free-the-press.json").json()

    assert data["updates"] == [
        {
            "title": "We handed the letter over",
            "published_at": data["updates"][0]["published_at"],
            "url": f"{SITE}/appeals/free-the-press/updates/{update.pk}/",
        }
    ]
    assert data["updates"][0]["published_at"].endswith("Z")
    assert data["response"] == {
        "status": "awaiting_reply",
        "delivered_on": days_ago(12).isoformat(),
        "days_waiting": 12,
        "replied_on": None,
        "reply_summary": None,
    }

    replied(appeal, 2, text="  We will\nreview   it. ")
    data = client.get("/appeals/free-the-press.json").json()
    assert data["response"] == {
        "status": "replied",
        "delivered_on": days_ago(12).isoformat(),
        "days_waiting": 10,
        "replied_on": days_ago(2).isoformat(),
        "reply_summary": "We will review it.",
    }
    listed = client.get("/appeals.json").json()["results"][0]
    assert listed["response"] == data["response"]
    assert listed["updates"] == data["updates"]


def test_a_translations_json_gives_its_own_update_titles_and_pages(client, appeal):
    translation, update = ukrainian_update(appeal)

    data = client.get("/appeals/zvilnit-presu.json").json()

    assert [(item["title"], item["url"]) for item in data["updates"]] == [
        ("Ми передали лист", f"{SITE}/appeals/zvilnit-presu/updates/{update.pk}/")
    ]


def test_a_new_update_makes_a_conditional_json_request_fetch_again(client, appeal):
    first = client.get("/appeals/free-the-press.json")
    since = first["Last-Modified"]
    assert (
        client.get(
            "/appeals/free-the-press.json", HTTP_IF_MODIFIED_SINCE=since
        ).status_code
        == 304
    )

    published_update(appeal, published_at=timezone.now())
    Update.objects.update(updated_at=timezone.now() + timedelta(seconds=2))

    again = client.get("/appeals/free-the-press.json", HTTP_IF_MODIFIED_SINCE=since)
    assert again.status_code == 200
    assert len(again.json()["updates"]) == 1


# Found by attacking it.


def test_a_cancelled_update_is_taken_off_the_site(client, appeal):
    update = published_update(appeal, title="Mistaken update naming a witness")
    updates.cancel_update(update=update)

    page = client.get(reverse("appeals:update", args=[appeal.slug, update.pk]))
    feed = client.get(reverse("appeals:feed", args=[appeal.slug]))
    data = client.get(reverse("data:json", args=[appeal.slug])).json()

    assert page.status_code == 404
    assert b"naming a witness" not in feed.content
    assert data["updates"] == []


@pytest.mark.parametrize("field", ["title", "body"])
def test_a_control_character_in_staff_text_does_not_break_the_feeds(
    client, appeal, field
):
    published_update(appeal, **{field: "Delivered\x0btoday"})
    DeliveryEvent.objects.create(
        appeal=appeal,
        kind=DeliveryEvent.Kind.REPLY,
        occurred_on=timezone.localdate(),
        text="We refuse.\x0bThe Ministry",
    )

    assert client.get(reverse("appeals:feed", args=[appeal.slug])).status_code == 200
    assert client.get("/en/feeds/appeals/").status_code == 200
