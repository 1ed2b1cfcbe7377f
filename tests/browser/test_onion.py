"""Signing through the onion address at Tor Browser's "Safest" level: no JavaScript."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from appeals.models import Signature
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.browser.test_journeys import fill_sign_form
from tests.factories import make_appeal
from tests.test_onion import ONION

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def appeal():
    return make_appeal(title="Let journalists into Stavrin")


@pytest.fixture
def onion_browser(browser_type):
    """Chromium that finds the onion host on this machine, as Tor Browser finds it."""
    browser = browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {ONION} 127.0.0.1"],
    )
    yield browser
    browser.close()


def test_a_signer_on_the_onion_with_javascript_off_signs(
    onion_browser,
    live_server,
    appeal,
    settings,
    mailoutbox,
):
    port = urlsplit(live_server.url).port
    onion_url = f"http://{ONION}:{port}"
    settings.ONION_URL = onion_url
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, f"{ONION}"]
    settings.CSRF_TRUSTED_ORIGINS = [onion_url]
    context = onion_browser.new_context(java_script_enabled=False)
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))

    page.goto(f"{onion_url}/en/appeals/{appeal.slug}/")
    fill_sign_form(page, email="onion-reader@example.org")
    page.get_by_role("button", name="Sign", exact=True).click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert urlsplit(page.url).hostname == ONION
    assert hosts == {ONION}  # Nothing fetched from anywhere else.
    assert Signature.objects.get(email="onion-reader@example.org").status == "pending"
    context.close()
