"""schema.org data about an appeal, for search engines and link previews.

A `<script type="application/ld+json">` is data, not script: browsers run none of
it and the Content-Security-Policy does not apply to it. Only `</script>` (or
`<!--`) inside it could end it early, so `<`, `>` and `&` are written as JSON
escapes, as Django's json_script does for its own type.
"""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from appeals.links import absolute_url
from appeals.models import Appeal

ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def appeal_data(appeal: Appeal, *, image_url: str) -> dict:
    """The appeal as a schema.org Article: its letter, authors and signatures."""
    original = appeal.original
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": appeal.title,
        "description": appeal.summary,
        "url": appeal.canonical_url,
        "mainEntityOfPage": appeal.canonical_url,
        "inLanguage": appeal.language,
        "datePublished": appeal.published_at,
        "dateModified": appeal.last_changed_at,
        "image": image_url,
        "author": [
            {"@type": "Organization", "name": organization.name}
            | ({"url": organization.website} if organization.website else {})
            for organization in appeal.ordered_authors
        ],
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": absolute_url("/"),
        },
        # Each signature endorses the letter.
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": "https://schema.org/EndorseAction",
            "userInteractionCount": original.signature_count,
        },
    }
    if original.closes_at:
        data["expires"] = original.closes_at
    return data


def ld_json(data: dict) -> SafeString:
    """Return a script element of JSON-LD that nothing inside can end early."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(ESCAPES)),
    )
