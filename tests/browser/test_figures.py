"""The signatories page's figures in a real browser: seen, read aloud, allowed."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE
from tests.factories import make_appeal, make_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signatories_url(live_server):
    appeal = make_appeal(slug="let-journalists-in", title="Let journalists in")
    for country, number in [("UA", 12), ("PL", 6), ("BY", 2), ("GE", 1)]:
        for _ in range(number):
            make_signature(appeal, country=country)
    return f"{live_server.url}/en/appeals/let-journalists-in/signatures/"


def test_the_charts_are_drawn_under_our_csp_and_named_for_screen_readers(
    page, signatories_url
):
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto(signatories_url)

    chart = page.get_by_role("img", name="The 2 countries with the most signatures")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 50
    expect(page.get_by_role("img", name="New signatures each day")).to_be_visible()
    page.get_by_text("The countries as a table").click()
    table = page.get_by_role("table", name="Signatures by country")
    expect(table.get_by_role("row", name="Ukraine 12")).to_be_visible()
    expect(table.get_by_role("row", name="Belarus fewer than 5")).to_be_visible()
    assert blocked == []


def test_the_figures_have_no_serious_accessibility_violations(browser, signatories_url):
    # axe is injected into the page, which our Content-Security-Policy would block.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(signatories_url)
    for summary in page.locator("summary").all():
        summary.click()  # The tables too.
    page.add_script_tag(path=str(AXE))

    result = page.evaluate("async () => await axe.run()")

    serious = [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])})"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []
    context.close()
