"""Attacks on the page cache: a reader who makes every request cost a render."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60


@pytest.mark.parametrize(
    "cookie",
    [lambda: settings.SESSION_COOKIE_NAME, lambda: "messages"],
    ids=["session", "messages"],
)
def test_a_made_up_cookie_does_not_take_a_reader_past_the_page_cache(
    cookie, django_assert_max_num_queries
):
    """nginx sends anyone with such a cookie on to the app (it cannot tell a real
    one); a flood of them must find the app's own copy, not a render each."""
    url = make_appeal().get_absolute_url()
    anonymous = Client().get(url)
    reader = Client()
    reader.cookies[cookie()] = "x" * 32

    with django_assert_max_num_queries(1):  # The session looked up, no more.
        response = reader.get(url)

    assert response.status_code == 200
    assert response.content == anonymous.content
    assert "public" in response["Cache-Control"]


def test_staff_with_a_real_session_still_see_their_own_live_page(staff_client):
    url = make_appeal().get_absolute_url()
    Client().get(url)

    response = staff_client.get(url)

    assert "private" in response["Cache-Control"]


def test_a_click_id_in_the_address_does_not_make_every_reader_a_new_page(
    django_assert_max_num_queries,
):
    """Facebook adds ?fbclid=<unique> to every link it sends a reader through (and
    Google, Microsoft and newsletters their own): in a wave from there, each
    reader's address is new, and every one was rendered anew."""
    url = make_appeal().get_absolute_url()
    clean = Client().get(url)

    with django_assert_max_num_queries(0):
        response = Client().get(f"{url}?fbclid=IwAR3x_unique&utm_source=newsletter")

    assert response.status_code == 200
    assert response.content == clean.content
    assert "fbclid" not in response.content.decode()
    kept = Client().get(f"{url}?oldest=1&utm_medium=social")
    assert kept.content == Client().get(f"{url}?oldest=1").content
