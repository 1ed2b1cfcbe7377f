"""Exports for delivery: streamed, spreadsheet-safe CSV, and a matching digest."""

import csv
import hashlib
import io
import re

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from appeals import exports
from appeals.models import ExportLog, LogCheckpoint, OrganizationSignature
from appeals.services import confirm_signature, withdraw_signature
from appealsite.spreadsheets import neutralize
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db


def download(client, appeal, name):
    response = client.get(reverse(f"admin:appeals_appeal_{name}", args=[appeal.pk]))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content), response


def document(client, appeal) -> str:
    html, _response = download(client, appeal, "delivery_document")
    return html.decode()


def rows_of(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for spreadsheets.
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def appeal():
    appeal = make_appeal(slug="free-the-press")
    make_signature(
        appeal,
        full_name="Olena Marchuk",
        city="Kharkiv",
        country="UA",
        affiliation="Teacher",
        email="olena@example.org",
    )
    make_signature(appeal, full_name="Secret Signer", visibility="counted")
    make_signature(appeal, full_name="Another Secret", visibility="counted")
    make_signature(appeal, full_name="Not Yet Confirmed", status="pending")
    OrganizationSignature.objects.create(
        appeal=appeal,
        organization_name="Coastal Rights Network",
        website="https://crn.example.org/",
        contact_name="Nino",
        email="nino@example.org",
        country="GE",
        status="confirmed",
        is_approved=True,
    )
    return appeal


def test_delivery_csv_names_only_shown_signers_and_counts_the_rest(
    staff_client, appeal
):
    content, response = download(staff_client, appeal, "delivery_csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "free-the-press-signatures.csv" in response["Content-Disposition"]
    header, *rows = rows_of(content)
    assert header == [
        "kind",
        "name",
        "city",
        "country",
        "affiliation or website",
        "signed on",
    ]
    assert rows[0][:5] == ["person", "Olena Marchuk", "Kharkiv", "Ukraine", "Teacher"]
    assert rows[1][:5] == [
        "organization",
        "Coastal Rights Network",
        "",
        "Georgia",
        "https://crn.example.org/",
    ]
    assert rows[2][:2] == ["not named", "2 more people who asked not to be named"]
    assert len(rows) == 3
    text = content.decode("utf-8-sig")
    for secret in ["Secret Signer", "Not Yet Confirmed", "@example.org", "Nino"]:
        assert secret not in text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Ordinary Name", "Ordinary Name"),
        ("Name with = inside", "Name with = inside"),
    ],
)
def test_cells_that_would_run_as_formulas_are_neutralized(value, cell):
    assert neutralize(value) == cell


def test_formula_injection_never_reaches_the_file(staff_client):
    appeal = make_appeal()
    make_signature(
        appeal, full_name="=cmd|' /C calc'!A0", city="+city", affiliation="@x"
    )

    content, _response = download(staff_client, appeal, "delivery_csv")

    row = rows_of(content)[1]
    assert row[1:5] == ["'=cmd|' /C calc'!A0", "'+city", "Ukraine", "'@x"]


def test_emails_csv_lists_every_confirmed_signer_with_email(staff_client, appeal):
    content, _response = download(staff_client, appeal, "emails_csv")

    header, *rows = rows_of(content)
    assert header[:2] == ["name", "email"]
    names = {row[0]: row for row in rows}
    assert set(names) == {"Olena Marchuk", "Secret Signer", "Another Secret"}
    assert names["Olena Marchuk"][1] == "olena@example.org"
    assert names["Secret Signer"][5] == "no"


def test_every_export_is_logged(staff_client, appeal):
    download(staff_client, appeal, "delivery_csv")
    download(staff_client, appeal, "emails_csv")
    staff_client.get(
        reverse("admin:appeals_appeal_delivery_document", args=[appeal.pk])
    )

    logs = ExportLog.objects.order_by("pk")
    assert [(log.kind, log.row_count, log.user.username) for log in logs] == [
        ("delivery_csv", 3, "staff"),
        ("emails_csv", 3, "staff"),
        ("delivery_document", 3, "staff"),
    ]
    page = staff_client.get(reverse("admin:appeals_exportlog_changelist"))
    assert "Delivery list (CSV)" in page.content.decode()


def test_delivery_document_digest_matches_the_csv(staff_client, appeal):
    content, _response = download(staff_client, appeal, "delivery_csv")

    page = document(staff_client, appeal)

    assert hashlib.sha256(content).hexdigest() in page
    assert "Olena Marchuk" in page
    assert "Coastal Rights Network" in page
    assert "Secret Signer" not in page
    assert "2 signatories asked not to be named" in page
    assert appeal.title in page


def test_the_csv_is_the_same_whoever_exports_it_in_whatever_language(
    staff_client, appeal
):
    first, _response = download(staff_client, appeal, "delivery_csv")
    staff_client.cookies["django_language"] = "uk"
    second, _response = download(staff_client, appeal, "delivery_csv")

    assert first == second


def test_delivery_document_streams_every_name_escaped_in_the_csv_order(
    staff_client, appeal, monkeypatch
):
    monkeypatch.setattr(exports, "NAMES_PER_CHUNK", 2)  # Several chunks.
    for number in range(5):
        make_signature(appeal, full_name=f"Signer {number}", city="")
    make_signature(appeal, full_name="<b>Bold</b> & Co", city="<i>Lviv</i>")
    csv_content, _response = download(staff_client, appeal, "delivery_csv")

    page = document(staff_client, appeal)

    names = re.findall(r"<li>(.*?)</li>", page.split('<ol class="names">')[1])
    assert names == [
        "Olena Marchuk, Kharkiv",
        *(f"Signer {number}" for number in range(5)),
        "&lt;b&gt;Bold&lt;/b&gt; &amp; Co, &lt;i&gt;Lviv&lt;/i&gt;",
    ]
    assert hashlib.sha256(csv_content).hexdigest() in page
    assert page.rstrip().endswith("</html>")


def test_the_delivery_document_names_the_public_address_and_counts_by_country(
    staff_client, settings
):
    settings.SITE_URL = "https://appeals.example.org"
    appeal = make_appeal(slug="free-the-press", language="en")
    for _ in range(6):
        make_signature(appeal, country="UA")
    make_signature(appeal, country="GE")  # one of few: not named
    make_signature(appeal, country="MD")
    make_signature(appeal, country="PL", status="pending")  # not counted

    html = document(staff_client, appeal)

    assert 'href="https://appeals.example.org/en/appeals/free-the-press/"' in html
    table = re.search(r'<table class="countries">.*?</table>', html, re.S)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', table)
    assert rows == [("Ukraine", "6"), ("Other countries", "fewer than 5")]
    assert "Georgia" not in html and "Poland" not in html


def test_the_delivery_document_holds_no_link_its_addressee_cannot_open(
    staff_client, appeal
):
    html = document(staff_client, appeal)

    links = re.findall(r'href="([^"]+)"', html)
    assert links, "the public address, at least"
    assert not [link for link in links if "/admin/" in link]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in (
        html
    )


@pytest.mark.parametrize("language", ["en", "uk", "ru", "kk"])
def test_the_delivery_document_ends_no_sentence_with_two_periods(
    staff_client, language
):
    appeal = make_appeal(language=language)
    make_signature(appeal, visibility="counted")

    html = document(staff_client, appeal)

    text = re.sub(r"<[^>]+>", " ", html)
    assert ".." not in text.replace("...", "")
    assert ". ." not in text


def test_delivery_document_prints_a_signed_checkpoint_whose_count_it_gives(
    staff_client,
):
    appeal = make_appeal(slug="checked")
    signatures = [make_signature(appeal, status="pending") for _ in range(4)]
    for signature in signatures:
        confirm_signature(signature=signature)
    withdraw_signature(signature=signatures[0])

    page = document(staff_client, appeal)

    checkpoint = LogCheckpoint.objects.get(appeal=appeal)
    assert checkpoint.tree_size == 5  # Four additions and one withdrawal.
    assert checkpoint.signature_count == 3
    assert "<h2>3 signatures</h2>" in page
    assert bytes(checkpoint.root_hash).hex() in page
    assert checkpoint.key_id in page
    assert "/appeals/checked/log/checkpoints" in page
