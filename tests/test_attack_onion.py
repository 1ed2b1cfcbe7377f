"""Attacks on the onion service's settings and client identity."""

import pytest

from tests.test_settings import start_django

ONION = "h6qrh7ack5bmrjurqo6dtte37ud3g6mqgty7jttmcinms3377ortxuad.onion"


@pytest.mark.parametrize(
    "value",
    [
        f"http://{ONION}\n",
        f"http://{ONION[:20]}\t{ONION[20:]}",
        f" http://{ONION}",
        f"http://{ONION}?from=onion",
        f"http://{ONION}#top",
        f"http://{ONION}\r\nSet-Cookie: a=b",
    ],
    ids=["newline", "tab", "leading-space", "query", "fragment", "header-split"],
)
def test_start_up_refuses_an_onion_url_with_more_than_its_address(value):
    result = start_django(DJANGO_DEBUG="1", ONION_URL=value)

    assert result.returncode != 0
    assert "ONION_URL must be" in result.stderr


def test_start_up_takes_the_onion_url_tor_wrote_with_or_without_its_slash():
    result = start_django(
        "from django.conf import settings; print(settings.ONION_URL)",
        DJANGO_DEBUG="1",
        ONION_URL=f"http://{ONION}/",
    )

    assert result.stdout.strip() == f"http://{ONION}", result.stderr
