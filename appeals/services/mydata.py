"""A signer's own data: a link to it, by email, and what it finds."""

from django.urls import reverse

from appeals.antispam import hash_ip
from appeals.links import absolute_url
from appeals.models import (
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    normalize_email,
)
from appeals.services.emails import queue_email
from appeals.services.signing import past_rate_limit_now
from appeals.tokens import make_data_access_token


def request_data_access(
    *, email: str, language: str, ip: str, form_token: str = ""
) -> None:
    """Email a link to everything held about an address: to that mailbox only.

    The caller learns nothing: the answer is the same whether we hold anything,
    and whether a rate limit (the sign form's, per client, domain and mailbox)
    kept the email from going.
    """
    email_normalized = normalize_email(email)
    if past_rate_limit_now(
        scope="my-data",
        ip_hash=hash_ip(ip),
        email=email_normalized,
        form_token=form_token,
    ):
        return
    token = make_data_access_token(email_normalized)
    queue_email(
        kind=OutgoingEmail.Kind.DATA_ACCESS,
        template="appeals/email/data_access",
        context={
            "data_url": absolute_url(
                reverse("appeals:my_data", kwargs={"token": token})
            )
        },
        language=language,
        to=[email],
        priority=OutgoingEmail.Priority.URGENT,
    )


def signatures_of(email_normalized: str) -> list[Signature | OrganizationSignature]:
    """Every signature, of a person or for an organization, made with an address.

    On a high-risk appeal, found by the address's keyed code while the key exists.
    """
    found = [
        *Signature.objects.made_with(email_normalized).select_related("appeal"),
        *OrganizationSignature.objects.made_with(email_normalized).select_related(
            "appeal"
        ),
    ]
    return sorted(found, key=lambda signature: signature.created_at, reverse=True)
