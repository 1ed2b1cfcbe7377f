"""Anonymous readers get a cached copy, stamped with their own CSRF token."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from appeals.models import Appeal, Signature
from tests.factories import form_shown, make_appeal

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60


def test_a_cached_page_needs_no_database_query(client, django_assert_num_queries):
    appeal = make_appeal()
    client.get(appeal.get_absolute_url())

    with django_assert_num_queries(0):
        response = Client().get(appeal.get_absolute_url())

    assert response.status_code == 200
    assert appeal.title in response.content.decode()


def test_each_reader_gets_their_own_working_token(settings):
    appeal = make_appeal()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(appeal.get_absolute_url())

    page = second.get(appeal.get_absolute_url())

    tokens = set(TOKEN.findall(page.content.decode()))
    assert len(tokens) == 1 and "__csrf" not in tokens.pop()
    token = TOKEN.search(page.content.decode()).group(1)
    response = second.post(
        reverse("appeals:sign", args=[appeal.slug]),
        {
            "csrfmiddlewaretoken": token,
            "full_name": "Ann Lee",
            "email": "ann@example.org",
            "country": "UA",
            "visibility": "public",
            **form_shown(),
        },
    )
    assert response.status_code == 302
    assert Signature.objects.count() == 1


def test_the_cached_copy_follows_changes_after_its_time(client, settings):
    appeal = make_appeal(title="Before")
    client.get(appeal.get_absolute_url())
    Appeal.objects.filter(pk=appeal.pk).update(title="After")

    assert "Before" in Client().get(appeal.get_absolute_url()).content.decode()
    settings.PAGE_CACHE_SECONDS = 0
    assert "After" in Client().get(appeal.get_absolute_url()).content.decode()


def test_staff_always_see_the_live_page(client, staff_client):
    appeal = make_appeal(title="Before")
    client.get(appeal.get_absolute_url())
    Appeal.objects.filter(pk=appeal.pk).update(title="After")

    assert "After" in staff_client.get(appeal.get_absolute_url()).content.decode()


def test_languages_are_cached_apart(client):
    appeal = make_appeal()
    client.get(appeal.get_absolute_url())

    html = Client(HTTP_ACCEPT_LANGUAGE="uk").get(appeal.get_absolute_url()).content
    assert "Додайте свій підпис" in html.decode()


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
    from django.core.cache import cache

    [key] = [k for k in cache._cache if ":appeals:page:" in k]
    key = key.split(":", 2)[2]
    content, content_type, _fresh_until, placeholder = cache.get(key)
    old_copy = (content, content_type, 0, placeholder)
    cache.set(key, old_copy)
    return key, old_copy
