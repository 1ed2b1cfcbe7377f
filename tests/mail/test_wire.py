"""The bytes our SMTP backend writes, and the address check the forms share with it."""

import email
import email.policy
from email.utils import parseaddr

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from hypothesis import given, settings
from hypothesis import strategies as st

from appeals.mail.wire import PLAIN_ADDRESS, checked_address, plain_text_bytes
from appeals.models import Signature
from tests.factories import make_appeal
from tests.mail.helpers import sign

one_line = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=200
).map(lambda text: " ".join(text.split()))
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=3000)
# An organization's name, as DEFAULT_FROM_EMAIL would carry it.
# Short enough for one encoded word: longer non-ASCII names are split into several,
# and Python's reader joins those with a space.
name = st.text(st.characters(whitelist_categories=("L", "N", "Zs")), max_size=10).map(
    lambda text: " ".join(text.split())
)


def parsed(raw: bytes):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return {
        "subject": str(message["Subject"]),
        "from": str(message["From"]),
        "to": str(message["To"]),
        # Text in base64 carries CRLF line ends, as RFC 2045 asks; readers
        # show them as line ends.
        "body": message.get_content().replace("\r\n", "\n"),
        "type": message.get_content_type(),
    }


@settings(max_examples=300, deadline=None)
@given(subject=one_line, body=text, name=name)
def test_every_message_reads_back_as_what_was_written(subject, body, name):
    from_email = f"{name} <noreply@example.org>" if name else "noreply@example.org"
    ours = plain_text_bytes(
        subject=subject,
        body=body,
        from_email=from_email,
        to=["ann@example.org"],
        message_id="<1@example.org>",
    )
    djangos = EmailMessage(subject, body, from_email, ["ann@example.org"]).message(
        policy=email.policy.SMTP
    )

    message = parsed(ours)
    # What Django's own message says; its From may differ where Python's header
    # folding puts a space into a long encoded name (ours keeps the name whole).
    assert {**message, "from": ""} == {**parsed(djangos.as_bytes()), "from": ""}
    assert parseaddr(message["from"]) == (name, "noreply@example.org")
    assert all(len(line) <= 998 for line in ours.split(b"\r\n"))
    assert ours.isascii()
    assert b"\n" not in ours.replace(b"\r\n", b"")  # No bare LF...
    assert b"\r" not in ours.replace(b"\r\n", b"")  # ...nor bare CR.


def test_a_long_name_in_another_script_is_folded_with_crlf():
    raw = plain_text_bytes(
        subject="Підтвердіть підпис",
        body="x",
        from_email="Правозахисні звернення — Appeals for human rights <a@example.org>",
        to=["ann@example.org"],
        message_id="<1@example.org>",
    )

    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert parseaddr(parsed(raw)["from"])[1] == "a@example.org"


def test_a_subject_in_ukrainian_and_a_long_body_go_out_intact():
    subject = "Підтвердіть свій підпис: «Пустіть журналістів у Ставрин»"
    body = "Вітаємо,\n\n" + "посилання: https://example.org/" + "x" * 500 + "\n"
    raw = plain_text_bytes(
        subject=subject,
        body=body,
        from_email="Права людини <noreply@example.org>",
        to=["ann@example.org"],
        message_id="<1@example.org>",
    )

    message = parsed(raw)
    assert (message["subject"], message["body"]) == (subject, body)
    assert b"\r\n\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")
    assert message["from"] == "Права людини <noreply@example.org>"


def django_checked(address: str) -> str:
    return EmailBackend.prep_address(EmailBackend.__new__(EmailBackend), address)


# Encoded words ("=?utf-8?q?…?=") are made of atom characters, but the header
# parser decodes them (to a CR LF, a NUL, another address) and refuses them.
encoded_words = st.builds(
    "=?{}?{}?{}?={}@example.org".format,
    st.sampled_from(["utf-8", "us-ascii", "x"]),
    st.sampled_from(["q", "b", "Q"]),
    st.sampled_from(["evil", "a=0D=0Ab", "=00", "YUBldmlsLmNvbQ==", ""]),
    st.sampled_from(["", "x", ".x"]),
)


@settings(max_examples=500, deadline=None)
@given(
    address=st.emails()
    | st.from_regex(PLAIN_ADDRESS, fullmatch=True)
    | st.text(alphabet='ab.@-_+"\\ <>,;:()[]\r\n\t\u00e9\u0430=?', max_size=20)
    | encoded_words
)
def test_an_address_is_checked_as_djangos_smtp_backend_checks_it(address):
    try:
        expected = django_checked(address)
    except Exception:  # Refused, or the email package's parser broke on it ("=@[").
        with pytest.raises((ValueError, UnicodeError)):
            checked_address(address)
        return
    assert checked_address(address) == expected
    if PLAIN_ADDRESS.fullmatch(address):
        assert expected == address


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue")
@pytest.mark.parametrize(
    "address",
    [
        "a@\u200b.org",
        "a@\u00ad.com",
        "an\u202en@x.org",
        '"victim"@gmail.com',  # One mailbox, spelt anew each time.
        '"\\v\\ictim"@gmail.com',
        "=?utf-8?q?a=0D=0Ab?=@example.org",  # Decoded: a line break.
        "=?utf-8?b?YUBldmlsLmNvbQ==?=@example.org",  # Decoded: a@evil.com.
        "=@[",  # Breaks the email package's parser.
    ],
)
def test_the_forms_refuse_an_address_no_mail_server_can_take(client, address):
    appeal = make_appeal()

    response = sign(client, appeal, address)

    assert response.status_code == 400
    assert "Enter" in response.content.decode()
    assert not Signature.objects.exists()
