"""Typo reports and the Join us section."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from community.models import JoinBlock, TypoReport, VolunteerApplication
from tests.factories import form_shown

pytestmark = pytest.mark.django_db(transaction=True)


def report(client, **overrides):
    data = {
        "page_url": "/en/appeals/free-the-press/",
        "selected_text": "goverment",
        "context": "We write to the goverment of the republic.",
        "comment": "Spelling",
        **overrides,
    }
    return client.post(
        reverse("community:typo_report"), data, HTTP_ACCEPT="application/json"
    )


def test_a_typo_report_is_saved_with_its_fields(client):
    response = report(client)

    assert response.status_code == 201
    assert response.json()["message"] == "Thank you! Our editors will look at it."
    saved = TypoReport.objects.get()
    assert saved.page_url == "/en/appeals/free-the-press/"
    assert saved.selected_text == "goverment"
    assert saved.context == "We write to the goverment of the republic."
    assert saved.comment == "Spelling"
    assert saved.language == "en"
    assert saved.status == TypoReport.Status.NEW


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"selected_text": ""}, "selected_text"),
        ({"selected_text": "x" * 501}, "selected_text"),
        ({"comment": "x" * 1001}, "comment"),
        ({"page_url": "https://evil.example/phish"}, "page_url"),
        ({"page_url": "javascript:alert(1)"}, "page_url"),
    ],
)
def test_bad_reports_get_a_clear_400(client, overrides, field):
    response = report(client, **overrides)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not TypoReport.objects.exists()


def test_typo_reports_are_rate_limited_per_client(settings):
    busy = Client(REMOTE_ADDR="198.51.100.1")
    statuses = [report(busy).status_code for _ in range(11)]

    assert statuses == [201] * 10 + [429]
    assert "many reports" in report(busy).json()["message"]
    assert report(Client(REMOTE_ADDR="198.51.100.2")).status_code == 201
    assert TypoReport.objects.count() == 11


def test_the_no_javascript_form_takes_a_report_too(client):
    page = client.get(reverse("community:typo_report") + "?url=/en/appeals/x/")
    assert 'value="/en/appeals/x/"' in page.content.decode()

    response = client.post(
        reverse("community:typo_report"),
        {"page_url": "/en/appeals/x/", "selected_text": "teh", "comment": ""},
    )

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert TypoReport.objects.get().selected_text == "teh"


def test_every_page_offers_the_report_link_and_dialog(client):
    html = client.get("/en/").content.decode()

    assert "Found a mistake? Select it and press Ctrl+Enter." in html
    assert 'href="/en/typo/?url=/en/"' in html
    assert '<dialog id="typo-dialog"' in html
    assert "The following text will be sent to our editors:" in html
    assert 'src="/static/community/js/typo.js"' in html


def test_editors_get_an_email_per_report_when_they_asked(settings, mailoutbox):
    report(Client())
    assert mailoutbox == []

    settings.TYPO_REPORT_EMAILS = ["editor@example.org"]
    report(Client(), selected_text="recieve")

    [message] = mailoutbox
    assert message.to == ["editor@example.org"]
    assert "recieve" in message.subject
    assert "/en/appeals/free-the-press/" in message.body


def test_the_admin_inbox_filters_and_triages(staff_client):
    report(Client(), page_url="/a/", selected_text="first")
    report(Client(), page_url="/b/", selected_text="second")
    url = reverse("admin:community_typoreport_changelist")

    page = staff_client.get(url + "?page_url=/a/").content.decode()
    assert "first" in page and "second" not in page

    staff_client.post(
        url,
        {
            "action": "mark_fixed",
            "_selected_action": [TypoReport.objects.get(selected_text="first").pk],
        },
    )
    assert TypoReport.objects.get(selected_text="first").status == "fixed"
    new = staff_client.get(url + "?status__exact=new").content.decode()
    assert "second" in new and "first" not in new


def volunteer(client, **overrides):
    data = {
        "name": "Maksym Koval",
        "email": "maksym@example.org",
        "city": "Odesa",
        "country": "UA",
        "ways_to_help": ["translation", "legal"],
        "languages": "Ukrainian, English",
        "message": "Happy to help.",
        "has_contact_consent": "on",
        **form_shown(),
        **overrides,
    }
    return client.post(reverse("community:join"), data)


def test_join_us_shows_the_blocks_staff_wrote(client, staff_client):
    staff_client.post(
        reverse("admin:community_joinblock_add"),
        {
            "kind": "support",
            "language": "en",
            "title": "Support our work",
            "text": "Every gift keeps our lawyers in court.",
            "link_url": "https://donate.example.org/",
            "link_label": "Donate",
            "position": 0,
        },
    )
    JoinBlock.objects.create(
        kind="training",
        language="en",
        title="Learn to document abuses",
        text="A free online course.",
        link_url="https://learn.example.org/",
    )

    html = client.get(reverse("community:join")).content.decode()

    assert "Support our work" in html
    assert 'href="https://donate.example.org/"' in html and ">Donate<" in html
    assert "Learn to document abuses" in html
    assert "Become a volunteer" in html


def test_a_volunteer_applies_and_gets_a_confirmation(client, mailoutbox):
    response = volunteer(client)

    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    application = VolunteerApplication.objects.get()
    assert application.ways_to_help == ["translation", "legal"]
    assert application.status == VolunteerApplication.Status.NEW
    assert application.has_contact_consent is True
    [message] = mailoutbox
    assert message.to == ["maksym@example.org"]
    assert "Maksym" not in message.body


def test_consent_is_required_to_apply(client, mailoutbox):
    response = volunteer(client, has_contact_consent="")

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not VolunteerApplication.objects.exists()
    assert mailoutbox == []


def test_staff_list_and_export_volunteers(client, staff_client):
    volunteer(client, name='=HYPERLINK("x")')
    url = reverse("admin:community_volunteerapplication_changelist")

    assert "Translation, Legal" in staff_client.get(url).content.decode()
    response = staff_client.post(
        url,
        {
            "action": "export_csv",
            "_selected_action": list(
                VolunteerApplication.objects.values_list("pk", flat=True)
            ),
        },
    )
    rows = list(
        csv.reader(
            io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))
        )
    )
    assert rows[0][:2] == ["name", "email"]
    assert rows[1][0] == '\'=HYPERLINK("x")'
    assert rows[1][4] == "Translation, Legal"
