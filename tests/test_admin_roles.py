"""The permission matrix: each staff role against each thing staff can do."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from appeals.models import Appeal, OutgoingEmail, Signature
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db

SIGNER_EMAIL = "hidden.signer@example.org"


@pytest.fixture
def staff(django_user_model):
    """A logged-in client for a staff member in the given groups."""

    def login(*groups, superuser=False):
        user = django_user_model.objects.create_user(
            username=f"user-{'-'.join(groups) or 'super'}",
            password="a-long-password-123",
            is_staff=True,
            is_superuser=superuser,
        )
        user.groups.set(Group.objects.filter(name__in=groups))
        client = Client()
        client.force_login(user)
        return client

    return login


def can_list(client, appeal, signature):
    response = client.get(reverse("admin:appeals_signature_changelist"))
    return response.status_code == 200


def can_view_email(client, appeal, signature):
    pages = [
        reverse("admin:appeals_signature_changelist"),
        reverse("admin:appeals_signature_change", args=[signature.pk]),
    ]
    return any(SIGNER_EMAIL in client.get(url).content.decode() for url in pages)


def can_export(client, appeal, signature):
    url = reverse("admin:appeals_appeal_delivery_csv", args=[appeal.pk])
    return client.get(url).status_code == 200


def can_export_emails(client, appeal, signature):
    url = reverse("admin:appeals_appeal_emails_csv", args=[appeal.pk])
    response = client.get(url)
    return response.status_code == 200 and SIGNER_EMAIL in b"".join(
        response.streaming_content
    ).decode("utf-8-sig")


def can_edit_appeal(client, appeal, signature):
    client.post(reverse("admin:appeals_appeal_workflow", args=[appeal.pk, "close"]))
    appeal.refresh_from_db()
    return appeal.status == Appeal.Status.CLOSED


def can_moderate(client, appeal, signature):
    client.post(
        reverse("admin:appeals_signature_changelist"),
        {"action": "reject_as_spam", "_selected_action": [signature.pk]},
    )
    signature.refresh_from_db()
    return signature.status == Signature.Status.REJECTED


def can_delete(client, appeal, signature):
    url = reverse("admin:appeals_signature_delete", args=[signature.pk])
    client.post(url, {"post": "yes"})
    return not Signature.objects.filter(pk=signature.pk).exists()


def can_see_mail_queue(client, appeal, signature):
    url = reverse("admin:appeals_outgoingemail_changelist")
    return client.get(url).status_code == 200


def can_retry_mail(client, appeal, signature):
    failed = OutgoingEmail.objects.create(
        kind="confirm", signature=signature, state=OutgoingEmail.State.FAILED
    )
    client.post(
        reverse("admin:appeals_outgoingemail_changelist"),
        {"action": "retry", "_selected_action": [failed.pk]},
    )
    failed.refresh_from_db()
    return failed.state != OutgoingEmail.State.FAILED


ACTIONS = [
    can_list,
    can_view_email,
    can_export,
    can_export_emails,
    can_edit_appeal,
    can_moderate,
    can_delete,
    can_see_mail_queue,
    can_retry_mail,
]

#              list   email  export emails edit   moderate delete mail   retry
MATRIX = {
    "editor": [False, False, True, False, True, False, False, True, False],
    "moderator": [True, False, True, False, False, True, False, True, True],
    "moderator_with_emails": [True, True, True, True, False, True, False, True, True],
    "superuser": [True, True, True, True, True, True, True, True, True],
}
ROLES = {
    "editor": {"groups": ["Editors"]},
    "moderator": {"groups": ["Moderators"]},
    "moderator_with_emails": {"groups": ["Moderators", "Signer data access"]},
    "superuser": {"groups": [], "superuser": True},
}


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.__name__)
def test_permission_matrix(staff, role, action):
    appeal = make_appeal()
    signature = make_signature(appeal, email=SIGNER_EMAIL)
    client = staff(
        *ROLES[role]["groups"], superuser=ROLES[role].get("superuser", False)
    )

    expected = MATRIX[role][ACTIONS.index(action)]

    assert action(client, appeal, signature) is expected


def test_moderators_see_appeals_but_cannot_save_them(staff):
    appeal = make_appeal(title="Original title")
    client = staff("Moderators")

    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()

    response = client.post(
        reverse("admin:appeals_appeal_change", args=[appeal.pk]), {"title": "Changed"}
    )
    assert response.status_code == 403
    appeal.refresh_from_db()
    assert appeal.title == "Original title"


def test_searching_by_email_needs_the_email_permission(staff):
    appeal = make_appeal()
    make_signature(appeal, full_name="Findable Person", email=SIGNER_EMAIL)
    url = reverse("admin:appeals_signature_find_by_email")
    allowed = staff("Moderators", "Signer data access")

    found = allowed.post(url, {"email": SIGNER_EMAIL.upper()}, follow=True)

    assert "Findable Person" in found.content.decode()
    assert SIGNER_EMAIL not in found.redirect_chain[0][0]  # Not in the address.
    assert staff("Moderators").post(url, {"email": SIGNER_EMAIL}).status_code == 403


def test_an_address_typed_in_the_search_box_finds_nothing_and_says_where_to_look(
    staff,
):
    make_signature(make_appeal(), full_name="Findable Person", email=SIGNER_EMAIL)
    url = reverse("admin:appeals_signature_changelist") + f"?q={SIGNER_EMAIL}"

    page = staff("Moderators", "Signer data access").get(url).content.decode()

    assert "Findable Person" not in page
    assert "Find by email" in page
