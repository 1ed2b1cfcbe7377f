"""Spam waves: traps and limits quarantine silently; staff pause and clean up."""

import pytest
from django.test import Client
from django.urls import reverse

from appeals.antispam import Limit, within_limits
from appeals.models import Appeal, Signature, SiteSettings
from appeals.services.counting import fold_signature_counts
from tests.factories import form_shown, make_appeal, make_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def appeal():
    return make_appeal()


def sign(client, appeal, email, **overrides):
    data = {
        "full_name": "Ann Lee",
        "email": email,
        "country": "UA",
        "visibility": "public",
        **form_shown(),
        **overrides,
    }
    response = client.post(reverse("appeals:sign", kwargs={"slug": appeal.slug}), data)
    page = (
        client.get(response.headers["Location"])
        if response.status_code == 302
        else None
    )
    return response, page


def status_of(email):
    return Signature.objects.get(email_normalized=email)


@pytest.mark.parametrize(
    ("traps", "reason"),
    [
        (lambda: {"homepage": "http://spam.example"}, "honeypot filled"),
        (lambda: form_shown(seconds_ago=0), "sent faster than a person types"),
        (lambda: {"rendered_at": ""}, "form time missing or forged"),
        (lambda: {"rendered_at": "form:forged:x"}, "form time missing or forged"),
        (lambda: form_shown(seconds_ago=3 * 60 * 60), "form time too old"),
    ],
    ids=["honeypot", "too-fast", "missing-time", "forged-time", "harvested-time"],
)
def test_traps_quarantine_silently_with_the_normal_answer(
    client, appeal, mailoutbox, traps, reason
):
    normal_response, normal_page = sign(client, appeal, "person@example.org")
    mailoutbox.clear()

    response, page = sign(client, appeal, "bot@example.org", **traps())

    assert response.status_code == 302
    assert response.headers["Location"] == normal_response.headers["Location"]
    assert page.status_code == normal_page.status_code == 200
    signature = status_of("bot@example.org")
    assert signature.status == Signature.Status.QUARANTINED
    assert reason in signature.quarantine_reason
    assert mailoutbox == []


@pytest.mark.usefixtures("shared_cache", "three_a_minute_per_client")
def test_a_burst_from_one_address_is_quarantined_another_client_is_not(appeal):
    bot = Client(REMOTE_ADDR="198.51.100.7")
    for number in range(5):
        sign(bot, appeal, f"bot{number}@example.org")

    sign(Client(REMOTE_ADDR="198.51.100.8"), appeal, "human@example.org")

    statuses = [status_of(f"bot{n}@example.org").status for n in range(5)]
    assert statuses == ["pending"] * 3 + ["quarantined"] * 2
    assert "ip_burst" in status_of("bot4@example.org").quarantine_reason
    assert status_of("human@example.org").status == "pending"


@pytest.mark.usefixtures("shared_cache")
def test_repeat_submissions_of_a_signed_address_count_against_the_limit(
    appeal, settings, mailoutbox
):
    settings.SIGNING_RATE_LIMITS = {**settings.SIGNING_RATE_LIMITS, "ip_burst": (2, 60)}
    bot = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        response, _page = sign(bot, appeal, "ann@example.org")
        assert response.status_code == 302

    # The third went past the limit: no email, though the address may get three.
    assert len(mailoutbox) == 2
    assert status_of("ann@example.org").status == "pending"


@pytest.mark.usefixtures("shared_cache", "three_a_minute_per_client")
@pytest.mark.parametrize("proxies", [0, 1])
def test_a_forged_forwarded_for_header_does_not_get_around_the_limit(
    appeal, settings, proxies
):
    settings.TRUSTED_PROXY_COUNT = proxies
    for number in range(5):
        # The client invents a new address each time; with one trusted proxy, that
        # proxy appends the address it really saw.
        forged = f"203.0.113.{number}"
        header = forged if proxies == 0 else f"{forged}, 198.51.100.7"
        client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=header)
        sign(client, appeal, f"bot{number}@example.org")

    assert Signature.objects.filter(status="quarantined").count() == 2


@pytest.mark.usefixtures("shared_cache")
def test_a_flood_from_one_email_domain_is_quarantined(appeal, settings):
    settings.SIGNING_RATE_LIMITS = {
        **settings.SIGNING_RATE_LIMITS,
        "email_domain": (2, 3600),
    }
    for number in range(3):
        sign(
            Client(REMOTE_ADDR=f"198.51.100.{number}"),
            appeal,
            f"x{number}@spam.example",
        )
        sign(Client(REMOTE_ADDR=f"198.51.101.{number}"), appeal, f"y{number}@gmail.com")

    assert status_of("x2@spam.example").status == "quarantined"
    assert "email_domain" in status_of("x2@spam.example").quarantine_reason
    assert not Signature.objects.filter(
        email_normalized__endswith="gmail.com", status="quarantined"
    ).exists()


def test_quarantined_signatures_are_not_counted_until_released(appeal, mailoutbox):
    staff = staff_client()
    sign(Client(), appeal, "bot@example.org", homepage="x")
    signature = status_of("bot@example.org")
    fold_signature_counts()
    appeal.refresh_from_db()
    assert appeal.signature_count == 0

    staff.post(
        reverse("admin:appeals_signature_changelist"),
        {"action": "release", "_selected_action": [signature.pk]},
    )

    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING
    assert [message.to for message in mailoutbox] == [["bot@example.org"]]

    quarantine = staff.get(
        reverse("admin:appeals_signature_changelist") + "?status__exact=quarantined"
    )
    assert quarantine.status_code == 200


def staff_client():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("boss", password="x" * 20)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("switch", ["appeal", "site"])
def test_pausing_stops_signing_and_says_so(client, appeal, switch):
    if switch == "appeal":
        Appeal.objects.filter(pk=appeal.pk).update(is_signing_paused=True)
    else:
        staff = staff_client()
        settings_row = SiteSettings.current()
        staff.post(
            reverse("admin:appeals_sitesettings_change", args=[settings_row.pk]),
            {"is_signing_paused": "on"},
        )

    page = client.get(appeal.get_absolute_url()).content.decode()
    assert "Signing is paused" in page
    assert 'name="full_name"' not in page
    response, _page = sign(client, appeal, "ann@example.org")
    assert response.status_code == 403
    assert "Signing is paused" in response.content.decode()
    assert not Signature.objects.exists()


def test_reject_by_pattern_previews_exactly_what_it_rejects(appeal):
    staff = staff_client()
    wave = [
        make_signature(appeal, email=f"bot{n}@spam.example", status="pending")
        for n in range(4)
    ]
    make_signature(appeal, email="real@spam.example.org")
    make_signature(appeal, email="person@example.org")
    url = reverse("admin:appeals_signature_reject_by_pattern")

    preview = staff.post(url, {"email_domain": "spam.example", "preview": "1"})
    assert preview.context["count"] == 4
    assert set(preview.context["sample"]) == set(wave)
    assert Signature.objects.filter(status="rejected").count() == 0

    make_signature(appeal, email="late@spam.example", status="pending")
    changed = staff.post(
        url, {"email_domain": "spam.example", "expected_count": 4, "reject": "1"}
    )
    assert "changed since the preview" in changed.content.decode()
    assert Signature.objects.filter(status="rejected").count() == 0

    staff.post(
        url, {"email_domain": "spam.example", "expected_count": 5, "reject": "1"}
    )
    rejected = set(Signature.objects.filter(status="rejected"))
    assert {s.email_normalized for s in rejected} == {
        *(f"bot{n}@spam.example" for n in range(4)),
        "late@spam.example",
    }


def test_reject_by_pattern_needs_a_criterion(appeal):
    response = staff_client().post(
        reverse("admin:appeals_signature_reject_by_pattern"), {"preview": "1"}
    )

    assert "Give at least one criterion." in response.content.decode()


def test_rate_counters_in_redis_move_together_and_expire_with_their_window(
    redis_cache,
):
    burst, day = Limit("burst", 2, 60), Limit("day", 100, 86400)
    checks = [(burst, ("appeal:1", "abc")), (day, ("appeal:1", "abc"))]

    answers = [within_limits(checks) for _ in range(3)]

    assert answers == [[True, True], [True, True], [False, True]]
    server = redis_cache._cache.get_client()
    ttls = sorted(
        server.ttl(key) for key in server.scan_iter(match=f"{redis_cache.key_prefix}:*")
    )
    assert len(ttls) == 2
    assert 0 < ttls[0] <= 61
    assert 60 < ttls[1] <= 86401


# --- One mailbox, one domain, one form time ----------------------------------


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("ann@example.org", "ann@example.org"),
        ("ann+appeal7@example.org", "ann@example.org"),
        ("a.n.n+x@gmail.com", "ann@gmail.com"),
        ("ann@googlemail.com", "ann@gmail.com"),
        ("a.nn@example.org", "a.nn@example.org"),  # Dots matter elsewhere.
    ],
)
def test_addresses_that_reach_one_person_count_as_one_mailbox(address, mailbox):
    from appeals.antispam import mailbox as mailbox_of

    assert mailbox_of(address) == mailbox


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [
        ("a.spam.org", "spam.org"),
        ("mail.example.co.uk", "example.co.uk"),
        ("someone.github.io", "someone.github.io"),
        ("localhost", "localhost"),
    ],
)
def test_subdomains_count_as_the_domain_one_registers(domain, registrable):
    from appeals.antispam import registrable_domain

    assert registrable_domain(domain) == registrable


def mailer_pass():
    from appeals.mail.mailer import send_queued

    return send_queued()


def test_tagged_addresses_cannot_fill_one_inbox(appeal, mailoutbox, database_queue):
    for number in range(8):
        client = Client(REMOTE_ADDR=f"192.0.2.{number + 1}")
        sign(client, appeal, f"victim+{number}@gmail.com")
    sign(Client(REMOTE_ADDR="192.0.2.99"), appeal, "v.i.c.t.i.m@gmail.com")

    mailer_pass()

    assert len(mailoutbox) == 3
    quarantined = Signature.objects.filter(status=Signature.Status.QUARANTINED)
    assert quarantined.count() == 6
    assert all("mailbox" in row.quarantine_reason for row in quarantined)


def test_tagged_addresses_cannot_fill_one_inbox_with_data_links(mailoutbox):
    for number in range(10):
        Client(REMOTE_ADDR=f"192.0.2.{number + 1}").post(
            reverse("appeals:my_data_request"),
            {"email": f"victim+{number}@gmail.com", **form_shown()},
        )

    assert len(mailoutbox) == 3


def test_one_client_cannot_ask_for_data_links_without_limit(mailoutbox, settings):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for number in range(15):
        client.post(
            reverse("appeals:my_data_request"),
            {"email": f"person{number}@gmail.com", **form_shown(60 + number)},
        )

    limit = settings.SIGNING_RATE_LIMITS["ip_burst"][0]
    assert len(mailoutbox) == limit


def test_subdomains_share_their_domains_limit(appeal, settings, database_queue):
    settings.SIGNING_RATE_LIMITS = {
        **settings.SIGNING_RATE_LIMITS,
        "email_domain": (3, 60 * 60),
    }
    for number, host in enumerate(["a", "b", "c", "d", "e"]):
        client = Client(REMOTE_ADDR=f"192.0.2.{number + 1}")
        sign(client, appeal, f"bot{number}@{host}.spam.org")

    mailer_pass()

    quarantined = Signature.objects.filter(status=Signature.Status.QUARANTINED)
    assert quarantined.count() == 2
    assert all("email_domain" in row.quarantine_reason for row in quarantined)


def test_one_form_time_serves_a_handful_of_submissions_not_hundreds(
    appeal, settings, database_queue
):
    settings.SIGNING_RATE_LIMITS = {
        **settings.SIGNING_RATE_LIMITS,
        "ip_burst": (100, 60),
        "ip_sustained": (100, 60 * 60),
    }
    client = Client(REMOTE_ADDR="198.51.100.7")
    harvested = form_shown(seconds_ago=60)
    for number in range(13):
        sign(client, appeal, f"person{number}@gmail.com", **harvested)

    mailer_pass()

    quarantined = Signature.objects.filter(status=Signature.Status.QUARANTINED)
    assert quarantined.count() == 3
    assert all("form_time" in row.quarantine_reason for row in quarantined)
