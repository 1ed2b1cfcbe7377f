"""High-risk mode: the address goes once confirmed, the key and codes after closing."""

import base64
import hashlib
import hmac
import re
import subprocess
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone

from appeals.admin.appeals import AppealAdminForm
from appeals.models import (
    Appeal,
    IPHashKey,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
    normalize_email,
)
from appeals.services import turn_on_high_risk, updates
from appeals.services.retention import purge_expired
from tests.factories import form_shown, make_appeal, make_signature
from tests.services.helpers import make_cosignature

# Real commits: emails go out after commit, as in production; pg_dump reads them.
pytestmark = pytest.mark.django_db(transaction=True)

TYPED = " Olena.Marchuk@Example.ORG"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def appeal():
    return make_appeal(title="Release the strikers", is_high_risk=True)


def sign(client, appeal, **overrides):
    data = {
        "full_name": "Olena Marchuk",
        "email": TYPED,
        "country": "KZ",
        "city": "Zhanaozen",
        "visibility": "counted",
        **form_shown(),
        **overrides,
    }
    return client.post(reverse("appeals:sign", kwargs={"slug": appeal.slug}), data)


def link_from(message, name):
    match = re.search(
        rf"http://testserver(/[a-z]{{2}}/signatures/{name}/[^/\s]+/)", message.body
    )
    assert match, message.body
    return match.group(1)


def sign_and_confirm(client, appeal, mailoutbox, **overrides):
    assert sign(client, appeal, **overrides).status_code == 302
    confirmation = mailoutbox[-1]
    assert client.post(link_from(confirmation, "confirm")).status_code == 302
    return confirmation


def keyed_code(appeal, address):
    appeal.refresh_from_db()
    digest = hmac.new(
        bytes.fromhex(appeal.high_risk_key),
        normalize_email(address).encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"hmac-sha256:{digest}"


def close_long_ago(appeal, days):
    Appeal.objects.filter(pk=appeal.pk).update(
        status=Appeal.Status.CLOSED, closed_at=timezone.now() - timedelta(days=days)
    )


def test_a_confirmed_signature_keeps_a_keyed_code_not_the_address(
    client, appeal, mailoutbox
):
    sign(client, appeal)
    pending = Signature.objects.get()
    assert pending.email == TYPED.strip()  # The confirmation link goes there.
    assert pending.email_normalized == keyed_code(appeal, TYPED)
    assert mailoutbox[0].to == [TYPED.strip()]

    client.post(link_from(mailoutbox[0], "confirm"))

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert (signature.email, signature.ip_hash) == ("", "")
    assert signature.email_normalized == keyed_code(appeal, TYPED)
    assert signature.full_name == "Olena Marchuk"


def test_signing_again_is_recognized_and_answered_at_the_address_typed(
    client, appeal, mailoutbox
):
    sign_and_confirm(client, appeal, mailoutbox)

    response = sign(client, appeal, email="OLENA.MARCHUK@example.org")

    assert response.status_code == 302  # The page says nothing of the history.
    assert Signature.objects.count() == 1
    answer = mailoutbox[-1]
    assert answer.to == ["OLENA.MARCHUK@example.org"]
    assert "already signed" in answer.body
    assert Signature.objects.get().email == ""
    # Written at once, with its address: erased once sent.
    message = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.ALREADY_SIGNED)
    assert (message.state, message.to, message.body) == ("sent", "", "")


def test_a_withdrawal_link_works_after_the_address_is_gone(client, appeal, mailoutbox):
    confirmation = sign_and_confirm(client, appeal, mailoutbox)
    withdraw = link_from(confirmation, "withdraw")

    assert client.get(withdraw).status_code == 200
    assert client.post(withdraw).status_code == 302

    signature = Signature.objects.get()
    assert signature.status == Signature.Status.WITHDRAWN
    assert (signature.full_name, signature.email_normalized) == ("", "")
    # The address may sign again: nothing recognizes it any more.
    sign(client, appeal)
    assert Signature.objects.filter(status=Signature.Status.PENDING).count() == 1


def test_updates_go_only_to_signers_who_asked_and_only_their_address_is_kept(
    client, appeal, mailoutbox
):
    sign_and_confirm(client, appeal, mailoutbox, wants_updates="on")
    sign_and_confirm(client, appeal, mailoutbox, email="quiet@example.org")
    kept = Signature.objects.get(wants_updates=True)
    forgotten = Signature.objects.get(wants_updates=False)
    assert kept.email == TYPED.strip()
    assert forgotten.email == ""
    mailoutbox.clear()

    update = Update.objects.create(appeal=appeal, title="Delivered", body="Today.")
    updates.send_update(update=update, user=None)

    assert [message.to for message in mailoutbox] == [[TYPED.strip()]]
    # Unsubscribing takes the address away too.
    unsubscribe = re.search(
        r"http://testserver(/\S+/unsubscribe/\S+/)", mailoutbox[0].body
    )
    client.post(unsubscribe.group(1), {"scope": "appeal"})
    kept.refresh_from_db()
    assert (kept.wants_updates, kept.email) == (False, "")
    assert kept.email_normalized == keyed_code(appeal, TYPED)


def test_an_expired_unconfirmed_high_risk_signature_is_deleted(settings, appeal):
    settings.UNCONFIRMED_RETENTION_DAYS = 30  # Longer elsewhere; not here.
    ordinary = make_appeal()
    old = timezone.now() - timedelta(days=8)
    for target in (appeal, ordinary):
        for status in ("pending", "quarantined"):
            make_signature(target, status=status)
    make_cosignature(appeal, status="pending")
    Signature.objects.update(created_at=old)
    OrganizationSignature.objects.update(created_at=old)
    recent = make_signature(appeal, status="pending")

    report = purge_expired()

    assert set(Signature.objects.filter(appeal=appeal)) == {recent}
    assert not OrganizationSignature.objects.exists()
    assert Signature.objects.filter(appeal=ordinary).count() == 2
    assert report.deleted_unconfirmed == 3


def test_the_key_every_address_and_code_go_after_closing_and_the_grace_period(
    client, settings, appeal, mailoutbox
):
    settings.HIGH_RISK_SIGNER_DATA_RETENTION_DAYS = 90  # Names outlast the key.
    confirmation = sign_and_confirm(client, appeal, mailoutbox, wants_updates="on")
    sign_and_confirm(client, appeal, mailoutbox, email="quiet@example.org")
    make_cosignature(appeal, email="contact@rights.example.org", wants_updates=True)
    close_long_ago(appeal, settings.HIGH_RISK_KEY_GRACE_DAYS - 1)

    purge_expired()  # Not yet.
    appeal.refresh_from_db()
    assert appeal.high_risk_key
    assert Signature.objects.exclude(email_normalized="").count() == 2

    close_long_ago(appeal, settings.HIGH_RISK_KEY_GRACE_DAYS + 1)
    report = purge_expired()

    appeal.refresh_from_db()
    assert report.keys_destroyed == 1
    assert appeal.high_risk_key == ""
    assert appeal.high_risk_key_destroyed_at is not None
    for model in (Signature, OrganizationSignature):
        assert set(model.objects.values_list("email", "email_normalized")) == {("", "")}
    assert Signature.objects.filter(full_name="Olena Marchuk").exists()
    # Still withdrawable: the link names the signature, not the address.
    assert client.post(link_from(confirmation, "withdraw")).status_code == 302
    assert Signature.objects.filter(status="withdrawn").count() == 1
    # The page says it is done.
    page = client.get(appeal.get_absolute_url()).content.decode()
    assert "we destroyed this appeal's key" in page


def test_my_data_finds_a_high_risk_signature_by_its_address_and_says_what_is_kept(
    client, appeal, mailoutbox
):
    sign_and_confirm(client, appeal, mailoutbox)
    make_signature(make_appeal(title="Ordinary one"), email="olena.marchuk@example.org")

    client.post(
        reverse("appeals:my_data_request"),
        {"email": "olena.marchuk@EXAMPLE.org", **form_shown()},
    )
    link = re.search(r"http://testserver(/[a-z]{2}/my-data/\S+/)", mailoutbox[-1].body)
    html = client.get(link.group(1)).content.decode()

    assert "Release the strikers" in html and "Ordinary one" in html
    assert "We do not keep your address with this signature" in html

    close_long_ago(appeal, settings.HIGH_RISK_KEY_GRACE_DAYS + 1)
    purge_expired()
    html = client.get(link.group(1)).content.decode()
    assert "Release the strikers" not in html and "Ordinary one" in html


def test_the_page_and_form_ask_less_and_say_what_is_kept(client, appeal):
    html = client.get(appeal.get_absolute_url()).content.decode()

    assert "Extra protection for the people who sign" in html
    assert "we delete your email address" in html
    assert re.search(r'value="counted"[^>]*checked', html)
    assert 'id="id_comment"' not in html
    assert 'name="has_newsletter_consent"' not in html
    # Posted anyway, a comment is not taken.
    sign(client, appeal, comment="I was there", has_newsletter_consent="on")
    signature = Signature.objects.get()
    assert (signature.comment, signature.has_newsletter_consent) == ("", False)
    assert signature.visibility == Signature.Visibility.COUNTED

    Appeal.objects.filter(pk=appeal.pk).update(has_comments_in_high_risk_mode=True)
    assert 'id="id_comment"' in client.get(appeal.get_absolute_url()).content.decode()


def test_an_ordinary_appeal_says_nothing_of_it_and_keeps_its_form(client):
    ordinary = make_appeal()
    html = client.get(ordinary.get_absolute_url()).content.decode()

    assert "Extra protection" not in html
    assert 'id="id_comment"' in html
    assert not re.search(r'value="counted"[^>]*checked', html)


def test_staff_cannot_export_emails_of_a_high_risk_appeal(staff_client, appeal):
    make_signature(appeal, wants_updates=True)
    page = staff_client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    emails_csv = reverse("admin:appeals_appeal_emails_csv", args=[appeal.pk])

    assert emails_csv not in page.content.decode()
    assert staff_client.get(emails_csv).status_code == 403
    ordinary = make_appeal()
    export = reverse("admin:appeals_appeal_emails_csv", args=[ordinary.pk])
    assert staff_client.get(export).status_code == 200


def test_staff_find_a_high_risk_signature_by_email(staff_client, appeal, mailoutbox):
    make_signature(appeal, email="Olena.Marchuk@example.org", wants_updates=False)
    signature = Signature.objects.get()
    Signature.objects.update(email="")  # Confirmed: the address is gone.

    response = staff_client.post(
        reverse("admin:appeals_signature_find_by_email"),
        {"email": TYPED},
    )

    assert response.headers["Location"].endswith(f"?id__in={signature.pk}")


def test_turning_it_on_hashes_what_signatures_stored_and_it_stays_on():
    appeal = make_appeal()
    quiet = make_signature(appeal, email="quiet@example.org")
    subscribed = make_signature(appeal, email="news@example.org", wants_updates=True)
    pending = make_signature(appeal, email="new@example.org", status="pending")
    appeal.is_high_risk = True
    appeal.save()

    turn_on_high_risk(appeal=appeal)

    for signature, address, kept in [
        (quiet, "quiet@example.org", ""),
        (subscribed, "news@example.org", "news@example.org"),
        (pending, "new@example.org", "new@example.org"),
    ]:
        signature.refresh_from_db()
        assert signature.email == kept
        assert signature.email_normalized == keyed_code(appeal, address)

    form_class = modelform_factory(
        Appeal, form=AppealAdminForm, fields=["is_high_risk"]
    )
    form = form_class(instance=appeal, data={})
    assert not form.is_valid()
    assert "it stays on" in str(form.errors["is_high_risk"])
    unsigned = make_appeal(is_high_risk=True)
    assert form_class(instance=unsigned, data={}).is_valid()


def test_a_reopened_appeal_gets_a_new_key_after_the_old_one_was_destroyed(appeal):
    close_long_ago(appeal, settings.HIGH_RISK_KEY_GRACE_DAYS + 1)
    purge_expired()
    appeal.refresh_from_db()
    assert appeal.high_risk_key == ""

    from appeals.services import reopen_appeal

    reopen_appeal(appeal=appeal)

    appeal.refresh_from_db()
    assert len(appeal.high_risk_key) == 64
    assert appeal.high_risk_key_destroyed_at is None


# What someone holding a dump might compute from a suspect's address.
def _address_forms(typed: str) -> set[str]:
    stripped = typed.strip()
    forms = {stripped, stripped.lower(), stripped.upper(), normalize_email(typed)}
    forms |= {quote(form, safe="") for form in set(forms)}  # %40 for @
    return forms


def _traces(typed: str, keys: list[bytes]) -> set[str]:
    """The address in every form, and the digests computable from it with `keys`."""
    traces = set()
    for form in _address_forms(typed):
        data = form.encode()
        traces.add(form)
        for algorithm in ("md5", "sha1", "sha256"):
            digest = hashlib.new(algorithm, data)
            traces |= {digest.hexdigest(), base64.b64encode(digest.digest()).decode()}
        for key in keys:
            mac = hmac.new(key, data, hashlib.sha256)
            traces |= {mac.hexdigest(), base64.b64encode(mac.digest()).decode()}
    return traces


def _keys_the_site_holds() -> list[bytes]:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    keys += list(IPHashKey.objects.values_list("key", flat=True))
    keys = [key.encode() for key in keys]
    for key in Appeal.objects.exclude(high_risk_key="").values_list(
        "high_risk_key", flat=True
    ):
        keys += [bytes.fromhex(key), key.encode()]
    return keys


def _dump() -> str:
    db = connection.settings_dict
    command = ["pg_dump", "--no-owner", "-d", db["NAME"], "-U", db["USER"]]
    if db["HOST"]:
        command += ["-h", db["HOST"]]
    if db["PORT"]:
        command += ["-p", str(db["PORT"])]
    return subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=120
    ).stdout


@pytest.mark.postgres
def test_a_database_dump_holds_no_trace_of_the_address_after_confirming_and_closing(
    client, settings, appeal, mailoutbox
):
    # Names outlast the key: what erases the address is the key's destruction.
    settings.HIGH_RISK_SIGNER_DATA_RETENTION_DAYS = 90
    sign_and_confirm(client, appeal, mailoutbox)
    sign(client, appeal)  # Again: answered at the address typed, not kept.
    assert "already signed" in mailoutbox[-1].body
    # Another high-risk appeal, still open: its key stays, and must not help.
    other = make_appeal(is_high_risk=True)
    sign_and_confirm(
        client,
        other,
        mailoutbox,
        email="someone.else@example.org",
        full_name="Someone Else",
    )

    dump = _dump()
    assert "Olena Marchuk" in dump  # The dump is the real thing.
    # Until the key goes, the appeal's own code of the address is there (it
    # recognizes a second signature), and nothing else of the address.
    code = keyed_code(appeal, TYPED)
    own_key = bytes.fromhex(appeal.high_risk_key)
    traces = _traces(TYPED, [k for k in _keys_the_site_holds() if k != own_key])
    assert code in dump
    assert [trace for trace in traces if trace in dump] == []
    assert [trace for trace in _traces(TYPED, []) if trace in dump] == []

    close_long_ago(appeal, settings.HIGH_RISK_KEY_GRACE_DAYS + 1)
    purge_expired()

    dump = _dump()
    assert "Olena Marchuk" in dump  # Erased later, with the names.
    traces = _traces(TYPED, _keys_the_site_holds())
    assert [trace for trace in traces if trace in dump] == []
    assert code.removeprefix("hmac-sha256:") not in dump
    assert appeal.high_risk_key not in dump


def test_an_organization_co_signing_keeps_no_contact_address_once_confirmed(
    client, appeal, mailoutbox
):
    page = reverse("appeals:organization_sign", kwargs={"slug": appeal.slug})
    assert "Extra protection" in client.get(page).content.decode()

    client.post(
        page,
        {
            "organization_name": "Rights Watch",
            "country": "KZ",
            "contact_name": "Ann Lee",
            "email": "Contact@Rights.example.org",
            **form_shown(),
        },
    )
    client.post(link_from(mailoutbox[-1], "confirm"))

    cosignature = OrganizationSignature.objects.get()
    assert cosignature.status == OrganizationSignature.Status.CONFIRMED
    assert cosignature.email == ""
    assert cosignature.email_normalized == keyed_code(
        appeal, "contact@rights.example.org"
    )


def test_reject_by_pattern_finds_high_risk_signatures_by_domain_while_kept(appeal):
    waiting = make_signature(appeal, email="bot1@spam.example", status="pending")
    confirmed = make_signature(appeal, email="bot2@spam.example")
    Signature.objects.filter(pk=confirmed.pk).update(email="")
    make_signature(appeal, email="ann@example.org", status="pending")

    found = Signature.objects.matching(email_domain="SPAM.example")

    assert list(found) == [waiting]
