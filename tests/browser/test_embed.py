"""The embed code, pasted into another site's page, as a browser draws it."""

import html
import re

import pytest

from tests.factories import make_appeal

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_embed_code_shows_the_counter_without_a_border(page, live_server):
    appeal = make_appeal(slug="let-journalists-in", title="Let journalists in")
    page.goto(f"{live_server.url}{appeal.get_absolute_url()}")
    code = html.unescape(page.locator("#embed-code").input_value())
    assert re.fullmatch(r"<iframe [^>]+></iframe>", code)

    page.set_content(f"<!doctype html><title>Another site</title>{code}")

    frame = page.locator("iframe")
    assert frame.evaluate("e => getComputedStyle(e).borderTopWidth") == "0px"
    counter = page.frame_locator("iframe").get_by_text("Let journalists in")
    assert counter.is_visible()
