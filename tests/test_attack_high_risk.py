"""Attacks on high-risk mode: what outlives a signer's address, outside the tables."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appeals.models import Appeal, DataAccessLink, Signature
from appeals.services import turn_on_high_risk
from appeals.services.retention import purge_expired
from tests.factories import form_shown, make_appeal, make_signature
from tests.test_high_risk import (
    TYPED,
    _keys_the_site_holds,
    _traces,
    close_long_ago,
    keyed_code,
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


def test_a_signature_from_a_server_that_had_not_seen_the_mode_on_is_set_right(
    settings, appeal
):
    """A server keeps the appeal it read for a second (views.signing): a signer
    who signed there as the mode went on, and again after, has two rows, one with
    the address and one with its code. The daily job must still hash and, later,
    destroy the key: one appeal's duplicate cannot stop it for every appeal."""
    other = make_appeal(is_high_risk=True)
    make_signature(other, email="someone@example.org")
    stale = Appeal.objects.get(pk=appeal.pk)
    stale.is_high_risk = False
    make_signature(stale, email="ann@example.org", status="pending")
    make_signature(appeal, email="Ann@Example.org")
    assert Signature.objects.filter(email_normalized="ann@example.org").exists()

    purge_expired()

    assert not Signature.objects.filter(email_normalized="ann@example.org").exists()
    assert (
        Signature.objects.filter(
            email_normalized=keyed_code(appeal, "ann@example.org")
        ).count()
        == 1
    )
    close_long_ago(appeal, settings.HIGH_RISK_KEY_GRACE_DAYS + 1)
    close_long_ago(other, settings.HIGH_RISK_KEY_GRACE_DAYS + 1)
    purge_expired()
    assert list(Appeal.objects.values_list("high_risk_key", flat=True)) == ["", ""]
    assert not Signature.objects.exclude(email_normalized="").exists()


def test_turning_the_mode_on_with_such_a_pair_does_not_fail_in_the_admin(appeal):
    Appeal.objects.filter(pk=appeal.pk).update(is_high_risk=False)
    stale = Appeal.objects.get(pk=appeal.pk)
    make_signature(stale, email="ann@example.org")
    make_signature(appeal, email="ann@example.org", status="pending")

    assert turn_on_high_risk(appeal=appeal) >= 1

    assert not Signature.objects.filter(email_normalized="ann@example.org").exists()


def test_a_link_to_ones_data_keeps_no_address_in_the_database(
    client, appeal, mailoutbox
):
    """Who asks to see their data is likely someone who signed a high-risk
    appeal: for the day the link lives, a seized database must not list them."""
    sign_and_confirm(client, appeal, mailoutbox)
    client.post(
        reverse("appeals:my_data_request"),
        {"email": TYPED, **form_shown()},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    link = re.search(
        r"http://testserver(/[a-z]{2}/my-data/[^/\s]+/)", mailoutbox[-1].body
    )

    own_key = bytes.fromhex(Appeal.objects.get().high_risk_key)
    keys = [key for key in _keys_the_site_holds() if key != own_key]
    stored = "\n".join(
        str(value) for row in DataAccessLink.objects.values_list() for value in row
    )
    assert stored
    assert [trace for trace in _traces(TYPED, keys) if trace in stored] == []
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "Release the strikers" in page.content.decode()


def test_a_rejected_high_risk_signature_keeps_its_code_but_not_its_address(appeal):
    """Quarantined (a Tor user past the limits, say) and then rejected: once its
    link would have expired, its address is of no use to anyone."""
    from appeals.services import reject_signatures

    rejected = make_signature(appeal, email="Ann@Example.org", status="quarantined")
    reject_signatures(signatures=Signature.objects.filter(pk=rejected.pk))
    kept = make_signature(appeal, email="bob@example.org", status="pending")
    Signature.objects.update(created_at=timezone.now() - timedelta(days=8))
    Signature.objects.filter(pk=kept.pk).update(created_at=timezone.now())

    purge_expired()

    rejected.refresh_from_db()
    assert rejected.status == Signature.Status.REJECTED
    assert (rejected.email, rejected.ip_hash) == ("", "")
    assert rejected.email_normalized == keyed_code(appeal, "ann@example.org")
    kept.refresh_from_db()
    assert kept.email == "bob@example.org"  # Its link still works.


def test_reopening_an_appeal_while_its_key_is_being_destroyed_leaves_it_signable(
    client, settings, appeal, mailoutbox
):
    """Staff reopen the appeal while the daily job erases its codes: the job must
    not then destroy the key of an open appeal, or every signature is a 500."""
    from appeals.services import reopen_appeal
    from appeals.services.highrisk import destroy_keys
    from appeals.services.retention import _in_slices

    close_long_ago(appeal, settings.HIGH_RISK_KEY_GRACE_DAYS + 1)
    make_signature(appeal, email="ann@example.org")

    def reopened_meanwhile(rows, action, label, progress):
        current = Appeal.objects.get(pk=appeal.pk)
        if current.status == Appeal.Status.CLOSED:
            reopen_appeal(appeal=current)
        return _in_slices(rows, action, label, progress)

    destroy_keys(now=timezone.now(), in_slices=reopened_meanwhile, progress=print)

    reopened = Appeal.objects.get(pk=appeal.pk)
    assert reopened.is_open
    assert reopened.high_risk_key
    response = client.post(
        reverse("appeals:sign", kwargs={"slug": appeal.slug}),
        {
            "full_name": "Bob",
            "email": "bob@example.org",
            "country": "KZ",
            "visibility": "counted",
            **form_shown(),
        },
    )
    assert response.status_code == 302
    assert Signature.objects.filter(
        email_normalized=keyed_code(appeal, "bob@example.org")
    ).exists()


def test_turning_it_on_for_a_large_appeal_leaves_the_hashing_to_the_worker(
    monkeypatch, django_assert_max_num_queries
):
    """Hashing 100,000 addresses took a minute, in one admin request: past
    gunicorn's time-out, which rolled the mode back. A large appeal has it done
    by the task worker, each statement a slice."""
    from django.db import transaction

    from appeals.services import highrisk

    monkeypatch.setattr(highrisk, "HASHED_IN_REQUEST", 2)
    monkeypatch.setattr(highrisk, "HASH_CHUNK", 2)
    plain = make_appeal()
    for number in range(5):
        make_signature(plain, email=f"signer{number}@example.org")
    make_signature(plain, email="pending@example.org", status="pending")

    with transaction.atomic():  # As the admin saves it.
        Appeal.objects.filter(pk=plain.pk).update(is_high_risk=True)
        plain.refresh_from_db()
        plain.save()
        with django_assert_max_num_queries(2):
            turn_on_high_risk(appeal=plain)
        assert Signature.objects.filter(email_normalized__contains="@").count() == 6

    assert not Signature.objects.filter(email_normalized__contains="@").exists()
    assert list(
        Signature.objects.exclude(email="").values_list("email", flat=True)
    ) == ["pending@example.org"]
    assert Signature.objects.filter(
        email_normalized=keyed_code(plain, "signer4@example.org")
    ).exists()
