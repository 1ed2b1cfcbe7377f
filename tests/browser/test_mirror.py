"""The static copy (appeals.mirror) in Chromium, served from a host of its own
under a path prefix, as a bucket or GitHub Pages would serve it."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.test_mirror import export, pages_of, served

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_page_of_the_copy_loads_from_the_copys_host_alone(page, tmp_path):
    call_command("load_demo", stdout=None)
    copy = export(tmp_path / "some" / "prefix")
    requested, failed = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on(
        "response",
        lambda response: response.status >= 400 and failed.append(response.url),
    )

    with served(tmp_path) as host:
        base = f"{host}some/prefix/"
        for file in pages_of(copy):
            page.goto(base + file.relative_to(copy).as_posix())
            expect(page.locator(".mirror-notice")).to_be_visible()
            # The stylesheet arrived and applies: the skip link is out of sight.
            assert (
                page.locator(".skip-link").evaluate(
                    "link => getComputedStyle(link).position"
                )
                == "absolute"
            )

        assert len({url for url in requested if url.endswith(".html")}) > 10
        assert [url for url in requested if not url.startswith((base, "data:"))] == []
        assert failed == []


def test_a_reader_of_the_copy_moves_between_its_pages(page, tmp_path, live_server):
    call_command("load_demo", stdout=None)
    copy = export(tmp_path / "mirror")

    with served(copy) as base:
        page.goto(base)
        page.get_by_role("link", name="Let journalists into Stavrin").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Stavrin")
        page.get_by_role("link", name="See all signatories").click()
        expect(page.get_by_role("heading", name="Signatories")).to_be_visible()
        page.get_by_role("link", name="Українська").click()
        expect(page.locator("html")).to_have_attribute("lang", "uk")
        assert page.url.startswith(base)
        page.locator(".lead a").click()  # Back to the appeal, now in Ukrainian.
        live_page = re.escape(f"{live_server.url}/uk/appeals/")
        expect(page.locator(".sign-box a.btn-primary")).to_have_attribute(
            "href", re.compile(f"^{live_page}[a-z-]+/#sign$")
        )
