"""Publishing workflow, draft preview, delivery timeline and moderation actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appeals.models import (
    Appeal,
    DeliveryEvent,
    LogCheckpoint,
    OrganizationSignature,
    Signature,
)
from appeals.services import confirm_signature
from appeals.services.counting import fold_signature_counts
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db


def workflow(client, appeal, action, **data):
    url = reverse("admin:appeals_appeal_workflow", args=[appeal.pk, action])
    return client.post(url, data)


def draft(**overrides):
    return make_appeal(status=Appeal.Status.DRAFT, published_at=None, **overrides)


def test_publishing_a_draft_makes_it_public(staff_client, client):
    appeal = draft(title="Fresh appeal")
    assert "Fresh appeal" not in client.get("/en/").content.decode()

    response = workflow(staff_client, appeal, "publish")

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PUBLISHED
    assert appeal.published_at <= timezone.now()
    assert "Fresh appeal" in client.get("/en/").content.decode()


def test_a_scheduled_appeal_appears_by_itself_at_its_time(staff_client, client):
    appeal = draft(title="Scheduled appeal")
    at = timezone.localtime() + timedelta(hours=2)

    workflow(staff_client, appeal, "publish", publish_at=at.strftime("%Y-%m-%dT%H:%M"))

    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.PUBLISHED
    assert client.get(appeal.get_absolute_url()).status_code == 404
    Appeal.objects.filter(pk=appeal.pk).update(
        published_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(appeal.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (Appeal.Status.PUBLISHED, "close", Appeal.Status.CLOSED),
        (Appeal.Status.PUBLISHED, "archive", Appeal.Status.ARCHIVED),
        (Appeal.Status.CLOSED, "archive", Appeal.Status.ARCHIVED),
        (Appeal.Status.CLOSED, "reopen", Appeal.Status.PUBLISHED),
        (Appeal.Status.ARCHIVED, "reopen", Appeal.Status.PUBLISHED),
    ],
)
def test_workflow_buttons_move_the_appeal(staff_client, start, action, end):
    appeal = make_appeal(status=start)

    workflow(staff_client, appeal, action)

    appeal.refresh_from_db()
    assert appeal.status == end
    assert (appeal.closed_at is None) == (end == Appeal.Status.PUBLISHED)


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (Appeal.Status.PUBLISHED, "publish"),
        (Appeal.Status.DRAFT, "close"),
        (Appeal.Status.PUBLISHED, "reopen"),
    ],
)
def test_impossible_moves_are_refused_with_a_message(staff_client, start, action):
    appeal = make_appeal(status=start)

    response = workflow(staff_client, appeal, action)

    appeal.refresh_from_db()
    assert appeal.status == start
    page = staff_client.get(response.headers["Location"]).content.decode()
    assert "can be" in page


def test_bulk_actions_on_the_appeal_list(staff_client):
    appeals = [make_appeal(), make_appeal()]

    staff_client.post(
        reverse("admin:appeals_appeal_changelist"),
        {"action": "close", "_selected_action": [a.pk for a in appeals]},
    )

    assert set(Appeal.objects.values_list("status", flat=True)) == {"closed"}


def test_change_page_offers_the_possible_moves(staff_client):
    appeal = make_appeal()

    html = staff_client.get(
        reverse("admin:appeals_appeal_change", args=[appeal.pk])
    ).content.decode()

    assert reverse("admin:appeals_appeal_workflow", args=[appeal.pk, "close"]) in html
    assert (
        reverse("admin:appeals_appeal_workflow", args=[appeal.pk, "publish"])
        not in html
    )


@pytest.mark.parametrize(
    ("overrides", "banner"),
    [
        ({"status": Appeal.Status.DRAFT, "published_at": None}, "Draft – not public"),
        (
            {"published_at": timezone.now() + timedelta(days=2)},
            "not public yet",
        ),
    ],
)
def test_staff_preview_drafts_with_a_banner_the_public_gets_404(
    staff_client, client, overrides, banner
):
    appeal = make_appeal(title="Work in progress", **overrides)

    preview = staff_client.get(appeal.get_absolute_url())
    assert preview.status_code == 200
    assert banner in preview.content.decode()
    assert "no-store" in preview.headers["Cache-Control"]

    assert client.get(appeal.get_absolute_url()).status_code == 404


def test_delivery_timeline_is_shown_on_the_appeal_page(client):
    appeal = make_appeal(addressee="the Ministry of Justice")
    DeliveryEvent.objects.create(
        appeal=appeal,
        kind=DeliveryEvent.Kind.DELIVERED,
        occurred_on=timezone.localdate(),
        channel="by registered mail",
        signature_count=1234,
    )
    DeliveryEvent.objects.create(
        appeal=appeal,
        kind=DeliveryEvent.Kind.REPLY,
        occurred_on=timezone.localdate(),
        text="We have <b>received</b> your letter.",
    )

    html = client.get(appeal.get_absolute_url()).content.decode()

    assert "Delivery and response" in html
    assert "Delivered to the Ministry of Justice" in html
    assert "by registered mail" in html
    assert "with 1234 signatures" in html
    assert "Reply received" in html
    assert "&lt;b&gt;received&lt;/b&gt;" in html


def test_a_delivery_recorded_without_a_count_gets_the_current_one(staff_client):
    appeal = make_appeal()
    for _ in range(3):
        confirm_signature(signature=make_signature(appeal, status="pending"))
    url = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    data = {
        "title": appeal.title,
        "slug": appeal.slug,
        "language": "en",
        "addressee": appeal.addressee,
        "summary": appeal.summary,
        "body": appeal.body,
        "authorships-TOTAL_FORMS": "0",
        "authorships-INITIAL_FORMS": "0",
        "delivery_events-TOTAL_FORMS": "1",
        "delivery_events-INITIAL_FORMS": "0",
        "delivery_events-0-kind": "delivered",
        "delivery_events-0-occurred_on": timezone.localdate().isoformat(),
        "delivery_events-0-channel": "in person",
    }

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    # The count of the signed checkpoint the delivery made.
    assert DeliveryEvent.objects.get().signature_count == 3
    assert LogCheckpoint.objects.get(appeal=appeal).signature_count == 3


def moderate(client, action, objects, model="signature", query=""):
    return client.post(
        reverse(f"admin:appeals_{model}_changelist") + query,
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
    )


def test_approving_a_comment_makes_it_public(staff_client, client):
    appeal = make_appeal()
    signature = make_signature(appeal, comment="Solidarity from Tbilisi")
    assert (
        "Solidarity from Tbilisi"
        not in client.get(appeal.get_absolute_url()).content.decode()
    )

    moderate(staff_client, "approve_comments", [signature])

    assert (
        "Solidarity from Tbilisi"
        in client.get(appeal.get_absolute_url()).content.decode()
    )
    moderate(staff_client, "hide_comments", [signature])
    assert (
        "Solidarity from Tbilisi"
        not in client.get(appeal.get_absolute_url()).content.decode()
    )


def test_rejecting_and_restoring_update_count_and_list(staff_client, client):
    appeal = make_appeal()
    spam = [make_signature(appeal, full_name=f"Bot {n}") for n in range(3)]
    make_signature(appeal, full_name="Real Person")
    pending = make_signature(appeal, full_name="Pending Bot", status="pending")
    fold_signature_counts()
    Appeal.objects.filter(pk=appeal.pk).update(signature_count=4)

    moderate(staff_client, "reject_as_spam", [*spam, pending])
    fold_signature_counts()

    appeal.refresh_from_db()
    assert appeal.signature_count == 1
    page = client.get(reverse("appeals:signatures", args=[appeal.slug])).content
    assert b"Bot 0" not in page
    assert b"Real Person" in page

    moderate(staff_client, "restore", [*spam, pending])
    fold_signature_counts()

    appeal.refresh_from_db()
    assert appeal.signature_count == 4
    pending.refresh_from_db()
    assert pending.status == Signature.Status.PENDING
    assert (
        b"Bot 0"
        in client.get(reverse("appeals:signatures", args=[appeal.slug])).content
    )


def test_resending_confirmation_reaches_pending_signers_only(
    staff_client, mailoutbox, django_capture_on_commit_callbacks
):
    appeal = make_appeal()
    pending = make_signature(appeal, status="pending", email="p@example.org")
    confirmed = make_signature(appeal, email="c@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        moderate(staff_client, "resend_confirmation", [pending, confirmed])

    assert [message.to for message in mailoutbox] == [["p@example.org"]]


def test_signature_changelist_filters(staff_client):
    appeal = make_appeal()
    make_signature(appeal, full_name="With Comment", comment="Words")
    make_signature(appeal, full_name="Quiet Signer")
    url = reverse("admin:appeals_signature_changelist")

    html = staff_client.get(url + "?has_comment=yes").content.decode()
    assert "With Comment" in html
    assert "Quiet Signer" not in html
    for query in [
        "status__exact=confirmed",
        "comment_status__exact=pending",
        f"appeal__id__exact={appeal.pk}",
        "country__exact=UA",
        "created_at__gte=2020-01-01+00%3A00%3A00%2B00%3A00",
    ]:
        assert staff_client.get(f"{url}?{query}").status_code == 200, query


def test_cosignature_queue_approve_and_reject(staff_client, client):
    appeal = make_appeal()
    waiting = OrganizationSignature.objects.create(
        appeal=appeal,
        organization_name="Waiting Org",
        contact_name="C",
        email="w@example.org",
        country="GE",
        status="confirmed",
    )
    unconfirmed = OrganizationSignature.objects.create(
        appeal=appeal,
        organization_name="Unconfirmed Org",
        contact_name="C",
        email="u@example.org",
        country="GE",
    )
    queue = staff_client.get(
        reverse("admin:appeals_organizationsignature_changelist") + "?queue=awaiting"
    ).content.decode()
    assert "Waiting Org" in queue
    assert "Unconfirmed Org" not in queue

    moderate(
        staff_client,
        "approve_cosignatures",
        [waiting, unconfirmed],
        model="organizationsignature",
    )

    html = client.get(appeal.get_absolute_url()).content.decode()
    assert "Waiting Org" in html
    assert "Unconfirmed Org" not in html

    # Approved, it has left the queue: staff find it among all co-signatures.
    moderate(
        staff_client,
        "reject_cosignatures",
        [waiting],
        model="organizationsignature",
        query="?queue=all",
    )
    assert "Waiting Org" not in client.get(appeal.get_absolute_url()).content.decode()


def test_a_bulk_move_refused_for_one_appeal_goes_ahead_for_the_others(staff_client):
    draft, published = make_appeal(status=Appeal.Status.DRAFT), make_appeal()

    response = staff_client.post(
        reverse("admin:appeals_appeal_changelist"),
        {"action": "close", "_selected_action": [draft.pk, published.pk]},
        follow=True,
    )

    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == ("draft", "closed")
    shown = [str(message) for message in response.context["messages"]]
    assert f"{draft}: Only a published appeal can be closed." in shown
    assert "Signing closed on 1 appeal." in shown
