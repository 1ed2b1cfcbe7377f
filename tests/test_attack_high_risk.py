"""Attacks on high-risk mode: what outlives a signer's address, outside the tables."""

import pytest
from django.urls import reverse

from appeals.models import Appeal, Signature
from tests.factories import form_shown, make_appeal
from tests.test_high_risk import (
    TYPED,
    _keys_the_site_holds,
    _traces,
    keyed_code,
    link_from,
    sign_and_confirm,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def appeal():
    return make_appeal(title="Release the strikers", is_high_risk=True)


def _redis_contents(redis_cache) -> str:
    """Every key and value this test wrote to Redis, as one text."""
    server = redis_cache._cache.get_client()
    parts = []
    for key in server.scan_iter(match=f"{redis_cache.key_prefix}:*"):
        parts.append(key.decode(errors="replace"))
        kind = server.type(key).decode()
        if kind == "string":
            parts.append(server.get(key).decode(errors="replace"))
        elif kind == "zset":
            parts += [m.decode(errors="replace") for m in server.zrange(key, 0, -1)]
    return "\n".join(parts)


def test_redis_holds_no_trace_of_a_confirmed_high_risk_signers_address(
    client, appeal, mailoutbox, redis_cache
):
    sign_and_confirm(client, appeal, mailoutbox)
    # A second submission, screened in the request (the "already signed" path).
    client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        {
            "full_name": "Olena Marchuk",
            "email": TYPED,
            "country": "KZ",
            "visibility": "counted",
            **form_shown(),
        },
    )
    assert Signature.objects.get().email == ""

    stored = _redis_contents(redis_cache)
    assert "appeals:window:mailbox" in stored  # The limits did count it.
    own_key = bytes.fromhex(Appeal.objects.get().high_risk_key)
    keys = [key for key in _keys_the_site_holds() if key != own_key]
    assert [trace for trace in _traces(TYPED, keys) if trace in stored] == []
    # Nor the mailbox the limits count by (the address without its dots or tag).
    assert "olena.marchuk" not in stored.lower()
    assert "olenamarchuk" not in stored.lower()
