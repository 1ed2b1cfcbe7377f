"""Share cards: a 1200×630 PNG with the site's name, the title, the organizations
and the count, which has room around it in its band (previews lay their own text
and rounded corners over a card's edges).

Drawn on our server with a bundled font (DejaVu Sans, which covers Latin and
Cyrillic), cached until the appeal or its count changes.
"""

import hashlib
import io
from pathlib import Path

from django.conf import settings
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
BAND_HEIGHT = 150
# Part of each key: cards drawn by an older release are drawn again.
CARD_FORMAT = 2


def card_png(appeal: Appeal) -> bytes:
    """Return the card, from the cache unless the appeal or its count changed."""
    original = appeal.original
    key = (
        f"appeals:card:{CARD_FORMAT}:{appeal.pk}:{appeal.updated_at.timestamp()}:"
        f"{original.signature_count}"
    )
    png = cache.get(key)
    if png is None:
        png = render_card(appeal)
        cache.set(key, png, CACHE_SECONDS)
    return png


def site_card_png(description: str) -> bytes:
    """Return the home page's card: the site's name and what it is for."""
    words = hashlib.sha256(f"{settings.SITE_NAME}\n{description}".encode())
    key = f"appeals:site-card:{CARD_FORMAT}:{words.hexdigest()[:32]}"
    png = cache.get(key)
    if png is None:
        png = render_site_card(description)
        cache.set(key, png, CACHE_SECONDS)
    return png


def render_site_card(description: str) -> bytes:
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    y = 170
    for line in wrap(settings.SITE_NAME, _bold(72), width, max_lines=2):
        draw.text((MARGIN, y), line, font=_bold(72), fill=TEXT)
        y += 88
    regular = ImageFont.truetype(FONTS / "DejaVuSans.ttf", 36)
    for line in wrap(description, regular, width, max_lines=3):
        draw.text((MARGIN, y + 24), line, font=regular, fill=TEXT)
        y += 48
    draw.rectangle((0, SIZE[1] - 24, SIZE[0], SIZE[1]), fill=ACCENT)
    return _png(image)


def render_card(appeal: Appeal) -> bytes:
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    regular = ImageFont.truetype(FONTS / "DejaVuSans.ttf", 32)
    width = SIZE[0] - 2 * MARGIN
    band_top = SIZE[1] - BAND_HEIGHT

    draw.text((MARGIN, 48), settings.SITE_NAME, font=regular, fill=ACCENT)
    # A long title in smaller type, so that it and the authors end above the band.
    size, line_height, max_lines = 60, 74, 3
    title = wrap(appeal.title, _bold(size), width, max_lines=max_lines + 1)
    if len(title) > max_lines:
        size, line_height, max_lines = 50, 62, 4
        title = wrap(appeal.title, _bold(size), width, max_lines=max_lines)
    y = 110
    for line in title:
        draw.text((MARGIN, y), line, font=_bold(size), fill=TEXT)
        y += line_height
    authors = ", ".join(organization.name for organization in appeal.ordered_authors)
    for line in wrap(authors, regular, width, max_lines=2):
        draw.text((MARGIN, y + 20), line, font=regular, fill=TEXT)
        y += 42

    count = appeal.original.signature_count
    with translation.override(appeal.language):
        label = ngettext("%(count)s signature", "%(count)s signatures", count) % {
            "count": number_format(count, force_grouping=True)
        }
    draw.rectangle((0, band_top, SIZE[0], SIZE[1]), fill=ACCENT)
    draw.text(
        (MARGIN, band_top + BAND_HEIGHT // 2),
        label,
        font=_bold(60),
        fill=BACKGROUND,
        anchor="lm",  # Its middle on the band's: as much room under it as over.
    )

    return _png(image)


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _bold(size: int):
    return ImageFont.truetype(FONTS / "DejaVuSans-Bold.ttf", size)


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
