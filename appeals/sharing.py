"""Share links as plain URLs: no third-party script or button is ever loaded."""

from urllib.parse import quote, urlencode

from django.utils.translation import gettext as _


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
        (
            "Mastodon",
            "https://mastodonshare.com/?" + urlencode({"text": title, "url": url}),
        ),
    ]
