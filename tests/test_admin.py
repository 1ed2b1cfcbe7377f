import pytest
from django.urls import reverse

from tests.factories import make_appeal, make_organization, make_signature

pytestmark = pytest.mark.django_db


def test_admin_pages_load_for_staff(staff_client):
    organization = make_organization()
    appeal = make_appeal(authors=[organization])
    signature = make_signature(appeal)

    urls = [
        reverse("admin:index"),
        reverse("admin:appeals_organization_changelist"),
        reverse("admin:appeals_organization_add"),
        reverse("admin:appeals_organization_change", args=[organization.pk]),
        reverse("admin:appeals_appeal_changelist"),
        reverse("admin:appeals_appeal_add"),
        reverse("admin:appeals_appeal_change", args=[appeal.pk]),
        reverse("admin:appeals_signature_changelist"),
        reverse("admin:appeals_signature_changelist") + "?q=Kyiv",
        reverse("admin:appeals_signature_change", args=[signature.pk]),
    ]
    for url in urls:
        assert staff_client.get(url).status_code == 200, url


def test_appeal_change_page_lists_authors_inline_and_links_to_the_site(staff_client):
    organization = make_organization(name="Rights Watch North")
    appeal = make_appeal(authors=[organization])

    html = staff_client.get(
        reverse("admin:appeals_appeal_change", args=[appeal.pk])
    ).content.decode()

    assert "Rights Watch North" in html
    assert "View on site" in html


def test_admin_requires_login(client):
    response = client.get(reverse("admin:appeals_signature_changelist"))

    assert response.status_code == 302
    assert reverse("admin:login") in response.headers["Location"]
