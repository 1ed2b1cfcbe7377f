"""The one place an email is written: plain text, in its reader's language.

Every email the site sends comes from here. The subject is one line, `From` is
always DEFAULT_FROM_EMAIL and no header carries anything a visitor typed. Emails to
signers never echo their own input either (name, comment): anyone can type any
address into the form, and we must not become a relay for someone else's text.
"""

import functools
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language

from appeals.models import (
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    Update,
    UpdateText,
)
from appeals.tokens import Purpose, make_token
from appealsite.languages import offered_language


def render_email(template: str, context: dict, *, language: str, to: str):
    """Write the email `{template}_subject.txt` and `_body.txt` make, in a language."""
    context = {"site_name": settings.SITE_NAME, **context}
    with translation.override(offered_language(language)):
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),  # One line: no header injection.
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )


def still_needed(message: OutgoingEmail) -> bool:
    """Whether an email about a signature is still owed, as the signature is now.

    A confirmation link goes only to a pending signature that may still be
    confirmed; "already signed" only to a confirmed one; an update only to a
    confirmed signer who still wants updates. A withdrawn, erased, rejected or
    quarantined signature gets nothing.
    """
    signature = message.about
    if signature is None:
        # Written at once, with its address: an email about no signature, or the
        # test of an update that staff send to themselves (services.send_test).
        is_test = message.kind == OutgoingEmail.Kind.UPDATE and not message.update_id
        return bool(message.to) and (message.kind not in SIGNATURE_KINDS or is_test)
    if message.to:
        # Written at once to the address typed in a second submission, about a
        # high-risk signature that keeps none (services.signing).
        return (
            message.kind == OutgoingEmail.Kind.ALREADY_SIGNED
            and signature.status == signature.Status.CONFIRMED
        )
    if not signature.email:
        return False  # Erased, or high-risk mode kept no address.
    if message.kind == OutgoingEmail.Kind.CONFIRM:
        return (
            signature.status == signature.Status.PENDING
            and signature.appeal.accepts_confirmations
        )
    if message.kind == OutgoingEmail.Kind.UPDATE:
        return (
            signature.status == signature.Status.CONFIRMED
            and signature.wants_updates
            and message.update is not None
            and message.update.state != Update.State.CANCELLED
        )
    return signature.status == signature.Status.CONFIRMED


def render_queued(message: OutgoingEmail, *, drafts: "Drafts | None" = None):
    """The email a queued message stands for: written now if it is about a signature
    (and was not written at once).

    Call still_needed() first. A sender passes the drafts of its batch.
    """
    if message.about is None or message.to:
        return EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
        )
    return (drafts or Drafts()).write(message)


def signature_context(
    signature: Signature | OrganizationSignature, update: Update | None = None
) -> dict:
    """What an email about a signature (and an update) may say, with its links.

    The links open the pages in the email's language: a page's address names it.
    """
    with translation.override(offered_language(signature.language)):
        tokens = {
            purpose: make_token(signature, purpose) for _, purpose in LINKS.values()
        }
        return {
            **_shared_context(signature, update),
            **{
                name: link(view, tokens[purpose], onion=is_onion_link(name))
                for name, (view, purpose) in LINKS.items()
                if settings.ONION_URL or not is_onion_link(name)
            },
        }


def update_context(update: Update, text: UpdateText) -> dict:
    """What an update's email says, but the links of its reader."""
    appeal = text.appeal_version
    return {
        "appeal": appeal,
        "appeal_url": appeal.canonical_url,
        "update_title": text.title,
        "update_body": text.body,
        "update_url": text.canonical_url,
    }


def update_headers(update: Update, unsubscribe_url: str) -> dict[str, str]:
    """The list headers of an update (RFC 2369, RFC 8058 one-click unsubscribe)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return {
        "List-Id": f"<{update.appeal.slug}.updates.{domain}>",
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _shared_context(signature, update: Update | None) -> dict:
    appeal = signature.appeal_read
    if update is not None:
        return update_context(update, update.text_for(appeal)) | {
            "is_organization": isinstance(signature, OrganizationSignature),
        }
    return {
        "appeal": appeal,
        "appeal_url": appeal.canonical_url,
        "is_organization": isinstance(signature, OrganizationSignature),
        "onion": bool(settings.ONION_URL),
    }


# The links an email about a signature may give, each opening a page by a token;
# the onion ones only where the site has an onion service (ONION_URL): a signer who
# came through Tor may read their mail where the web address is blocked.
LINKS = {
    "confirm_url": ("appeals:confirm", Purpose.CONFIRM),
    "withdraw_url": ("appeals:withdraw", Purpose.WITHDRAW),
    "unsubscribe_url": ("appeals:unsubscribe", Purpose.UNSUBSCRIBE),
    "onion_confirm_url": ("appeals:confirm", Purpose.CONFIRM),
    "onion_withdraw_url": ("appeals:withdraw", Purpose.WITHDRAW),
    "receipt_url": ("appeals:receipt", Purpose.RECEIPT),
}


class Drafts:
    """Emails about signatures, each appeal's text written once, the links per email.

    Two emails of one kind about one appeal (and update), in one language, differ
    only in their links: the mailer, writing hundreds a second, renders the
    templates once with a stand-in for each link and puts each signature's own
    links in (README, "Performance"). A stand-in is random, so no appeal text can
    contain one. Drafts hold the appeal as it was read: a sender starts new ones
    each time it reads its batch again. tests/mail/test_render.py pins that each
    email is the one signature_context() and render_email() write.
    """

    def __init__(self):
        self._drafts: dict[tuple, EmailMessage] = {}

    def write(self, message: OutgoingEmail) -> EmailMessage:
        # The links open the pages in the email's language (a page's address
        # names it), whatever language the process writing it has active.
        with translation.override(offered_language(message.about.language)):
            return self._write(message)

    def _write(self, message: OutgoingEmail) -> EmailMessage:
        signature, update = message.about, message.update
        key = (
            message.kind,
            message.update_id,
            signature.appeal_read.pk,
            signature.language,
            type(signature),
        )
        if key not in self._drafts:
            self._drafts[key] = render_email(
                f"appeals/email/{message.kind}",
                _shared_context(signature, update) | STAND_INS,
                language=signature.language,
                to="",
            )
        draft = self._drafts[key]
        body, links, tokens = draft.body, {}, {}
        for name, (view, purpose) in LINKS.items():
            if STAND_INS[name] in body:
                if purpose not in tokens:
                    tokens[purpose] = make_token(signature, purpose)
                links[name] = link(view, tokens[purpose], onion=is_onion_link(name))
                body = body.replace(STAND_INS[name], links[name])
        headers = {}
        if update is not None:
            unsubscribe = links.get("unsubscribe_url") or link(
                "appeals:unsubscribe", make_token(signature, Purpose.UNSUBSCRIBE)
            )
            headers = update_headers(update, unsubscribe)
        return EmailMessage(
            subject=draft.subject,
            body=body,
            from_email=draft.from_email,
            to=[signature.email],
            headers=headers,
        )


STAND_INS = {name: f"link-{secrets.token_hex(16)}" for name in LINKS}


def link(name: str, token: str, *, onion: bool = False) -> str:
    """The absolute address of a page a token opens, on the web or the onion."""
    site = settings.ONION_URL if onion else settings.SITE_URL
    before, _token, after = _address_of(name, get_language(), site)
    return f"{before}{token}{after}"


def is_onion_link(name: str) -> bool:
    return name.startswith("onion_")


@functools.lru_cache(maxsize=64)
def _address_of(name: str, language: str | None, site_url: str) -> tuple:
    """A page's address around its token, worked out once per language and site.

    The mailer writes hundreds of these a second; reverse() each time was a large
    part of writing an email (README, "Performance").
    """
    placeholder = "token-placeholder"
    address = site_url + reverse(name, kwargs={"token": placeholder})
    return address.rpartition(placeholder)


SIGNATURE_KINDS = {
    OutgoingEmail.Kind.CONFIRM,
    OutgoingEmail.Kind.ALREADY_SIGNED,
    OutgoingEmail.Kind.UPDATE,
    OutgoingEmail.Kind.RECEIPT,
}
