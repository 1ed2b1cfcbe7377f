"""Updates in the admin: write, preview, test, send or schedule, follow, steer."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appeals.models import (
    DeliveryEvent,
    OrganizationSignature,
    OutgoingEmail,
    Update,
    UpdateText,
)
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db

State = Update.State
EmailState = OutgoingEmail.State


@pytest.fixture
def staff(django_user_model):
    """A logged-in client, and its user, for a staff member in the given groups."""

    def login(*groups, email="editor@example.org"):
        user = django_user_model.objects.create_user(
            username=f"user-{'-'.join(groups) or 'none'}-{email}",
            email=email,
            password="a-long-password-123",
            is_staff=True,
        )
        user.groups.set(Group.objects.filter(name__in=groups))
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return login


@pytest.fixture
def editor(staff):
    return staff("Editors")


@pytest.fixture
def appeal():
    return make_appeal(title="Free the journalists", language="en")


@pytest.fixture
def ukrainian(appeal):
    return make_appeal(
        title="Звільніть журналістів",
        language="uk",
        translation_of=appeal,
        slug="zvilnit-zhurnalistiv",
    )


def make_update(appeal, **fields) -> Update:
    defaults = {"title": "The appeal was delivered", "body": "We handed it over."}
    return Update.objects.create(appeal=appeal, **defaults | fields)


def url(name, update, *args):
    return reverse(f"admin:appeals_update_{name}", args=[update.pk, *args])


def inline(*texts, prefix="versions", initial=0):
    """The POST data of the language versions' inline."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(texts)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for number, text in enumerate(texts):
        data |= {f"{prefix}-{number}-{name}": value for name, value in text.items()}
    return data


def send(client, update, captured, **data):
    with captured(execute=True):
        return client.post(url("send", update), data | {"time_zone": "Europe/Kyiv"})


def test_an_editor_writes_an_update_with_a_ukrainian_text(editor, appeal, ukrainian):
    response = editor.post(
        reverse("admin:appeals_update_add"),
        {
            "appeal": appeal.pk,
            "title": "The appeal was delivered",
            "body": "We handed it **over**.",
            **inline(
                {
                    "appeal_version": ukrainian.pk,
                    "title": "Звернення передано",
                    "body": "Ми його передали.",
                }
            ),
        },
    )

    assert response.status_code == 302
    update = Update.objects.get()
    assert (update.appeal, update.state) == (appeal, State.DRAFT)
    assert update.created_by == editor.user
    assert update.versions.get().appeal_version == ukrainian
    assert LogEntry.objects.filter(object_id=str(update.pk)).exists()


def test_a_text_for_another_appeal_or_its_event_is_refused(editor, appeal):
    other = make_appeal()
    other_version = make_appeal(language="uk", translation_of=other)
    other_event = DeliveryEvent.objects.create(
        appeal=other, kind="delivered", occurred_on="2026-11-30"
    )

    response = editor.post(
        reverse("admin:appeals_update_add"),
        {
            "appeal": appeal.pk,
            "delivery_event": other_event.pk,
            "title": "Delivered",
            "body": "Done.",
            **inline({"appeal_version": other_version.pk, "title": "X", "body": "Y"}),
        },
    )

    assert response.status_code == 200
    assert not Update.objects.exists()
    assert response.context["adminform"].form.errors.keys() == {"delivery_event"}
    assert response.context["inline_admin_formsets"][0].formset.errors[0].keys() == {
        "appeal_version"
    }


def test_a_delivery_event_offers_an_update_about_it(editor, appeal, ukrainian):
    event = DeliveryEvent.objects.create(
        appeal=appeal, kind="delivered", occurred_on="2026-11-30"
    )
    other = DeliveryEvent.objects.create(
        appeal=make_appeal(), kind="reply", occurred_on="2026-11-30"
    )
    page = editor.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    link = f"/admin/appeals/update/add/?appeal={appeal.pk}&delivery_event={event.pk}"
    assert link.replace("&", "&amp;") in page.content.decode()

    form = editor.get(f"{link}&title=We+delivered+the+appeal")

    fields = form.context["adminform"].form.fields
    assert list(fields["delivery_event"].queryset) == [event]
    assert other not in fields["delivery_event"].queryset
    assert form.context["adminform"].form.initial["delivery_event"] == str(event.pk)
    formset = form.context["inline_admin_formsets"][0].formset
    assert list(formset.form.base_fields["appeal_version"].queryset) == [ukrainian]


def test_the_preview_shows_each_version_as_email_and_as_page(editor, appeal, ukrainian):
    update = make_update(
        appeal,
        title="The appeal was delivered",
        body="We handed it **over**. <script>alert(1)</script>",
    )
    UpdateText.objects.create(
        update=update,
        appeal_version=ukrainian,
        title="Звернення передано",
        body="Ми його передали.",
    )

    page = editor.get(url("preview", update))

    assert page.status_code == 200
    original, translated = page.context["previews"]
    assert original.subject == "The appeal was delivered"
    assert "We handed it **over**." in original.body
    assert "(the signer's own link)" in original.body
    assert "<strong>over</strong>" in original.html
    assert "<script>" not in original.html
    assert translated.subject == "Звернення передано"
    assert "Ми його передали." in translated.body
    assert "Звільніть журналістів" in translated.body
    assert "<script>" not in page.content.decode()


def test_send_a_test_to_me(
    editor, appeal, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(appeal, email="signer@example.org", wants_updates=True)
    update = make_update(appeal, title="Delivered today")

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(url("send_test", update))

    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [["editor@example.org"]]
    assert mailoutbox[0].subject == "[Test] Delivered today"
    assert "A test: only you got this email." in mailoutbox[0].body
    update.refresh_from_db()
    assert update.state == State.DRAFT
    assert LogEntry.objects.filter(object_id=str(update.pk)).count() == 1


def test_a_test_without_an_email_address_says_so(
    staff, appeal, mailoutbox, django_capture_on_commit_callbacks
):
    client = staff("Editors", email="")
    update = make_update(appeal)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("send_test", update), follow=True)

    assert mailoutbox == []
    assert "no email address" in response.content.decode()


def test_sending_reaches_the_signers_who_asked(
    editor, appeal, ukrainian, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(appeal, email="yes@example.org", wants_updates=True)
    make_signature(
        appeal,
        email="uk@example.org",
        wants_updates=True,
        appeal_version=ukrainian,
        language="uk",
    )
    make_signature(appeal, email="no@example.org", wants_updates=False)
    make_signature(
        appeal, email="pending@example.org", status="pending", wants_updates=True
    )
    OrganizationSignature.objects.create(
        appeal=appeal,
        organization_name="Group",
        contact_name="Ann",
        email="group@example.org",
        country="UA",
        status="confirmed",
        wants_updates=True,
    )
    update = make_update(appeal)
    UpdateText.objects.create(
        update=update, appeal_version=ukrainian, title="Передано", body="Сьогодні."
    )

    page = editor.get(url("send", update))
    assert page.context["recipients"] == 3

    response = send(editor, update, django_capture_on_commit_callbacks, send_at="")

    assert response.status_code == 302
    assert response["Location"] == url("progress", update)
    by_address = {message.to[0]: message for message in mailoutbox}
    assert set(by_address) == {"yes@example.org", "uk@example.org", "group@example.org"}
    assert by_address["uk@example.org"].subject == "Передано"
    update.refresh_from_db()
    assert update.state == State.SENT
    assert update.published_at is not None
    assert update.sent_by == editor.user
    assert update.recipient_count == 3
    log = LogEntry.objects.get(object_id=str(update.pk))
    assert "3 signers" in log.change_message
    change_page = editor.get(reverse("admin:appeals_update_change", args=[update.pk]))
    assert 'name="_save"' not in change_page.content.decode()  # A record now.


def test_a_second_update_within_a_week_asks_before_it_goes(
    editor, appeal, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(appeal, email="ann@example.org", wants_updates=True)
    first = make_update(appeal, title="First")
    send(editor, first, django_capture_on_commit_callbacks, send_at="")
    second = make_update(appeal, title="Second")
    mailoutbox.clear()

    asked = send(editor, second, django_capture_on_commit_callbacks, send_at="")

    assert asked.status_code == 200
    assert asked.context["recent"] == first
    assert "Yes, send another" in asked.content.decode()
    second.refresh_from_db()
    assert second.state == State.DRAFT
    assert mailoutbox == []

    send(editor, second, django_capture_on_commit_callbacks, send_at="", confirmed="1")

    second.refresh_from_db()
    assert second.state == State.SENT
    assert [message.subject for message in mailoutbox] == ["Second"]


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("2030-12-01T19:00", datetime(2030, 12, 1, 17, 0, tzinfo=UTC)),  # EET
        ("2030-07-01T19:00", datetime(2030, 7, 1, 16, 0, tzinfo=UTC)),  # EEST
    ],
)
def test_scheduling_at_19_00_kyiv_time_stores_the_utc_instant(
    editor, appeal, mailoutbox, django_capture_on_commit_callbacks, typed, utc
):
    make_signature(appeal, wants_updates=True)
    update = make_update(appeal)

    send(editor, update, django_capture_on_commit_callbacks, send_at=typed)

    update.refresh_from_db()
    assert (update.state, update.send_at) == (State.SCHEDULED, utc)
    assert update.published_at is None
    assert mailoutbox == []
    assert "19:00 Europe/Kyiv" in LogEntry.objects.get().change_message


def test_a_time_in_the_past_is_refused(editor, appeal):
    update = make_update(appeal)
    past = timezone.now() - timedelta(days=1)

    response = editor.post(
        url("send", update),
        {"send_at": past.strftime("%Y-%m-%dT%H:%M"), "time_zone": "UTC"},
    )

    assert response.status_code == 200
    assert "send_at" in response.context["form"].errors
    update.refresh_from_db()
    assert update.state == State.DRAFT


def test_the_send_form_defaults_to_kyiv_time(editor, appeal):
    page = editor.get(url("send", make_update(appeal)))

    assert page.context["form"]["time_zone"].value() == "Europe/Kyiv"


def going_out(appeal, states) -> Update:
    """An update going out, with one email per state given."""
    update = make_update(
        appeal, state=State.SENDING, published_at=timezone.now(), last_signature_id=0
    )
    now = timezone.now()
    for number, (state, fields) in enumerate(states):
        OutgoingEmail.objects.create(
            kind=OutgoingEmail.Kind.UPDATE,
            update=update,
            signature=make_signature(appeal, email=f"s{number}@example.org"),
            state=state,
            priority=OutgoingEmail.Priority.BULK,
            **fields,
        )
    Update.objects.filter(pk=update.pk).update(
        state=State.SENT, finished_at=now, recipient_count=len(states)
    )
    update.refresh_from_db()
    return update


def test_the_progress_page_counts_each_state_the_rate_and_the_failures(staff, appeal):
    now = timezone.now()
    update = going_out(
        appeal,
        [
            (EmailState.QUEUED, {}),
            (EmailState.QUEUED, {}),
            (EmailState.RETRYING, {"last_error": "451 try later"}),
            (EmailState.SENT, {"sent_at": now - timedelta(seconds=20)}),
            (EmailState.SENT, {"sent_at": now - timedelta(seconds=30)}),
            (EmailState.SENT, {"sent_at": now - timedelta(minutes=10)}),
            (EmailState.FAILED, {"last_error": "550 5.1.1 No such user"}),
            (EmailState.FAILED, {"last_error": "550 5.1.1 No such user"}),
        ],
    )

    page = staff("Moderators").get(url("progress", update))

    progress = page.context["progress"]
    assert progress.expected == 8
    assert (progress.queued, progress.retrying, progress.held) == (2, 1, 0)
    assert (progress.sent, progress.failed, progress.sent_last_minute) == (3, 2, 2)
    assert progress.failures == [("550 5.1.1 No such user", 2)]
    assert progress.seconds_left == 90  # Three left at two a minute.
    text = page.content.decode()
    assert "550 5.1.1 No such user" in text
    assert '<meta http-equiv="refresh" content="5">' in text  # No script (CSP).
    assert page.context["steps"] == []  # Moderators may only look.


def test_the_list_links_to_the_progress_in_as_many_queries_for_more_rows(
    editor, appeal, django_assert_max_num_queries
):
    update = going_out(appeal, [(EmailState.QUEUED, {})])
    changelist = reverse("admin:appeals_update_changelist")
    editor.get(changelist)  # Caches warmed.
    with CaptureQueriesContext(connection) as one_row:
        page = editor.get(changelist)
    for _ in range(5):
        make_update(make_appeal())

    with django_assert_max_num_queries(len(one_row)):
        editor.get(changelist)

    assert url("progress", update) in page.content.decode()


def test_a_scheduled_update_shows_whom_it_will_reach_and_may_be_cancelled(
    editor, appeal, django_capture_on_commit_callbacks
):
    make_signature(appeal, wants_updates=True)
    make_signature(appeal, wants_updates=True)
    update = make_update(appeal)
    send(editor, update, django_capture_on_commit_callbacks, send_at="2030-12-01T19:00")

    page = editor.get(url("progress", update))

    assert page.context["progress"].expected == 2
    assert [step for step, _label in page.context["steps"]] == ["cancel"]
    assert 'http-equiv="refresh"' not in page.content.decode()
    editor.post(url("step", update, "cancel"))
    update.refresh_from_db()
    assert update.state == State.CANCELLED


def test_pause_resume_and_cancel_by_post(editor, appeal):
    update = going_out(appeal, [(EmailState.QUEUED, {}), (EmailState.QUEUED, {})])

    def states():
        return sorted(update.emails.values_list("state", flat=True))

    editor.post(url("step", update, "pause"))
    update.refresh_from_db()
    assert update.state == State.PAUSED
    assert states() == [EmailState.HELD, EmailState.HELD]
    steps = editor.get(url("progress", update)).context["steps"]
    assert [step for step, _label in steps] == ["resume", "cancel"]

    editor.post(url("step", update, "resume"))
    update.refresh_from_db()
    assert update.state == State.SENT
    assert states() == [EmailState.QUEUED, EmailState.QUEUED]

    editor.post(url("step", update, "cancel"))
    update.refresh_from_db()
    assert update.state == State.CANCELLED
    assert states() == [EmailState.CANCELLED, EmailState.CANCELLED]
    messages = LogEntry.objects.filter(object_id=str(update.pk)).values_list(
        "change_message", flat=True
    )
    assert len(messages) == 3


def test_a_refused_step_says_why(editor, appeal):
    update = make_update(appeal)

    response = editor.post(url("step", update, "resume"), follow=True)

    assert "This step is not possible now." in response.content.decode()
    assert not LogEntry.objects.exists()


def test_moderators_may_look_but_not_write_or_send(staff, appeal):
    moderator = staff("Moderators")
    draft = make_update(appeal)
    sending = going_out(appeal, [(EmailState.QUEUED, {})])

    for page in [
        reverse("admin:appeals_update_changelist"),
        reverse("admin:appeals_update_change", args=[draft.pk]),
        url("preview", draft),
        url("progress", sending),
    ]:
        assert moderator.get(page).status_code == 200, page
    for action in [
        reverse("admin:appeals_update_add"),
        url("send", draft),
        url("send_test", draft),
        url("step", sending, "pause"),
    ]:
        assert moderator.post(action, {"send_at": ""}).status_code == 403, action
    assert moderator.get(url("send", draft)).status_code == 403
    draft.refresh_from_db()
    sending.refresh_from_db()
    assert (draft.state, sending.state) == (State.DRAFT, State.SENT)


def test_staff_without_a_role_see_nothing_of_updates(staff, appeal):
    nobody = staff()
    update = make_update(appeal)

    assert nobody.get(url("preview", update)).status_code == 403
    assert nobody.get(url("progress", update)).status_code == 403
    assert nobody.post(url("send", update), {"send_at": ""}).status_code == 403


def test_a_get_never_changes_anything(
    editor, appeal, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(appeal, wants_updates=True)
    draft = make_update(appeal)
    sending = going_out(appeal, [(EmailState.QUEUED, {})])

    with django_capture_on_commit_callbacks(execute=True):
        assert editor.get(url("send", draft)).status_code == 200
        assert editor.get(url("send_test", draft)).status_code == 405
        for step in ["pause", "resume", "cancel"]:
            assert editor.get(url("step", sending, step)).status_code == 405
        assert editor.get(url("preview", draft)).status_code == 200
        assert editor.get(url("progress", sending)).status_code == 200

    draft.refresh_from_db()
    sending.refresh_from_db()
    assert (draft.state, sending.state) == (State.DRAFT, State.SENT)
    assert list(sending.emails.values_list("state", flat=True)) == ["queued"]
    assert mailoutbox == []
    assert not LogEntry.objects.exists()


def test_only_a_draft_may_be_deleted(editor, appeal):
    draft = make_update(appeal)
    sent = going_out(appeal, [])

    editor.post(reverse("admin:appeals_update_delete", args=[sent.pk]), {"post": "yes"})
    editor.post(
        reverse("admin:appeals_update_delete", args=[draft.pk]), {"post": "yes"}
    )

    assert list(Update.objects.all()) == [sent]


# Found by attacking it.


def test_an_update_that_went_out_in_full_cannot_be_cancelled(editor, appeal):
    update = going_out(appeal, [(EmailState.SENT, {})])
    Update.objects.filter(pk=update.pk).update(
        state=State.SENT, finished_at=timezone.now()
    )

    editor.post(url("step", update, "cancel"))

    update.refresh_from_db()
    assert update.state == State.SENT


@pytest.mark.parametrize("query", ["?appeal=%C2%B2", "?appeal=99999999999999999999"])
def test_a_strange_appeal_in_the_address_gives_the_plain_form(editor, query):
    response = editor.get(reverse("admin:appeals_update_add") + query)

    assert response.status_code == 200


def test_control_characters_pasted_into_an_update_are_dropped(editor, appeal):
    editor.post(
        reverse("admin:appeals_update_add"),
        {
            "appeal": appeal.pk,
            "title": "Delivered\x0btoday",
            "body": "Line one\x0bstill\x0c one",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    update = Update.objects.get()
    assert (update.title, update.body) == ("Deliveredtoday", "Line onestill one")


def test_two_updates_scheduled_for_the_same_evening_ask_first(
    editor, appeal, django_capture_on_commit_callbacks
):
    day = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    first, second = make_update(appeal), make_update(appeal, title="Second")
    for update, at in [(first, "19:00"), (second, "19:05")]:
        with django_capture_on_commit_callbacks(execute=True):
            editor.post(
                url("send", update),
                {"send_at": f"{day}T{at}", "time_zone": "Europe/Kyiv"},
            )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (State.SCHEDULED, State.DRAFT)
