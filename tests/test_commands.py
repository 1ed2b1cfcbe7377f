import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from appeals.management.commands.load_demo import DEMO_SLUG, DEMO_STAFF_USERNAME
from appeals.models import (
    Appeal,
    DeliveryEvent,
    Organization,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
)
from community.models import JoinBlock
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        Organization.objects.count(),
        Appeal.objects.count(),
        Signature.objects.count(),
        OrganizationSignature.objects.count(),
        DeliveryEvent.objects.count(),
        Update.objects.count(),
        JoinBlock.objects.count(),
        list(Appeal.objects.values_list("slug", "signature_count")),
    )


def test_load_demo_is_idempotent(settings, client):
    settings.DEBUG = True
    call_command("load_demo", stdout=None)
    first = snapshot()
    call_command("load_demo")

    assert snapshot() == first
    appeal = Appeal.objects.get(slug=DEMO_SLUG)
    assert appeal.signature_count == appeal.signatures.confirmed().count() > 0
    assert len(appeal.ordered_authors) == 2
    response = client.get(reverse("appeals:detail", kwargs={"slug": DEMO_SLUG}))
    assert response.status_code == 200
    assert appeal.title in response.content.decode()


def test_the_demo_shows_the_whole_product(settings, client):
    """A newcomer's first look: every part of an appeal's life has something in it."""
    call_command("load_demo", stdout=None)
    appeal = Appeal.objects.get(slug=DEMO_SLUG)

    assert appeal.closes_at is not None
    assert {t.language for t in appeal.translations.all()} == {"uk", "ru"}
    assert appeal.organization_signatures.public().exists()
    countries = set(appeal.signatures.confirmed().values_list("country", flat=True))
    assert len(countries) >= 8
    assert appeal.signature_count >= 200
    assert {e.kind for e in appeal.delivery_events.all()} == {"delivered", "reply"}
    assert appeal.updates.filter(published_at__isnull=False).exists()
    for language in ["uk", "ru", "kk"]:
        assert JoinBlock.objects.filter(language=language).count() == 3
    russian = client.get(
        reverse("appeals:detail", kwargs={"slug": "pustite-zhurnalistov-v-stavrin"})
    ).content.decode()
    assert "Пустите журналистов в Ставрин и расследуйте стрельбу" in russian
    assert "<strong>без промедления восстановить</strong>" in russian
    page = client.get(appeal.get_absolute_url()).content.decode()
    assert "Closing roads to the press never ends well." in page  # Approved comment.
    assert "We handed the letter over" in page
    assert "Coastal Rights Network" in page


def test_load_demo_creates_the_demo_staff_login_only_in_development(settings):
    settings.DEBUG = False
    call_command("load_demo")
    assert not get_user_model().objects.filter(username=DEMO_STAFF_USERNAME).exists()

    settings.DEBUG = True
    call_command("load_demo")
    user = get_user_model().objects.get(username=DEMO_STAFF_USERNAME)
    assert user.is_staff


def test_generate_signatures_adds_confirmed_rows_and_counts_them():
    call_command("load_demo")
    appeal = Appeal.objects.get(slug=DEMO_SLUG)
    before = appeal.signature_count
    shown_before = appeal.signatures.confirmed().public().count()

    call_command("generate_signatures", DEMO_SLUG, "250")

    appeal.refresh_from_db()
    assert appeal.signature_count == before + 250
    assert appeal.signatures.confirmed().count() == before + 250
    assert appeal.signatures.confirmed().public().count() == shown_before + 225


def test_send_due_emails_sends_what_the_rows_owe(mailoutbox):
    appeal = make_appeal()
    owed = make_signature(appeal, status="pending", email="ann@example.org")
    Signature.objects.filter(pk=owed.pk).update(email_due="confirm")
    make_signature(appeal, status="pending", email="bob@example.org")  # Owed nothing.
    out = io.StringIO()

    call_command("send_due_emails", stdout=out)

    assert out.getvalue().strip() == "Emails sent: 1; failed: 0; still waiting: 0."
    assert [message.to for message in mailoutbox] == [["ann@example.org"]]
    assert Signature.objects.get(pk=owed.pk).email_due == ""


def test_mail_status_prints_the_queue_and_fails_when_mail_waits_too_long():
    waiting = OutgoingEmail.objects.create(kind="confirm", language="en")
    OutgoingEmail.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    out = io.StringIO()

    call_command("mail_status", stdout=out)

    assert "queued: 1\n" in out.getvalue()
    assert "oldest unsent email waiting for: 600 s" in out.getvalue()
    with pytest.raises(CommandError, match="waited 600 s"):
        call_command("mail_status", "--max-wait", "300", stdout=io.StringIO())


def test_the_daily_jobs_all_run_when_one_fails(monkeypatch):
    from appeals.management.commands import daily, purge_expired

    ran = []

    def broken(*args, **kwargs):
        raise RuntimeError("statement timeout")

    monkeypatch.setattr(purge_expired, "purge_expired", broken)
    real_call = daily.call_command

    def recorded(name, *args, **kwargs):
        ran.append(name)
        return real_call(name, *args, **kwargs)

    monkeypatch.setattr(daily, "call_command", recorded)

    with pytest.raises(CommandError, match="purge_expired"):
        call_command("daily", stdout=io.StringIO(), stderr=io.StringIO())

    assert ran == [job[0] for job in daily.JOBS]


def test_maintenance_pages_are_written_in_every_interface_language(settings, tmp_path):
    settings.SITE_NAME = "Stavrin <Rights>"

    call_command(
        "maintenance_pages", str(tmp_path / "maintenance"), stdout=io.StringIO()
    )

    def page(name):
        return (tmp_path / "maintenance" / f"{name}.html").read_text()

    english, ukrainian, russian, kazakh = page("en"), page("uk"), page("ru"), page("kk")
    assert '<html lang="en"' in english and "it may not have reached us" in english
    assert '<html lang="uk"' in ukrainian and "могла до нас не дійти" in ukrainian
    assert '<html lang="ru"' in russian and "Скоро вернёмся" in russian
    assert '<html lang="kk"' in kazakh and "Жақында қайта ораламыз" in kazakh
    assert 'href="/uk/"' in ukrainian  # Back to the appeals, in the same language.
    assert 'href="/kk/"' in kazakh
    assert page("default") == english  # For an address in a language not offered.
    assert "Stavrin &lt;Rights&gt;" in english
    assert "<script" not in english  # A plain page: nothing to run while we are down.
    assert not list((tmp_path / "maintenance").glob("*.partial"))


def test_the_maintenance_page_for_other_languages_is_in_the_default_one(
    settings, tmp_path
):
    settings.LANGUAGES = [("ru", "Russian"), ("en", "English")]
    settings.LANGUAGE_CODE = "ru"

    call_command("maintenance_pages", str(tmp_path), stdout=io.StringIO())

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "default.html",
        "en.html",
        "ru.html",
    ]
    assert '<html lang="ru"' in (tmp_path / "default.html").read_text()


def test_the_demos_signatures_without_a_comment_await_no_moderation():
    call_command("load_demo", stdout=None)

    states = set(
        Signature.objects.filter(comment="").values_list("comment_status", flat=True)
    )

    assert states == {Signature.CommentStatus.NONE}
    assert Signature.objects.filter(comment_status="approved").exclude(comment="")
    assert not Signature.objects.awaiting_moderation().exists()


def test_the_demos_crowd_signed_over_several_days_for_the_staff_chart():
    call_command("load_demo", stdout=None)

    days = {
        timezone.localdate(signed)
        for signed in Signature.objects.values_list("created_at", flat=True)
    }

    assert len(days) >= 4
