"""Public pages are the same bytes for every reader, and say how long to keep them."""

import gzip
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.cache import get_max_age

from appeals.models import Appeal
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60


def public_pages(appeal) -> list[str]:
    """Every page a crowd of anonymous readers may open, in both languages."""
    slug = appeal.slug
    pages = [
        reverse("appeals:list"),
        reverse("appeals:detail", args=[slug]),
        reverse("appeals:signatures", args=[slug]),
        reverse("appeals:signatures", args=[slug]) + "?oldest=1",
        reverse("appeals:organization_sign", args=[slug]),
        reverse("appeals:embed", args=[slug]),
        reverse("appeals:feed", args=[slug]),
        reverse("appeals:my_data_request"),
        reverse("appeals:privacy"),
        reverse("community:join"),
        reverse("community:join_thanks"),
        reverse("community:typo_report") + "?url=/en/",
        reverse("feed"),
    ]
    return [
        *pages,
        *(re.sub(r"^/en/", "/uk/", page) for page in pages),
        reverse("data:json", args=[slug]),
        reverse("data:list_json"),
        reverse("data:count_json", args=[slug]),
        reverse("sitemap"),
        reverse("robots"),
    ]


def test_every_public_page_is_the_same_for_every_reader_and_sets_no_cookie(settings):
    appeal = make_appeal()
    make_signature(appeal, status="confirmed", full_name="Ann Lee")

    for url in public_pages(appeal):
        first = Client().get(url)
        second = Client(HTTP_ACCEPT_LANGUAGE="uk", HTTP_COOKIE="csrftoken=x").get(url)

        assert first.status_code == second.status_code == 200, url
        assert first.content == second.content, url
        for response in (first, second):
            assert not response.cookies, url
            assert "Set-Cookie" not in response.headers, url
            assert "Cookie" not in response.get("Vary", ""), url
            # nginx keys its copies by address and encoding and ignores Vary
            # (deploy/nginx/appealsite.conf): a kept answer may vary by nothing else.
            assert response.get("Vary", "Accept-Encoding") == "Accept-Encoding", url
            assert "public" in response["Cache-Control"], url
            assert b"csrfmiddlewaretoken" not in response.content, url


def test_what_a_page_shows_is_never_older_than_its_freshness(settings):
    settings.PAGE_FRESH_SECONDS = 10
    appeal = make_appeal()

    response = Client().get(appeal.get_absolute_url())

    cache_control = response["Cache-Control"]
    s_maxage = int(re.search(r"s-maxage=(\d+)", cache_control).group(1))
    assert get_max_age(response) > 0 and s_maxage > 0
    assert get_max_age(response) + s_maxage <= 10
    assert "stale-while-revalidate=30" in cache_control
    assert "stale-if-error=86400" in cache_control
    assert response["ETag"] and response["Last-Modified"]


def test_a_reader_who_has_the_page_gets_304(client):
    appeal = make_appeal()
    first = client.get(appeal.get_absolute_url())

    again = client.get(appeal.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert "public" in again["Cache-Control"]


def test_a_page_is_compressed_once_for_every_reader_who_accepts_gzip(client):
    appeal = make_appeal()
    plain = client.get(appeal.get_absolute_url())

    first = client.get(appeal.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip, br")
    second = Client().get(appeal.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip")

    assert first["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain
    assert gzip.decompress(first.content) == plain.content
    assert first.content == second.content  # The same bytes: compressed once.
    assert len(first.content) < len(plain.content) / 3
    assert first["Vary"] == plain["Vary"] == "Accept-Encoding"
    assert first["ETag"] != plain["ETag"]  # Two representations, two ETags.
    again = client.get(
        appeal.get_absolute_url(),
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_IF_NONE_MATCH=first["ETag"],
    )
    assert again.status_code == 304
    assert not again.content


def test_a_cached_page_needs_no_database_query(client, django_assert_num_queries):
    appeal = make_appeal()
    client.get(appeal.get_absolute_url())

    with django_assert_num_queries(0):
        response = Client().get(appeal.get_absolute_url())

    assert response.status_code == 200
    assert appeal.title in response.content.decode()


def test_the_cached_copy_follows_changes_after_its_time(client, settings):
    appeal = make_appeal(title="Before")
    client.get(appeal.get_absolute_url())
    Appeal.objects.filter(pk=appeal.pk).update(title="After")

    assert "Before" in Client().get(appeal.get_absolute_url()).content.decode()
    settings.PAGE_CACHE_SECONDS = 0
    assert "After" in Client().get(appeal.get_absolute_url()).content.decode()


def test_staff_always_see_the_live_page_and_no_cache_keeps_it(client, staff_client):
    appeal = make_appeal(title="Before")
    client.get(appeal.get_absolute_url())
    Appeal.objects.filter(pk=appeal.pk).update(title="After")

    response = staff_client.get(appeal.get_absolute_url())

    assert "After" in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_each_language_is_its_own_address_and_copy(client):
    appeal = make_appeal()
    client.get(appeal.get_absolute_url())

    html = Client().get(f"/uk{appeal.get_absolute_url()[3:]}").content

    assert "Додайте свій підпис" in html.decode()


def test_an_error_is_not_kept_and_no_cache_may_keep_it(client):
    response = client.get("/en/appeals/no-such-appeal/")

    assert response.status_code == 404
    assert "private" in response["Cache-Control"]
    assert not response.cookies


def test_an_old_copy_is_served_while_one_request_renders_anew(client):
    from django.core.cache import cache

    from appeals import localcache

    appeal = make_appeal(title="Before")
    client.get(appeal.get_absolute_url())
    key, _old_copy = expire_the_cached_copy()
    Appeal.objects.filter(pk=appeal.pk).update(title="After")
    localcache.clear()

    cache.add(f"{key}:rendering", True, 10)  # Another request is rendering it.
    assert "Before" in Client().get(appeal.get_absolute_url()).content.decode()

    cache.delete(f"{key}:rendering")
    localcache.clear()
    assert "After" in Client().get(appeal.get_absolute_url()).content.decode()


def test_an_old_copy_is_kept_by_no_cache_past_the_page_s_freshness(client, settings):
    from django.core.cache import cache

    from appeals import localcache

    appeal = make_appeal()
    client.get(appeal.get_absolute_url())
    key, _old_copy = expire_the_cached_copy()
    localcache.clear()
    cache.add(f"{key}:rendering", True, 10)

    response = Client().get(appeal.get_absolute_url())

    assert "max-age=0" in response["Cache-Control"]
    assert "s-maxage=0" in response["Cache-Control"]


def test_a_copy_one_process_rendered_anew_is_not_rendered_again_by_another(
    client, django_assert_num_queries
):
    from appeals import localcache

    appeal = make_appeal(title="Before")
    client.get(appeal.get_absolute_url())
    key, old_copy = expire_the_cached_copy()
    Appeal.objects.filter(pk=appeal.pk).update(title="After")
    localcache.clear()
    assert "After" in Client().get(appeal.get_absolute_url()).content.decode()

    # Another process still holds the old copy for its second: it serves it...
    localcache.put(key, 1, old_copy)
    with django_assert_num_queries(0):
        assert "Before" in Client().get(appeal.get_absolute_url()).content.decode()
    # ...and then takes the new one from the shared cache instead of rendering.
    localcache.forget(key)
    with django_assert_num_queries(0):
        assert "After" in Client().get(appeal.get_absolute_url()).content.decode()


def expire_the_cached_copy():
    """Make the one cached page's time up; return its key and the old copy."""
    from dataclasses import replace

    from django.core.cache import cache

    [key] = [k for k in cache._cache if ":appeals:page:" in k]
    key = key.split(":", 2)[2]
    old_copy = replace(cache.get(key), rendered_at=0)
    cache.set(key, old_copy)
    return key, old_copy


@pytest.mark.parametrize(
    "precondition",
    [
        {"HTTP_IF_MATCH": '"not-this-one"'},
        {"HTTP_IF_UNMODIFIED_SINCE": "Mon, 01 Jan 1990 00:00:00 GMT"},
    ],
)
def test_an_answer_to_one_reader_s_precondition_is_kept_by_no_cache(precondition):
    appeal = make_appeal()
    for url in [appeal.get_absolute_url(), reverse("data:json", args=[appeal.slug])]:
        response = Client().get(url, **precondition)

        assert response.status_code == 412, url
        assert "public" not in response["Cache-Control"], url


def test_a_kept_page_keeps_what_its_view_said_about_it():
    Client().get(reverse("sitemap"))

    again = Client().get(reverse("sitemap"))

    assert again["X-Robots-Tag"] == "noindex, noodp, noarchive"
    assert again["Content-Type"] == "application/xml"
