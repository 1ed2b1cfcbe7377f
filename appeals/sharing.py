"""Share links as plain URLs: no third-party script or button is ever loaded.

Mastodon has no one address to share to: each reader has their own server. Rather
than a third-party site that asks for it (and sees what is shared, and by whom), a
small form of ours asks, and our page leads on to that server.
"""

import re
from urllib.parse import quote, urlencode

from django.utils.translation import gettext as _

# A server's host name as a reader types it: letters, digits, dots and dashes,
# with a dot (no scheme, port, path, user or address on this network).
MASTODON_SERVER = re.compile(
    r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE
)


def share_links(*, url: str, title: str) -> list[tuple[str, str]]:
    """Return (label, href) pairs for sharing a page."""
    text = f"{title} {url}"
    return [
        # mailto: wants %20 for spaces, not "+".
        (
            _("Email"),
            "mailto:?" + urlencode({"subject": title, "body": url}, quote_via=quote),
        ),
        (
            "Telegram",
            "https://t.me/share/url?" + urlencode({"url": url, "text": title}),
        ),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": text})),
        ("X", "https://x.com/intent/post?" + urlencode({"text": title, "url": url})),
        (
            "Facebook",
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        ),
        ("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": text})),
    ]


def mastodon_server(typed: str) -> str | None:
    """The host name of the Mastodon server a reader typed, or None if it is not one.

    Accepts what people paste: "mastodon.social", "@ann@mastodon.social",
    "https://mastodon.social/".
    """
    server = typed.strip().lower().removeprefix("https://").removeprefix("http://")
    server = server.rsplit("@", 1)[-1].rstrip("/")
    return server if MASTODON_SERVER.fullmatch(server) else None


def mastodon_share_url(server: str, *, url: str, title: str) -> str:
    """The server's own page for writing a post with the appeal in it."""
    return f"https://{server}/share?" + urlencode({"text": f"{title} {url}"})
