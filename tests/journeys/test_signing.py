"""Signing end to end through the public pages: form, email, confirm, withdraw."""

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.db import OperationalError, connection, connections
from django.urls import reverse
from django.utils import timezone

from appeals.localcache import SIGNABLE_APPEAL_SECONDS
from appeals.models import Appeal, Signature, SiteSettings
from appeals.tokens import Purpose, make_token
from appeals.views.signing import signable_appeal
from tests.factories import form_shown, make_appeal, make_signature
from tests.mail_backends import use_mail_server

# Real commits: emails and count folding run after commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def sign_data(**overrides):
    data = {
        "full_name": "Olena Marchuk",
        "email": "olena@example.org",
        "country": "UA",
        "city": "Kharkiv",
        "affiliation": "Teacher",
        "comment": "",
        "visibility": "public",
        **form_shown(),
    }
    data.update(overrides)
    return data


def sign(client, target, **overrides):
    return client.post(
        reverse("appeals:sign", kwargs={"slug": target.slug}), sign_data(**overrides)
    )


def link_from(message, name):
    match = re.search(
        rf"http://testserver(/[a-z]{{2}}/signatures/{name}/[^/\s]+/)", message.body
    )
    assert match, message.body
    return match.group(1)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def appeal():
    return make_appeal(title="Free the reporters")


def test_signing_saves_a_pending_signature_and_emails_a_confirmation_link(
    client, appeal, mailoutbox
):
    response = sign(client, appeal, email="  Olena@Example.org ")

    assert response.status_code == 302
    assert response.headers["Location"] == reverse(
        "appeals:check_email", kwargs={"slug": appeal.slug}
    )
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert signature.email_normalized == "olena@example.org"
    assert signature.country == "UA"
    assert signature.has_newsletter_consent is False
    [message] = mailoutbox
    assert message.to == ["Olena@Example.org"]
    assert message.subject == "Confirm your signature: Free the reporters"
    assert link_from(message, "confirm")
    assert link_from(message, "withdraw")
    # The signer's own text is never echoed to a mailbox anyone can type in.
    assert "Olena Marchuk" not in message.body
    assert appeal.signatures.confirmed().count() == 0


def test_check_email_page_is_not_cached(client, appeal):
    response = client.get(sign(client, appeal).headers["Location"])

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"country": ""}, "country", "This field is required."),
        ({"country": "XX"}, "country", "Select a valid choice."),
        ({"visibility": ""}, "visibility", "This field is required."),
        ({"comment": "x" * 1001}, "comment", "at most 1000 characters"),
    ],
)
def test_invalid_input_shows_messages_at_the_fields_and_saves_nothing(
    client, appeal, mailoutbox, overrides, field, message
):
    response = sign(client, appeal, **overrides)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Please correct the fields marked below." in html
    assert message in html
    assert f'id="error_1_id_{field}"' in html
    assert Signature.objects.count() == 0
    assert mailoutbox == []


def test_a_failed_submission_opens_at_a_summary_linking_each_field(client, appeal):
    response = sign(client, appeal, email="not an address", country="")

    html = response.content.decode()
    summary = re.search(r'<div [^>]*id="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert "autofocus" in summary[0] and 'role="alert"' in summary[0]
    links = set(re.findall(r'href="(#[^"]+)"', summary[1]))
    assert {"#id_email", "#id_country"} <= links
    assert html.index("error-summary") < html.index('name="full_name"')


def test_posted_fields_outside_the_form_change_nothing(client, appeal):
    other = make_appeal()

    sign(
        client,
        appeal,
        comment="Words",
        status="confirmed",
        appeal=other.pk,
        comment_status="approved",
    )

    signature = Signature.objects.get()
    assert signature.appeal == appeal
    assert signature.status == Signature.Status.PENDING
    assert signature.comment_status == Signature.CommentStatus.PENDING


def test_a_signature_without_a_comment_awaits_no_moderation(client, appeal):
    sign(client, appeal, comment="")
    sign(client, appeal, email="petro@example.org", comment="Because")

    statuses = dict(Signature.objects.values_list("email", "comment_status"))
    assert statuses == {
        "olena@example.org": Signature.CommentStatus.NONE,
        "petro@example.org": Signature.CommentStatus.PENDING,
    }


def signed_page(client, appeal, email):
    """Sign as a fresh visitor and return the page they end on."""
    response = sign(client, appeal, email=email)
    page = client.get(response.headers["Location"])
    return response.headers["Location"], CSRF_INPUT.sub(b"", page.content)


def test_response_is_identical_whatever_the_address_has_done_before(
    client, appeal, mailoutbox
):
    make_signature(appeal, email="pending@example.org", status="pending")
    make_signature(appeal, email="confirmed@example.org")
    withdrawn = make_signature(appeal, email="withdrawn@example.org")
    from appeals.services import withdraw_signature

    withdraw_signature(signature=withdrawn)

    pages = {
        state: signed_page(client, appeal, f"{state}@example.org")
        for state in ["new", "pending", "confirmed", "withdrawn"]
    }

    assert len(set(pages.values())) == 1
    subjects = {message.to[0].split("@")[0]: message.subject for message in mailoutbox}
    assert subjects == {
        "new": "Confirm your signature: Free the reporters",
        "pending": "Confirm your signature: Free the reporters",
        "confirmed": "You have already signed: Free the reporters",
        "withdrawn": "Confirm your signature: Free the reporters",
    }
    assert (
        appeal.signatures.filter(email_normalized="confirmed@example.org").get().status
        == Signature.Status.CONFIRMED
    )


def test_an_address_gets_at_most_three_emails_a_day_per_appeal(
    client, appeal, mailoutbox
):
    for _ in range(5):
        assert sign(client, appeal).status_code == 302

    assert len(mailoutbox) == 3
    assert Signature.objects.count() == 1


def test_a_broken_mail_server_never_loses_the_signature_or_shows_an_error(
    client, appeal, settings, mailoutbox
):
    use_mail_server(settings, "tests.mail_backends.UnreachableServerBackend")

    response = sign(client, appeal)

    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    assert Signature.objects.get().status == Signature.Status.PENDING


def begin_request():
    """What Django does to the persistent connection as a request begins.

    (The test client leaves it out: it keeps one connection for the whole test.)
    """
    connection.close_if_unusable_or_obsolete()


def test_a_signature_s_insert_is_the_check_of_its_database_connection(
    client, appeal, monkeypatch
):
    sign(client, appeal, email="first@example.org")  # The connection is open.
    signable_appeal(appeal.slug)  # Remembered: the INSERT is the first query.
    SiteSettings.current()
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    begin_request()

    response = sign(client, appeal, email="second@example.org")

    assert response.status_code == 302
    assert checks == []  # No SELECT 1 sent before the INSERT.
    assert appeal.signatures.filter(email_normalized="second@example.org").exists()


@pytest.mark.postgres
def test_a_signature_is_saved_after_the_database_dropped_the_connection(client, appeal):
    sign(client, appeal, email="first@example.org")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    other = connections.create_connection("default")
    with other.cursor() as cursor:  # As a database restart would.
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
    begin_request()

    response = sign(client, appeal, email="second@example.org")

    assert response.status_code == 302
    assert appeal.signatures.filter(email_normalized="second@example.org").count() == 1


def test_an_insert_refused_on_a_working_connection_is_not_sent_again(appeal):
    attempts = []

    def refuse(execute, sql, params, many, context):
        attempts.append(sql)
        raise OperationalError("canceling statement due to statement timeout")

    signature = Signature(
        appeal=appeal, full_name="Ann", email="ann@example.org", country="UA"
    )
    with connection.execute_wrapper(refuse), pytest.raises(OperationalError):
        signature.insert()

    assert len(attempts) == 1
    assert not appeal.signatures.exists()


def test_opening_the_confirmation_link_changes_nothing(client, appeal, mailoutbox):
    sign(client, appeal)
    url = link_from(mailoutbox[0], "confirm")

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Free the reporters" in html
    assert "Confirm my signature" in html
    assert "Olena Marchuk" in html
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_confirming_counts_the_signature_and_thanks_the_signer(
    client, appeal, mailoutbox
):
    make_signature(appeal)
    appeal.refresh_from_db()
    sign(client, appeal)

    response = client.post(link_from(mailoutbox[0], "confirm"))

    assert response.status_code == 302
    assert response.headers["Location"].startswith(
        reverse("appeals:thanks", kwargs={"slug": appeal.slug}) + "?receipt="
    )
    signature = Signature.objects.get(email_normalized="olena@example.org")
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at is not None
    appeal.refresh_from_db()
    assert appeal.signature_count == 1  # The factory's row bypassed the counter.
    thanks = client.get(response.headers["Location"]).content.decode()
    assert "Thank you for signing" in thanks
    assert '<strong class="signature-count">1</strong>' in thanks
    for network in ["Telegram", "WhatsApp", "Facebook", "Bluesky", "Mastodon"]:
        assert network in thanks
    assert "withdraw" in thanks


def test_a_used_confirmation_link_says_it_is_already_confirmed(
    client, appeal, mailoutbox
):
    sign(client, appeal)
    url = link_from(mailoutbox[0], "confirm")
    client.post(url)

    again = client.post(url)

    assert again.status_code == 409
    assert "already confirmed" in again.content.decode()
    assert Appeal.objects.get().signature_count == 1


def test_an_expired_confirmation_link_is_refused(
    client, appeal, mailoutbox, monkeypatch
):
    sign(client, appeal)
    url = link_from(mailoutbox[0], "confirm")
    eight_days_later = time.time() + timedelta(days=8).total_seconds()
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_later)

    response = client.post(url)

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING


@pytest.mark.parametrize("tamper", ["swap-purpose", "edit", "garbage"])
def test_tampered_links_are_refused(client, appeal, tamper):
    signature = make_signature(appeal, status="pending")
    if tamper == "swap-purpose":
        token = make_token(signature, Purpose.WITHDRAW)
    elif tamper == "edit":
        token = make_token(signature, Purpose.CONFIRM).replace(":", "x:", 1)
    else:
        token = "not-a-token"

    response = client.post(reverse("appeals:confirm", kwargs={"token": token}))

    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING


def test_a_closed_appeal_refuses_signatures(client, mailoutbox):
    for appeal in [
        make_appeal(status=Appeal.Status.CLOSED),
        make_appeal(closes_at=timezone.now() - timedelta(minutes=1)),
    ]:
        response = sign(client, appeal)

        assert response.status_code == 403
        assert "Signing is closed" in response.content.decode()
    assert Signature.objects.count() == 0
    assert mailoutbox == []


def test_closing_an_appeal_reaches_signers_within_the_lookup_memory(
    client, appeal, monkeypatch
):
    assert sign(client, appeal).status_code == 302  # The appeal is now remembered.

    appeal.status = Appeal.Status.CLOSED
    appeal.save()
    later = time.monotonic() + SIGNABLE_APPEAL_SECONDS + 0.1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    response = sign(client, appeal, email="late@example.org")

    assert response.status_code == 403
    assert "Signing is closed" in response.content.decode()
    assert not Signature.objects.filter(email="late@example.org").exists()


def test_a_pending_signature_can_be_confirmed_for_a_day_after_closing(client):
    appeal = make_appeal(closes_at=timezone.now() + timedelta(hours=1))
    signature = make_signature(appeal, status="pending")
    token = make_token(signature, Purpose.CONFIRM)
    url = reverse("appeals:confirm", kwargs={"token": token})

    Appeal.objects.filter(pk=appeal.pk).update(
        closes_at=timezone.now() - timedelta(hours=23)
    )
    assert client.post(url).status_code == 302

    late = make_signature(appeal, status="pending")
    Appeal.objects.filter(pk=appeal.pk).update(
        closes_at=timezone.now() - timedelta(hours=25)
    )
    late_url = reverse(
        "appeals:confirm", kwargs={"token": make_token(late, Purpose.CONFIRM)}
    )
    response = client.post(late_url)
    assert response.status_code == 403
    late.refresh_from_db()
    assert late.status == Signature.Status.PENDING


def test_withdrawing_removes_the_signature_from_count_and_list_and_erases_it(
    client, appeal, mailoutbox
):
    sign(client, appeal, comment="I was there.")
    client.post(link_from(mailoutbox[0], "confirm"))
    list_url = reverse("appeals:signatures", kwargs={"slug": appeal.slug})
    assert "Olena Marchuk" in client.get(list_url).content.decode()
    withdraw_url = link_from(mailoutbox[0], "withdraw")

    assert client.get(withdraw_url).status_code == 200
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    response = client.post(withdraw_url)

    assert response.status_code == 302
    assert "withdrawn" in client.get(response.headers["Location"]).content.decode()
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.WITHDRAWN
    assert signature.withdrawn_at is not None
    assert (signature.full_name, signature.email, signature.city) == ("", "", "")
    assert (signature.affiliation, signature.comment) == ("", "")
    assert signature.country == "UA"  # Kept for the count's history.
    assert "Olena Marchuk" not in client.get(list_url).content.decode()
    appeal.refresh_from_db()
    assert appeal.signature_count == 0

    again = client.post(withdraw_url)
    assert again.status_code == 409
    assert "already withdrawn" in again.content.decode()


def test_a_withdrawn_signer_may_sign_again(client, appeal, mailoutbox):
    sign(client, appeal)
    client.post(link_from(mailoutbox[0], "withdraw"))

    sign(client, appeal)

    assert appeal.signatures.filter(status="pending").count() == 1
    assert appeal.signatures.filter(status="withdrawn").count() == 1


def test_a_name_made_only_of_hidden_characters_is_required_again(client, appeal):
    response = sign(client, appeal, full_name="\x1b\u202e\u200b")

    assert response.status_code == 400
    assert 'id="error_1_id_full_name"' in response.content.decode()
    assert not Signature.objects.exists()
