"""The appeal page on a throttled connection: light, and a letter even unstyled.

The weight is counted as bench/run.py's `page_weight` counts it: the gzipped HTML
plus each stylesheet and script the page references, gzipped one by one.
"""

import gzip
import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from appeals.management.commands.load_demo import DEMO_SLUG
from appeals.models import Appeal

pytestmark = pytest.mark.django_db

# The first load's budget (issue #22; README, "Performance").
PAGE_WEIGHT_LIMIT_KB = 25
# Bootstrap classes that hide their element until a script or a breakpoint shows it.
HIDING_CLASSES = {"d-none", "collapse", "fade", "invisible", "visually-hidden"}


@pytest.fixture
def demo_page(client, settings):
    """The demo appeal's page, the one `make bench` weighs: its HTML as bytes."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    call_command("load_demo", stdout=None)
    response = client.get(Appeal.objects.get(slug=DEMO_SLUG).get_absolute_url())
    assert response.status_code == 200
    return response.content


def static_file(url: str, static_url: str) -> bytes:
    """The bytes of a static file the page references, read from the static dirs."""
    assert url.startswith(static_url), f"{url} is not a static file of ours"
    path = finders.find(url.removeprefix(static_url))
    assert path, f"{url} is referenced by the page but is not in the static dirs"
    with open(path, "rb") as file:
        return file.read()


def test_the_appeal_page_with_its_css_and_js_weighs_at_most_25_kb_compressed(
    demo_page, settings
):
    assets = re.findall(rb'(?:href|src)="([^"]+\.(?:css|js))"', demo_page)
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    sizes = {
        asset.decode(): len(gzip.compress(static_file(asset.decode(), static_url)))
        for asset in assets
    }
    total = len(gzip.compress(demo_page)) + sum(sizes.values())

    assert any(asset.endswith(".css") for asset in sizes)
    assert total <= PAGE_WEIGHT_LIMIT_KB * 1024, (
        f"{total / 1024:.1f} KB compressed: HTML {len(gzip.compress(demo_page))} "
        f"bytes, {sizes}"
    )


class OpenElements(HTMLParser):
    """Where the letter and the sign form start, and what would hide them."""

    VOID = {"br", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack = []
        self.positions = {}
        self.hidden_by = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        hiders = classes & HIDING_CLASSES | ({"hidden"} & attrs.keys())
        enclosing = [*self.stack, (tag, hiders)]
        for mark in ("appeal-body", "sign-box"):
            if mark in classes:
                self.positions[mark] = self.getpos()
                self.hidden_by[mark] = set().union(*(each for _, each in enclosing))
        if tag not in self.VOID:
            self.stack.append((tag, hiders))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def test_the_letter_comes_before_the_sign_form_and_nothing_hides_either(demo_page):
    """Unstyled (before the CSS arrives) the page reads top to bottom: the letter,
    then the form; neither sits inside something hidden until CSS or a script shows
    it."""
    elements = OpenElements()
    elements.feed(demo_page.decode())

    assert elements.positions["appeal-body"] < elements.positions["sign-box"]
    assert elements.hidden_by == {"appeal-body": set(), "sign-box": set()}
