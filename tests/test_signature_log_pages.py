"""The log in public: checkpoints and proofs as JSON, translated 400s, receipts
and the receipt check without JavaScript, and nothing that names a signer."""

import re

import pytest
from django.urls import reverse

from appeals.mail.mailer import send_queued
from appeals.models import LogEntry, OutgoingEmail
from appeals.receipts import receipt_of
from appeals.services import confirm_signature, signature_log, withdraw_signature
from appeals.tokens import Purpose, make_token
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def appeal():
    appeal = make_appeal(slug="free-the-press")
    for number in range(5):
        signature = make_signature(
            appeal,
            status="pending",
            full_name=f"Olena Marchuk {number}",
            email=f"olena{number}@example.org",
            city="Kharkiv",
        )
        confirm_signature(signature=signature)
    signature_log.checkpoint_now(appeal=appeal)
    return appeal


def test_checkpoints_are_public_cacheable_json(client, appeal):
    response = client.get("/appeals/free-the-press/log/checkpoints")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]
    [checkpoint] = response.json()["checkpoints"]
    assert checkpoint["tree_size"] == 5
    assert checkpoint["signature_count"] == 5
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", checkpoint["time"])


def test_the_keys_are_published_at_a_well_known_address(client, appeal):
    keys = client.get("/.well-known/appealsite-log-keys.json").json()
    checkpoint = client.get("/appeals/free-the-press/log/checkpoints").json()
    assert keys["algorithm"] == "Ed25519"
    assert keys["keys"][0]["key_id"] == checkpoint["checkpoints"][0]["key_id"]


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("proof", {"index": "x", "size": "5"}, "index must be a whole number"),
        ("proof", {"index": "1"}, "size must be a whole number"),
        ("proof", {"index": "5", "size": "5"}, "index must be smaller than size"),
        ("proof", {"index": "0", "size": "99"}, "The log is not that long yet"),
        ("consistency", {"from": "4", "to": "2"}, "from must not be larger than to"),
        ("consistency", {"from": "-1", "to": "2"}, "from must be a whole number"),
        ("entries", {"start": "0", "end": "20000"}, "Ask for at most"),
    ],
)
def test_bad_parameters_get_a_400_with_a_message(client, appeal, path, query, message):
    response = client.get(f"/appeals/free-the-press/log/{path}", query)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_bad_parameters_get_their_message_in_the_readers_language(client, appeal):
    response = client.get(
        "/appeals/free-the-press/log/proof",
        {"index": "x", "size": "5"},
        HTTP_ACCEPT_LANGUAGE="uk",
    )
    assert response.status_code == 400
    assert "index" in response.json()["error"]
    assert "whole number" not in response.json()["error"]


def test_the_public_log_names_nobody_and_gives_only_hours(client, appeal):
    size = 5
    published = [
        client.get("/appeals/free-the-press/log/checkpoints").content,
        client.get(
            "/appeals/free-the-press/log/entries", {"start": 0, "end": size}
        ).content,
        client.get("/appeals/free-the-press.json").content,
        client.get("/appeals/free-the-press/feed/").content,
    ]
    for index in range(size):
        published.append(
            client.get(
                "/appeals/free-the-press/log/proof", {"index": index, "size": size}
            ).content
        )
    text = b"\n".join(published).decode()
    entry_lines = published[1].decode().splitlines()
    for entry in LogEntry.objects.select_related("signature"):
        signature = entry.signature
        for personal in [
            signature.full_name,
            signature.email,
            signature.city,
            bytes(entry.salt).hex(),
            receipt_of(entry).code,
        ]:
            assert personal not in text
    for line in entry_lines:
        # The hour, never minutes or seconds.
        assert re.search(r" \d{4}-\d\d-\d\dT\d\d:00Z ", line)
    # Without the salt, the entry cannot be tied to a signature id: every id
    # with a wrong salt gives another commitment.
    from appeals.models.log import commitment

    entry = LogEntry.objects.order_by("index").first()
    assert all(
        commitment(appeal_id=appeal.pk, signature_id=pk, salt=bytes(16)) != entry.digest
        for pk in range(1, 100)
    )


def test_the_receipt_page_shows_the_code_and_the_file_downloads(client, appeal):
    entry = LogEntry.objects.order_by("index").first()
    token = make_token(entry.signature, Purpose.RECEIPT)

    page = client.get(reverse("appeals:receipt", args=[token])).content.decode()
    download = client.get(reverse("appeals:receipt_download", args=[token]))

    assert receipt_of(entry).code in page
    assert "attachment" in download["Content-Disposition"]
    assert download.json()["index"] == entry.index
    assert download.json()["salt"] == bytes(entry.salt).hex()


def test_the_receipt_email_links_to_the_receipt(mailoutbox, appeal):
    send_queued()
    receipt_emails = [
        message for message in mailoutbox if "Your receipt" in message.subject
    ]
    assert OutgoingEmail.objects.filter(kind="receipt").count() == 5
    assert len(receipt_emails) == 5
    assert "/signatures/receipt/" in receipt_emails[0].body


def test_the_receipt_check_works_as_a_plain_form(client, appeal):
    entry = LogEntry.objects.order_by("index")[2]
    url = reverse("appeals:receipt_check", args=["free-the-press"])

    form = client.get(url).content.decode()
    assert '<form method="post"' in form
    assert "5 signatures in 5 entries" in form  # The latest checkpoint's.
    assert "<script" not in form.split("<main", 1)[1].split("</main>", 1)[0]
    answer = client.post(url, {"code": receipt_of(entry).code}).content.decode()
    assert "Entry 2 is in the log checkpoint of 5 entries" in answer
    assert "It is counted." in answer


def test_the_receipt_check_says_when_a_signature_was_withdrawn(client, appeal):
    entry = LogEntry.objects.order_by("index")[1]
    withdraw_signature(signature=entry.signature)
    signature_log.checkpoint_now(appeal=appeal)
    url = reverse("appeals:receipt_check", args=["free-the-press"])

    answer = client.post(url, {"code": receipt_of(entry).code}).content.decode()

    assert "It no longer counts: entry 5 removed it" in answer


def test_a_wrong_or_malformed_code_is_refused_with_a_message(client, appeal):
    entry = LogEntry.objects.order_by("index")[0]
    url = reverse("appeals:receipt_check", args=["free-the-press"])
    code = receipt_of(entry).code
    # Another salt: its first letter changed (the last carries unused bits).
    head, salt = code.rsplit("-", 1)
    wrong = f"{head}-{'b' if salt[0] == 'a' else 'a'}{salt[1:]}"

    malformed = client.post(url, {"code": "hello"})
    mismatched = client.post(url, {"code": wrong})

    assert malformed.status_code == 400
    assert "That is not a receipt code" in malformed.content.decode()
    assert "No entry of this log matches this receipt." in mismatched.content.decode()


def test_the_thank_you_page_shows_the_receipt_once_appended(client, appeal):
    signature = make_signature(appeal, status="pending")
    confirm_signature(signature=signature)
    token = make_token(signature, Purpose.RECEIPT)
    url = reverse("appeals:thanks", args=["free-the-press"])

    waiting = client.get(url, {"receipt": token}).content.decode()
    signature_log.append_pending()
    ready = client.get(url, {"receipt": token}).content.decode()

    assert "Your receipt will be ready then" in waiting
    code = receipt_of(signature.log_entries.get()).code
    assert code not in waiting
    assert code in ready
