"""Organizations co-sign: confirmed by email, then public only once staff approve."""

import re

import pytest
from django.urls import reverse

from appeals.models import OrganizationSignature
from tests.factories import form_shown

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def cosign(client, appeal, **overrides):
    data = {
        "organization_name": "Coastal Rights Network",
        "website": "https://crn.example.org/",
        "country": "GE",
        "contact_name": "Nino Beridze",
        "email": "nino@crn.example.org",
        "statement": "We stand with the workers.",
        **form_shown(),
    }
    data.update(overrides)
    return client.post(
        reverse("appeals:organization_sign", kwargs={"slug": appeal.slug}), data
    )


@pytest.fixture
def appeal():
    from tests.factories import make_appeal

    return make_appeal()


def test_the_form_page_has_every_field_labelled(client, appeal):
    html = client.get(
        reverse("appeals:organization_sign", kwargs={"slug": appeal.slug})
    ).content.decode()

    for label in ["Organization name", "Website", "Contact person", "Contact email"]:
        assert label in html


def test_cosigning_is_confirmed_by_email_then_shown_only_after_approval(
    client, appeal, mailoutbox
):
    response = cosign(client, appeal)
    assert response.headers["Location"] == reverse(
        "appeals:check_email", kwargs={"slug": appeal.slug}
    )
    [message] = mailoutbox
    confirm_path = re.search(
        r"http://testserver(/[a-z]{2}/signatures/confirm/\S+/)", message.body
    )

    response = client.post(confirm_path.group(1))

    assert response.headers["Location"] == reverse(
        "appeals:organization_thanks", kwargs={"slug": appeal.slug}
    )
    cosignature = OrganizationSignature.objects.get()
    assert cosignature.status == OrganizationSignature.Status.CONFIRMED
    assert (
        "Coastal Rights Network"
        not in client.get(appeal.get_absolute_url()).content.decode()
    )

    OrganizationSignature.objects.update(is_approved=True)

    html = client.get(appeal.get_absolute_url()).content.decode()
    assert "Signed by 1 organization" in html
    link = '<a href="https://crn.example.org/" rel="noopener nofollow">'
    assert f"{link}Coastal Rights Network</a>" in html
    assert "Nino Beridze" not in html
    assert "nino@crn.example.org" not in html
    appeal.refresh_from_db()
    assert appeal.signature_count == 0  # Organizations are counted apart.


def test_cosigning_twice_with_one_address_keeps_one_row_and_one_answer(
    client, appeal, mailoutbox
):
    first = cosign(client, appeal)
    second = cosign(client, appeal, organization_name="Another name")

    assert first.headers["Location"] == second.headers["Location"]
    assert OrganizationSignature.objects.count() == 1
    assert len(mailoutbox) == 2


def test_invalid_cosignature_is_refused_with_messages(client, appeal):
    response = cosign(client, appeal, website="javascript:alert(1)", contact_name="")

    assert response.status_code == 400
    assert "Enter a valid URL." in response.content.decode()
    assert OrganizationSignature.objects.count() == 0
