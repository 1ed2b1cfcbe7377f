"""Signature exports for delivery: streamed CSV, safe to open in a spreadsheet.

The delivery list names only signers who chose to be shown; the others appear as a
count. Its bytes are deterministic, so the SHA-256 digest printed on the delivery
document matches the CSV file the addressee receives.
"""

import hashlib
import html
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import translation
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from appeals import stats
from appeals.models import Appeal, Signature
from appealsite.spreadsheets import BOM, csv_bytes, csv_line_encoder

ITERATOR_CHUNK = 2000


def public_signatures(appeal: Appeal):
    return (
        appeal.signatures.confirmed()
        .public()
        .order_by("pk")
        .values_list("full_name", "city", "country", "affiliation", "created_at")
    )


def cosignatures(appeal: Appeal):
    return (
        appeal.organization_signatures.public()
        .order_by("pk")
        .values_list("organization_name", "website", "country", "created_at")
    )


def hidden_signature_count(appeal: Appeal) -> int:
    return (
        appeal.signatures.confirmed()
        .filter(visibility=Signature.Visibility.COUNTED)
        .count()
    )


@dataclass
class CountryCount:
    name: str
    count: int

    @property
    def is_few(self) -> bool:
        return self.count < stats.SMALLEST_SHOWN


def signatures_by_country(appeal: Appeal) -> list[CountryCount]:
    """Confirmed signatures per country, most first, in the appeal's language.

    Stricter than the public figures (appeals.stats): the countries with only a
    few are never named to the addressee, who could otherwise tell who, of a
    handful, signed; they are counted together under "Other countries".
    """
    counts = sorted(
        stats.confirmed_by_country(appeal).items(),
        key=lambda item: (-item[1], item[0]),
    )
    with translation.override(appeal.language):
        names = dict(countries)
        named = [
            CountryCount(name=names.get(code, code), count=count)
            for code, count in counts
            if count >= stats.SMALLEST_SHOWN
        ]
        others = sum(count for _code, count in counts if count < stats.SMALLEST_SHOWN)
        if others:
            named.append(CountryCount(name=_("Other countries"), count=others))
    return named


def delivery_rows(appeal: Appeal) -> Iterator[list]:
    """Rows of the delivery list: people shown by name, organizations, the rest.

    Written in the appeal's language, whoever exports it, so the file (and its
    digest) is the same for everyone.
    """
    for _kind, row in _delivery_rows(appeal):
        yield row


def _delivery_rows(appeal: Appeal) -> Iterator[tuple[str, list]]:
    """(kind, row) pairs, kind one of "header", "person", "organization", "others"."""
    with translation.override(appeal.language):
        # Looked up once: for a million rows, asking each time took most of the time.
        country_names = dict(countries)
        zone = get_current_timezone()
        yield (
            "header",
            [
                _("kind"),
                _("name"),
                _("city"),
                _("country"),
                _("affiliation or website"),
                _("signed on"),
            ],
        )
        person, organization = _("person"), _("organization")
        people = public_signatures(appeal).iterator(chunk_size=ITERATOR_CHUNK)
        for name, city, country, affiliation, signed_at in people:
            yield (
                "person",
                [
                    person,
                    name,
                    city,
                    country_names.get(country, ""),
                    affiliation,
                    signed_at.astimezone(zone).date(),
                ],
            )
        for name, website, country, signed_at in cosignatures(appeal):
            yield (
                "organization",
                [
                    organization,
                    name,
                    "",
                    country_names.get(country, ""),
                    website,
                    signed_at.astimezone(zone).date(),
                ],
            )
        hidden = hidden_signature_count(appeal)
        if hidden:
            not_named = ngettext(
                "%(count)d more person who asked not to be named",
                "%(count)d more people who asked not to be named",
                hidden,
            ) % {"count": hidden}
            yield "others", [_("not named"), not_named, "", "", "", ""]


def email_rows(appeal: Appeal) -> Iterator[list]:
    """Rows of the internal list with emails: every confirmed signature."""
    yield [
        _("name"),
        _("email"),
        _("city"),
        _("country"),
        _("affiliation"),
        _("shown publicly"),
        _("newsletter consent"),
        _("signed on"),
    ]
    zone = get_current_timezone()
    rows = (
        appeal.signatures.confirmed()
        .order_by("pk")
        .values_list(
            "full_name",
            "email",
            "city",
            "country",
            "affiliation",
            "visibility",
            "has_newsletter_consent",
            "created_at",
        )
        .iterator(chunk_size=ITERATOR_CHUNK)
    )
    yes, no = _("yes"), _("no")
    for name, email, city, country, affiliation, visibility, newsletter, at in rows:
        yield [
            name,
            email,
            city,
            country,
            affiliation,
            yes if visibility == Signature.Visibility.PUBLIC else no,
            yes if newsletter else no,
            at.astimezone(zone).date(),
        ]


def delivery_digest(appeal: Appeal) -> str:
    """Return the SHA-256 of the delivery CSV, as the addressee can recompute it."""
    digest = hashlib.sha256()
    for chunk in csv_bytes(delivery_rows(appeal)):
        digest.update(chunk)
    return digest.hexdigest()


# Where the printable document's rendered template takes the names and the digest.
NAMES_PLACEHOLDER = "<!-- the names -->"
DIGEST_PLACEHOLDER = "__delivery_csv_digest__"
NAMES_PER_CHUNK = 2000


def delivery_document(appeal: Appeal, rendered: str) -> Iterator[str]:
    """Stream the printable document: the names are read once, with the digest.

    `rendered` is the document's template with both placeholders. The names go out
    as they are read, each escaped, and the digest of the CSV (computed from the
    same rows) ends the document: a million signatures take one pass and little
    memory.
    """
    head, tail = rendered.split(NAMES_PLACEHOLDER)
    yield head
    encode, digest, names = csv_line_encoder(), hashlib.sha256(BOM), []
    for kind, row in _delivery_rows(appeal):
        digest.update(encode(row))
        if kind == "person":
            _person, name, city, *_rest = row
            # The standard library's escape: what Django's does, without its
            # lazy-text wrapper, which a million calls notice.
            place = f", {html.escape(city)}" if city else ""
            names.append(f"<li>{html.escape(name)}{place}</li>")
            if len(names) == NAMES_PER_CHUNK:
                yield "".join(names)
                names.clear()
    yield "".join(names)
    yield tail.replace(DIGEST_PLACEHOLDER, digest.hexdigest())
