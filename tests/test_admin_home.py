"""The admin home: what waits for staff, and each open appeal's week by the hour."""

import importlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from appeals.activity import HOURS, signing_activity
from appeals.models import OrganizationSignature, OutgoingEmail, Signature
from community.models import TypoReport, VolunteerApplication
from tests.factories import make_appeal, make_signature
from tests.test_admin_pages import staff

pytestmark = pytest.mark.django_db


def todo_counts(client) -> dict[str, tuple[int, str]]:
    """The to-do table as a staff member reads it: label -> (count, link)."""
    html = client.get(reverse("admin:index")).content.decode()
    table = re.search(r'<div class="module" id="to-do">(.*?)</table>', html, re.S)[1]
    return {
        label: (int(count), link.replace("&amp;", "&"))
        for link, label, count in re.findall(
            r'<a href="([^"]+)">([^<]+)</a></th>\s*<td class="count">(\d+)</td>',
            table,
        )
    }


def cosign(appeal, name, **fields):
    return OrganizationSignature.objects.create(
        appeal=appeal,
        organization_name=name,
        contact_name="Ann",
        email=f"{name}@group.example",
        country="UA",
        **fields,
    )


def test_the_admin_home_names_the_site_not_django(staff_client, settings):
    settings.SITE_NAME = "Rights Watch"

    html = staff_client.get(reverse("admin:index")).content.decode()

    assert "Django" not in html
    assert "<title>Staff home | Rights Watch: staff</title>" in html
    assert "Rights Watch: staff</a>" in html


def test_each_to_do_count_counts_what_waits_and_nothing_else(staff_client):
    appeal = make_appeal()
    make_signature(appeal, comment="Because", status="pending")  # counts
    make_signature(appeal, comment="Because")  # counts
    make_signature(appeal, comment="Seen", comment_status="approved")
    make_signature(appeal, comment="Rude", comment_status="hidden")
    make_signature(appeal)  # no comment: nothing to moderate
    make_signature(appeal, status="quarantined")  # counts
    make_signature(appeal, status="rejected")
    cosign(appeal, "waiting", status="confirmed")  # counts
    cosign(appeal, "approved", status="confirmed", is_approved=True)
    cosign(appeal, "unconfirmed", status="pending")
    for status in TypoReport.Status.values:
        TypoReport.objects.create(
            page_url="/x/", selected_text="teh", language="en", status=status
        )
    for status in VolunteerApplication.Status.values:
        VolunteerApplication.objects.create(
            name="Vol",
            email="v@example.org",
            language="en",
            status=status,
            has_contact_consent=True,
        )
    for state in OutgoingEmail.State.values:
        OutgoingEmail.objects.create(kind="data_access", to="a@b.example", state=state)

    counts = todo_counts(staff_client)

    assert {label: count for label, (count, _link) in counts.items()} == {
        "Comments awaiting moderation": 2,
        "Quarantined signatures": 1,
        "Co-signatures awaiting approval": 1,
        "New typo reports": 1,
        "New volunteers": 1,
        "Failed emails": 1,
    }
    # Each link opens the list on exactly what was counted.
    for label, (count, link) in counts.items():
        html = staff_client.get(link).content.decode()
        assert html.count('name="_selected_action"') == count, label


def test_the_to_do_list_shows_only_the_queues_a_role_may_see(django_user_model):
    editor = staff(django_user_model, ["Editors"])

    counts = todo_counts(editor)

    assert "Comments awaiting moderation" not in counts


def test_the_moderation_filter_lists_comments_not_every_signature(staff_client):
    appeal = make_appeal()
    make_signature(appeal, full_name="Has Words", comment="Because")
    make_signature(appeal, full_name="Said Nothing")
    url = reverse("admin:appeals_signature_changelist")

    html = staff_client.get(f"{url}?comment_status__exact=pending").content.decode()

    assert "Has Words" in html
    assert "Said Nothing" not in html


def test_a_withdrawn_comment_leaves_the_moderation_queue():
    from appeals import services

    signature = make_signature(make_appeal(), comment="Because")

    services.withdraw_signature(signature=signature)

    assert not Signature.objects.awaiting_moderation().exists()


def test_the_migration_takes_signatures_without_a_comment_out_of_the_queue():
    migration = importlib.import_module("appeals.migrations.0042_comment_status_none")
    appeal = make_appeal()
    quiet = make_signature(appeal)
    worded = make_signature(appeal, comment="Because")
    Signature.objects.update(comment_status="pending")  # as stored before

    migration.mark_signatures_without_a_comment(apps, None)

    assert dict(Signature.objects.values_list("pk", "comment_status")) == {
        quiet.pk: "none",
        worded.pk: "pending",
    }


@pytest.mark.django_db(transaction=True)
def test_migration_0042_runs_again_after_it_was_killed_past_its_indexes():
    # atomic=False: each of its steps commits on its own, so a deploy killed
    # after an index was built, before the migration was recorded, runs it
    # again over that index.
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(
        ("appeals", "0041_language_defaults_and_emails")
    )
    migration = executor.loader.get_migration("appeals", "0042_comment_status_none")
    appeal = make_appeal()
    make_signature(appeal)
    Signature.objects.update(comment_status="pending")

    with connection.schema_editor(atomic=migration.atomic) as editor:
        migration.apply(state, editor)

    assert Signature.objects.get().comment_status == "none"
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "appeals_signature")
    assert {"signature_comment_pending", "signature_quarantined"} <= set(indexes)


def signed_at(appeal, when, **fields):
    signature = make_signature(appeal, **fields)
    Signature.objects.filter(pk=signature.pk).update(created_at=when)


def test_the_week_with_a_clock_change_has_each_hour_once(settings):
    # Kyiv's clocks went from 03:00 to 04:00 that night: an hour that never was
    # took the count of the one after it, so the week counted it twice.
    settings.TIME_ZONE = "Europe/Kyiv"
    now = datetime(2026, 3, 29, 12, 30, tzinfo=UTC)
    appeal = make_appeal()
    signed_at(appeal, datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 02:30 in Kyiv
    signed_at(appeal, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 04:30 in Kyiv

    with timezone.override("Europe/Kyiv"):
        activity = signing_activity(now=now)[0]

    assert activity.total == 2
    assert len({hour.start for hour in activity.hours}) == HOURS


def test_the_chart_counts_each_appeals_signatures_per_hour(settings):
    settings.TIME_ZONE = "UTC"
    now = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    busy, quiet = make_appeal(), make_appeal()
    make_appeal(closes_at=now - timedelta(days=1))  # closed: no chart
    for minute in (0, 10, 59):
        signed_at(busy, now.replace(hour=9, minute=minute))
    signed_at(busy, now.replace(hour=9, minute=20), status="quarantined")
    signed_at(busy, now.replace(hour=10, minute=5))
    signed_at(busy, now - timedelta(days=8))  # before the week
    signed_at(quiet, now.replace(hour=12, minute=1))

    with timezone.override("UTC"):
        activity = signing_activity(now=now)

    assert [item.appeal for item in activity] == [busy, quiet]
    hours = {hour.start.hour: hour for hour in activity[0].hours if hour.count}
    assert len(activity[0].hours) == HOURS
    assert activity[0].hours[-1].start == now.replace(minute=0)
    assert {h: (hour.count, hour.quarantined) for h, hour in hours.items()} == {
        9: (4, 1),
        10: (1, 0),
    }
    assert activity[0].total == 5
    assert activity[0].busiest.start == now.replace(hour=9, minute=0)
    assert activity[1].total == 1


def test_the_chart_groups_by_the_hours_of_the_sites_time_zone(settings):
    # Kolkata is UTC+5:30: its hours begin at half past in UTC.
    settings.TIME_ZONE = "Asia/Kolkata"
    now = datetime(2026, 12, 1, 12, 45, tzinfo=UTC)
    appeal = make_appeal()
    signed_at(appeal, datetime(2026, 12, 1, 10, 20, tzinfo=UTC))  # 15:50 local
    signed_at(appeal, datetime(2026, 12, 1, 10, 40, tzinfo=UTC))  # 16:10 local

    with timezone.override("Asia/Kolkata"):
        activity = signing_activity(now=now)
        hours = [
            (timezone.localtime(hour.start).hour, hour.count)
            for hour in activity[0].hours
            if hour.count
        ]

    assert hours == [(15, 1), (16, 1)]


def test_the_home_draws_a_chart_with_a_table_beside_it(staff_client):
    appeal = make_appeal(title="Free the press")
    make_signature(appeal)
    make_signature(appeal, status="quarantined")

    html = staff_client.get(reverse("admin:index")).content.decode()

    chart = html[html.index('id="signing-activity"') :]
    assert "Free the press</a>:" in chart
    assert "2 signatures this week" in chart
    assert "1 quarantined" in chart
    assert chart.count('<rect class="all"') == 1
    assert chart.count('<rect class="quarantined"') == 1
    assert '<svg viewBox="0 0 672 74" role="img"' in chart
    assert "style=" not in html and "<script>" not in chart
    assert "<summary>Day by day</summary>" in chart


def test_the_home_counts_in_a_few_queries_however_many_signatures(
    staff_client, django_assert_max_num_queries
):
    appeals = [make_appeal() for _ in range(3)]
    for appeal in appeals:
        for _ in range(5):
            make_signature(appeal, comment="Because")

    with django_assert_max_num_queries(20):
        staff_client.get(reverse("admin:index"))


def test_third_party_sections_have_our_names_and_only_superusers_see_them(
    staff_client, django_user_model
):
    moderator = staff(django_user_model, ["Moderators"])

    superuser_html = staff_client.get(reverse("admin:index")).content.decode()
    moderator_html = moderator.get(reverse("admin:index")).content.decode()

    assert "Two-factor authentication" in superuser_html
    assert "Background tasks" in superuser_html
    assert "TOTP" not in superuser_html
    assert "Tasks Database Backend" not in superuser_html
    assert "Background tasks" not in moderator_html


def test_the_co_signature_list_opens_on_those_awaiting_approval(staff_client):
    appeal = make_appeal()
    cosign(appeal, "waiting", status="confirmed")
    cosign(appeal, "approved", status="confirmed", is_approved=True)
    url = reverse("admin:appeals_organizationsignature_changelist")

    default = staff_client.get(url).content.decode()
    everything = staff_client.get(f"{url}?queue=all").content.decode()

    assert "waiting</a>" in default and "approved</a>" not in default
    assert "waiting</a>" in everything and "approved</a>" in everything


def test_one_appeals_signature_list_names_it_once_in_its_title(staff_client):
    appeal = make_appeal(title="Free the press")
    for _ in range(3):
        make_signature(appeal)
    url = reverse("admin:appeals_signature_changelist")

    filtered = staff_client.get(f"{url}?appeal__id__exact={appeal.pk}")
    unfiltered = staff_client.get(url).content.decode()

    html = filtered.content.decode()
    assert "<h1>Signatures of “Free the press”</h1>" in html
    assert html.count("Free the press") == 2  # the page's title and its heading
    assert unfiltered.count('<td class="field-appeal_title">Free the press') == 3


def test_the_country_filter_is_one_drop_down_that_keeps_the_other_filters(
    staff_client,
):
    appeal = make_appeal()
    make_signature(appeal, full_name="From Georgia", country="GE")
    make_signature(appeal, full_name="From Ukraine", country="UA")
    url = reverse("admin:appeals_signature_changelist")

    html = staff_client.get(f"{url}?status__exact=confirmed").content.decode()
    georgia = staff_client.get(f"{url}?country__exact=GE").content.decode()

    form = re.search(r'<form method="get" class="select-filter">.*?</form>', html, re.S)
    assert form[0].count("<option") > 200
    assert '<input type="hidden" name="status__exact" value="confirmed">' in form[0]
    assert html.count('href="?country__exact=') == 0
    assert "From Georgia" in georgia and "From Ukraine" not in georgia


@pytest.mark.parametrize(
    ("admin_list", "query"),
    [
        ("signature", "country__exact=%00"),
        ("signature", "status__exact=confirmed%00"),
        ("organizationsignature", "country__exact=U%00A"),
        ("organizationsignature", "queue=all&status__exact=%00"),
    ],
)
def test_a_nul_in_a_signature_lists_filter_sends_back_to_the_list(
    staff_client, admin_list, query
):
    # PostgreSQL takes no NUL in a string: the list failed with a 500.
    make_signature(make_appeal(), country="UA")
    url = reverse(f"admin:appeals_{admin_list}_changelist")

    response = staff_client.get(f"{url}?{query}")

    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"


def test_the_slug_help_shows_the_placeholder_not_an_empty_tag(staff_client):
    appeal = make_appeal()

    html = staff_client.get(
        reverse("admin:appeals_appeal_change", args=[appeal.pk])
    ).content.decode()

    assert "/appeals/&lt;slug&gt;/." in html
    assert "/appeals//." not in html
    assert "<slug>" not in html


def test_title_and_addressee_get_wide_inputs(staff_client):
    appeal = make_appeal()

    html = staff_client.get(
        reverse("admin:appeals_appeal_change", args=[appeal.pk])
    ).content.decode()

    for name in ["title", "addressee"]:
        field = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)[0]
        assert 'class="vLargeTextField"' in field


def test_the_preview_renders_the_letter_as_typed_without_saving(staff_client):
    appeal = make_appeal(title="Saved title")
    change = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    preview = reverse("admin:appeals_appeal_preview")

    form = staff_client.get(change).content.decode()
    response = staff_client.post(
        preview,
        {
            "title": "Typed title",
            "addressee": "the Minister",
            "body": "We **demand** it.\n\n<script>alert(1)</script>",
        },
    )

    assert f'formaction="{preview}"' in form
    html = response.content.decode()
    assert "<h2>Typed title</h2>" in html
    assert "<p>We <strong>demand</strong> it.</p>" in html
    assert "<script>alert" not in html
    appeal.refresh_from_db()
    assert appeal.title == "Saved title"
    assert staff_client.get(preview).status_code == 405


def test_delivery_events_are_edited_one_line_each(staff_client):
    appeal = make_appeal()

    html = staff_client.get(
        reverse("admin:appeals_appeal_change", args=[appeal.pk])
    ).content.decode()

    group = html[html.index('id="delivery_events-group"') :]
    assert '<div class="tabular' in group[:400]


def test_the_chart_is_counted_at_most_once_a_minute(staff_client):
    from appeals import localcache

    appeal = make_appeal()
    make_signature(appeal)
    staff_client.get(reverse("admin:index"))
    make_signature(appeal)

    kept = staff_client.get(reverse("admin:index")).content.decode()
    localcache.clear()  # as a minute later
    fresh = staff_client.get(reverse("admin:index")).content.decode()

    assert "1 signature this week" in kept
    assert "2 signatures this week" in fresh
