"""Emails to signers. Plain text, in the signer's language, never echoing their input.

The signer's name and comment are left out on purpose: anyone can type any address
into the form, and we must not become a relay for someone else's text.
"""

from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from appeals.links import absolute_url
from appeals.models import OrganizationSignature, Signature, normalize_email
from appeals.tokens import Purpose, make_data_access_token, make_token


class Message(StrEnum):
    CONFIRM = "confirm"
    ALREADY_SIGNED = "already_signed"


def send_signature_email(
    signature: Signature | OrganizationSignature, message: Message
) -> None:
    """Send one email about a signature to the address it was made with."""
    # The language version the signer read, if they signed a translation.
    appeal = getattr(signature, "appeal_version", None) or signature.appeal
    context = {
        "appeal": appeal,
        "site_name": settings.SITE_NAME,
        "appeal_url": appeal.canonical_url,
        "confirm_url": absolute_url(
            reverse(
                "appeals:confirm",
                kwargs={"token": make_token(signature, Purpose.CONFIRM)},
            )
        ),
        "withdraw_url": absolute_url(
            reverse(
                "appeals:withdraw",
                kwargs={"token": make_token(signature, Purpose.WITHDRAW)},
            )
        ),
        "is_organization": isinstance(signature, OrganizationSignature),
    }
    with translation.override(signature.language):
        subject = render_to_string(f"appeals/email/{message}_subject.txt", context)
        body = render_to_string(f"appeals/email/{message}_body.txt", context)
    EmailMessage(
        subject=" ".join(subject.split()),  # One line: no header injection.
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[signature.email],
    ).send()


def send_data_access_email(address: str, language: str) -> None:
    """Send the link to the page that shows what we hold about an address."""
    token = make_data_access_token(normalize_email(address))
    context = {
        "site_name": settings.SITE_NAME,
        "data_url": absolute_url(reverse("appeals:my_data", kwargs={"token": token})),
    }
    with translation.override(language):
        subject = render_to_string("appeals/email/data_access_subject.txt", context)
        body = render_to_string("appeals/email/data_access_body.txt", context)
    EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    ).send()
