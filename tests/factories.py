"""Small helpers that create valid rows with overridable fields."""

import time
from datetime import timedelta
from itertools import count
from unittest import mock

from django.urls import translate_url
from django.utils import timezone

from appeals.antispam import SpamTrapMixin
from appeals.models import Appeal, Authorship, Organization, Signature

_sequence = count(1)


def in_language(url: str, language: str) -> str:
    """The same page's address in another interface language: /en/x/ -> /uk/x/."""
    return translate_url(url, language)


def make_organization(**overrides) -> Organization:
    number = next(_sequence)
    fields = {
        "name": f"Organization {number}",
        "slug": f"organization-{number}",
        "website": f"https://org{number}.example.org/",
    }
    fields.update(overrides)
    return Organization.objects.create(**fields)


def make_appeal(*, authors=(), **overrides) -> Appeal:
    number = next(_sequence)
    fields = {
        "title": f"Appeal number {number}",
        "slug": f"appeal-{number}",
        "addressee": "the Government",
        "summary": "A short summary of the appeal.",
        "body": "We call on you to act.",
        "status": Appeal.Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(days=1),
    }
    fields.update(overrides)
    appeal = Appeal.objects.create(**fields)
    for position, organization in enumerate(authors):
        Authorship.objects.create(
            appeal=appeal, organization=organization, position=position
        )
    return appeal


def make_signature(appeal: Appeal, **overrides) -> Signature:
    number = next(_sequence)
    fields = {
        "full_name": f"Signer {number}",
        "email": f"signer{number}@example.org",
        "country": "UA",
        "city": "Kyiv",
        "visibility": Signature.Visibility.PUBLIC,
        "status": Signature.Status.CONFIRMED,
    }
    fields.update(overrides)
    if fields["status"] == Signature.Status.CONFIRMED:
        fields.setdefault("confirmed_at", timezone.now())
    return Signature.objects.create(appeal=appeal, **fields)


def form_shown(seconds_ago: float = 60) -> dict:
    """The spam-trap fields of a form a person opened `seconds_ago` and filled in."""
    with mock.patch(
        "django.core.signing.time.time", return_value=time.time() - seconds_ago
    ):
        rendered_at = SpamTrapMixin._signer.sign("form")
    return {"rendered_at": rendered_at, "homepage": ""}


def owe_confirmations(appeal, count, *, prefix="signer", due="confirm"):
    """Pending signatures that each owe their confirmation link."""
    Signature.objects.bulk_create(
        Signature(
            appeal=appeal,
            full_name="Ann",
            email=f"{prefix}{number}@gmail.com",
            email_normalized=f"{prefix}{number}@gmail.com",
            country="UA",
            ip_hash=f"client-{prefix}-{number}",
            email_due=due,
        )
        for number in range(count)
    )
    return {f"{prefix}{number}@gmail.com" for number in range(count)}
