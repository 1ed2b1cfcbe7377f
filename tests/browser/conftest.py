"""Browser tests: Playwright driving Debian's Chromium against the live test server.

Locally they are skipped, with the reason, when /usr/bin/chromium is missing; under
CI (CI=true) a missing Chromium fails the run instead. No browser is ever
downloaded: `playwright install` cannot reach its servers here.
"""

import os
import shutil
from pathlib import Path

import pytest

# The live server runs in a thread beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(
            f"CI needs Chromium at {CHROMIUM} for the browser tests: "
            "apt-get install chromium"
        )
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(autouse=True)
def _browser_settings(settings, live_server):
    settings.SITE_URL = live_server.url
    settings.STAFF_2FA_REQUIRED = False


@pytest.fixture
def requests_seen(page):
    """Every URL the page asks for, to prove none leaves this machine."""
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str, target=None):
        (target or page).screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return take


def assert_local_only(urls, live_server):
    outside = [
        url
        for url in urls
        if not url.startswith((live_server.url, "data:", "about:", "blob:"))
    ]
    assert outside == [], outside
