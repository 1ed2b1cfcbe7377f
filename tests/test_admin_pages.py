"""Every admin page answers, for every role, whatever state its objects are in.

An attacker who can sign, withdraw, co-sign and report typos must not be able to
put the moderators' pages out of order with what they leave behind.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from appeals import services
from appeals.models import (
    AppealSlug,
    DeliveryEvent,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
    UpdateText,
)
from community.models import TypoReport, VolunteerApplication
from tests.factories import make_appeal, make_organization, make_signature

pytestmark = pytest.mark.django_db

ROLES = [["Editors"], ["Moderators"], ["Moderators", "Signer data access"], None]


@pytest.fixture
def every_state():
    """Objects of every model the admin shows, in every state they can be in."""
    appeal = make_appeal(authors=[make_organization()])
    AppealSlug.objects.create(slug="a-former-address", appeal=appeal)
    DeliveryEvent.objects.create(
        appeal=appeal, kind="delivered", occurred_on="2026-11-30", text="By hand"
    )
    for status in ["pending", "confirmed", "quarantined", "rejected"]:
        make_signature(appeal, status=status, comment="<b>Words</b>")
        OrganizationSignature.objects.create(
            appeal=appeal,
            organization_name=f"Group {status}",
            contact_name="Ann",
            email=f"{status}@group.example",
            country="UA",
            status=status,
        )
    services.withdraw_signature(signature=make_signature(appeal))
    services.withdraw_signature(signature=OrganizationSignature.objects.first())
    anonymized = make_signature(appeal)
    Signature.objects.filter(pk=anonymized.pk).update(
        **Signature.ERASED_VALUES, email_normalized="", ip_hash=""
    )
    translation = make_appeal(language="uk", translation_of=appeal)
    high_risk = make_appeal(is_high_risk=True)  # Addresses kept as keyed codes.
    make_signature(high_risk, email="kept@example.org", wants_updates=True)
    make_signature(high_risk, email="gone@example.org")
    Signature.objects.filter(appeal=high_risk, wants_updates=False).update(email="")
    for state in Update.State.values:
        update = Update.objects.create(
            appeal=appeal, title=f"Update {state}", body="**Words**", state=state
        )
        UpdateText.objects.create(
            update=update, appeal_version=translation, title="Оновлення", body="Слова"
        )
    updates, signatures = list(Update.objects.all()), list(Signature.objects.all())
    for number, state in enumerate(OutgoingEmail.State.values):
        OutgoingEmail.objects.create(
            kind="confirm", signature=Signature.objects.first(), state=state
        )
        OutgoingEmail.objects.create(kind="data_access", to="a@b.example", state=state)
        OutgoingEmail.objects.create(
            kind="update",
            update=updates[number % len(updates)],
            signature=signatures[number // len(updates)],
            state=state,
            last_error="550 No such user",
        )
    for status in TypoReport.Status.values:
        TypoReport.objects.create(
            page_url="/appeals/x/", selected_text="teh", language="en", status=status
        )
    for status in VolunteerApplication.Status.values:
        VolunteerApplication.objects.create(
            name="Vol",
            email="vol@example.org",
            language="en",
            status=status,
            has_contact_consent=True,
        )


def staff(django_user_model, groups) -> Client:
    user = django_user_model.objects.create_user(
        username=f"staff-{groups}",
        password="a-long-password-123",
        is_staff=True,
        is_superuser=groups is None,
    )
    user.groups.set(Group.objects.filter(name__in=groups or []))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("groups", ROLES, ids=lambda groups: "+".join(groups or ["su"]))
@pytest.mark.usefixtures("every_state")
def test_every_admin_page_answers_for_every_role(django_user_model, groups):
    client = staff(django_user_model, groups)
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        pages += [
            reverse("admin:{}_{}_change".format(*info), args=[pk])
            for pk in model._default_manager.values_list("pk", flat=True)[:30]
        ]
    for pk in Update.objects.values_list("pk", flat=True):  # An update's tools.
        pages += [
            reverse(f"admin:appeals_update_{tool}", args=[pk])
            for tool in ["preview", "send", "progress"]
        ]

    broken = {
        url: status for url in pages if (status := client.get(url).status_code) >= 500
    }

    assert len(pages) > 45
    assert broken == {}
