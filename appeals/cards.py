"""Share cards: a 1200×630 PNG with the title, the organizations and the count.

Drawn on our server with a bundled font (DejaVu Sans, which covers Latin and
Cyrillic), cached until the appeal or its count changes.
"""

import io
from pathlib import Path

from django.core.cache import cache
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import ngettext
from PIL import Image, ImageDraw, ImageFont

from appeals.models import Appeal

SIZE = (1200, 630)
MARGIN = 70
FONTS = Path(__file__).resolve().parent / "fonts"
BACKGROUND = (16, 42, 67)
TEXT = (255, 255, 255)
ACCENT = (255, 205, 86)
CACHE_SECONDS = 24 * 60 * 60


def card_png(appeal: Appeal) -> bytes:
    """Return the card, from the cache unless the appeal or its count changed."""
    original = appeal.original
    key = (
        f"appeals:card:{appeal.pk}:{appeal.updated_at.timestamp()}:"
        f"{original.signature_count}"
    )
    png = cache.get(key)
    if png is None:
        png = render_card(appeal)
        cache.set(key, png, CACHE_SECONDS)
    return png


def render_card(appeal: Appeal) -> bytes:
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    bold = ImageFont.truetype(FONTS / "DejaVuSans-Bold.ttf", 60)
    regular = ImageFont.truetype(FONTS / "DejaVuSans.ttf", 32)
    width = SIZE[0] - 2 * MARGIN

    y = MARGIN
    for line in wrap(appeal.title, bold, width, max_lines=4):
        draw.text((MARGIN, y), line, font=bold, fill=TEXT)
        y += 74
    authors = ", ".join(organization.name for organization in appeal.ordered_authors)
    for line in wrap(authors, regular, width, max_lines=2):
        draw.text((MARGIN, y + 20), line, font=regular, fill=TEXT)
        y += 42

    count = appeal.original.signature_count
    with translation.override(appeal.language):
        label = ngettext("%(count)s signature", "%(count)s signatures", count) % {
            "count": number_format(count, force_grouping=True)
        }
    draw.rectangle((0, SIZE[1] - 110, SIZE[0], SIZE[1]), fill=ACCENT)
    draw.text((MARGIN, SIZE[1] - 85), label, font=bold, fill=BACKGROUND)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def wrap(text: str, font, width: int, *, max_lines: int) -> list[str]:
    """Split text into lines that fit `width`, ending with … if it is cut short."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and font.getlength(lines[-1] + "…") > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines
