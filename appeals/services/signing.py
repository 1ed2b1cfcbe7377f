"""Signing and co-signing, confirming, withdrawing: a signature's own writes."""

import time
import uuid
from collections.abc import Sequence
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals.antispam import (
    Submission,
    hash_ip,
    rate_limit_reasons,
    signing_scope,
)
from appeals.mail import fanout
from appeals.mail.render import render_email, signature_context
from appeals.models import (
    Appeal,
    LogEntry,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    SignatureCountDelta,
    SigningState,
    normalize_email,
)
from appeals.services import highrisk, signature_log, tasks

# One address gets at most this many emails per appeal per day, however often
# someone submits it.
MAX_EMAILS_PER_ADDRESS_PER_DAY = 3

# Why a signature is refused, by the appeal's signing state.
REFUSALS = {
    SigningState.CLOSED: _("Signing is closed."),
    SigningState.PAUSED: _("Signing is paused for the moment. Please try again later."),
}


def sign_appeal(
    *,
    appeal: Appeal,
    data: dict,
    language: str,
    ip: str,
    suspicions: Sequence[str] = (),
    form_token: str = "",
) -> Signature:
    """Record a person's signature, or find theirs, and write to their mailbox.

    The caller learns nothing about the address's history: a new address gets a
    confirmation link, a pending one gets it again, a confirmed one is told it has
    already signed. A suspect submission (spam traps, rate limits) is quarantined
    silently: saved for moderators, not counted, and no email is sent.

    A new signature is one INSERT that commits on its own, the email it is owed
    included (see appeals.mail.intake): in a wave, this is the whole database work.
    The mailer counts it against the rate limits before it queues the link.
    """
    return _take_submission(
        Signature,
        appeal=appeal,
        data=data,
        language=language,
        ip=ip,
        suspicions=suspicions,
        form_token=form_token,
    )


def cosign_appeal(
    *,
    appeal: Appeal,
    data: dict,
    language: str,
    ip: str,
    suspicions: Sequence[str] = (),
    form_token: str = "",
) -> OrganizationSignature:
    """Record an organization's co-signature, confirmed by email like a person's."""
    return _take_submission(
        OrganizationSignature,
        appeal=appeal,
        data=data,
        language=language,
        ip=ip,
        suspicions=suspicions,
        form_token=form_token,
    )


def _take_submission(model, *, appeal, data, language, ip, suspicions, form_token):
    if (state := appeal.signing_state) != SigningState.OPEN:
        raise ValidationError(REFUSALS[state], code=state)
    ip_hash = hash_ip(ip)
    signature, created = _insert_or_existing(
        model,
        appeal=appeal,
        language=language,
        ip_hash=ip_hash,
        status=model.Status.QUARANTINED if suspicions else model.Status.PENDING,
        quarantine_reason="; ".join(suspicions)[:200],
        # A new address's confirmation, queued once the mailer has counted it
        # against the rate limits; it is this address's first email today.
        email_due=model.EmailDue.NOTHING if suspicions else model.EmailDue.UNSCREENED,
        emails_sent_on=None if suspicions else timezone.localdate(),
        emails_sent_count=0 if suspicions else 1,
        form_token=form_token,
        **data,
    )
    if suspicions:
        return signature  # Suspect: nobody's mailbox is written to.
    if created:
        transaction.on_commit(tasks.send_mail_in_request, robust=True)
        return signature
    # The address signed before: this submission is screened here, and a
    # suspect one writes to nobody.
    address = normalize_email(data["email"])
    if _past_rate_limit(
        signature, ip_hash=ip_hash, form_token=form_token, email=address, appeal=appeal
    ):
        return signature
    if signature.status == model.Status.CONFIRMED and not signature.email:
        # High-risk mode kept no address: the answer goes to the one just typed.
        if _owe_email(signature, model.EmailDue.NOTHING):
            _queue_already_signed(signature, to=data["email"])
        return signature
    due = {
        model.Status.PENDING: model.EmailDue.CONFIRM,
        model.Status.CONFIRMED: model.EmailDue.ALREADY_SIGNED,
    }.get(signature.status)
    if due and _owe_email(signature, due):
        transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return signature


def _past_rate_limit(
    signature, *, ip_hash: str, form_token: str = "", email: str = "", appeal=None
) -> bool:
    """Screen one more submission for a signature's address, made now."""
    return past_rate_limit_now(
        scope=signing_scope(type(signature), signature.appeal_id),
        ip_hash=ip_hash,
        email=email or signature.mailbox_address,
        form_token=form_token,
        appeal=appeal or signature.appeal,
    )


def _queue_already_signed(signature, *, to: str) -> None:
    """Tell an address that its signature, which kept no address, stands.

    Written now, as it cannot be written later: the address is in this request
    only. The mailer erases it once the email is sent or given up.
    """
    email = render_email(
        "appeals/email/already_signed",
        signature_context(signature),
        language=signature.language,
        to=to,
    )
    field = (
        "signature" if isinstance(signature, Signature) else "organization_signature"
    )
    OutgoingEmail.objects.create(
        kind=OutgoingEmail.Kind.ALREADY_SIGNED,
        priority=OutgoingEmail.Priority.URGENT,
        language=signature.language,
        to=to,
        subject=email.subject,
        body=email.body,
        **{field: signature},
    )
    transaction.on_commit(tasks.send_mail_in_request, robust=True)


def past_rate_limit_now(
    *, scope: str, ip_hash: str, email: str, form_token: str, appeal=None
) -> bool:
    """Screen a submission made in this request; True if it went past a limit."""
    submission = Submission(
        id=f"request:{uuid.uuid4().hex}",
        scope=scope,
        ip_hash=ip_hash,
        email=email,
        at=time.time(),
        form_token=form_token,
        appeal=appeal,
    )
    return bool(rate_limit_reasons([submission])[0])


def _insert_or_existing(model, **fields):
    """Insert a row and return (it, True), or (the address's row, False) if it signed.

    Outside a transaction (a sign request) the INSERT commits on its own. Inside
    one (admin actions, tests), a savepoint keeps a duplicate from breaking it.
    """
    in_transaction = transaction.get_connection().in_atomic_block
    signature = model(**fields)
    try:
        with transaction.atomic() if in_transaction else nullcontext():
            signature.insert()
            return signature, True
    except IntegrityError:
        # The same address signed before, or is signing right now in another
        # request: the unique constraint let only one row in. Use that one.
        existing = model.objects.get(
            appeal=fields["appeal"], email_normalized=signature.email_normalized
        )
        return existing, False


def resend_confirmation(*, signature: Signature | OrganizationSignature) -> bool:
    """Send the confirmation link again to a pending signature, within the limits.

    Staff asking counts as one more submission from the signature's client and
    domain: a resend cannot push an address past what the public form could.
    """
    if signature.status != signature.Status.PENDING:
        return False
    if _past_rate_limit(signature, ip_hash=signature.ip_hash):
        return False
    return queue_confirmation(signature)


def queue_confirmation(signature: Signature | OrganizationSignature) -> bool:
    """Owe a signature its confirmation link again (moderation: not screened)."""
    if not _owe_email(signature, signature.EmailDue.CONFIRM):
        return False
    transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return True


@transaction.atomic
def confirm_signature(*, signature: Signature | OrganizationSignature) -> bool:
    """Confirm a pending signature; return False if it was not pending."""
    if not signature.appeal.accepts_confirmations:
        raise ValidationError(REFUSALS[SigningState.CLOSED], code="closed")
    model = type(signature)
    confirmed = model.objects.filter(
        pk=signature.pk, status=model.Status.PENDING
    ).update(status=model.Status.CONFIRMED, confirmed_at=timezone.now())
    if confirmed and fanout.queue_for_late_signer(signature):
        # An update went out while this signature waited for its confirmation.
        transaction.on_commit(tasks.send_mail_in_request, robust=True)
    if confirmed and model is Signature:
        signature_log.record_addition(signature=signature)
        change_counts({signature.appeal_id: +1})
    if confirmed:
        # High-risk mode: the address has done its work, unless updates need it.
        highrisk.forget_addresses(signatures=model.objects.filter(pk=signature.pk))
    signature.refresh_from_db()
    return bool(confirmed)


@transaction.atomic
def withdraw_signature(*, signature: Signature | OrganizationSignature) -> bool:
    """Withdraw a signature and erase the signer's personal data.

    Return False if it was already withdrawn, or deleted meanwhile (by staff).
    The count drops at once for the public list and within seconds for the stored
    count.
    """
    model = type(signature)
    current = model.objects.select_for_update().filter(pk=signature.pk).first()
    if current is None or current.status == model.Status.WITHDRAWN:
        return False
    was_counted = model is Signature and current.status == model.Status.CONFIRMED
    for field, value in model.ERASED_VALUES.items():
        setattr(current, field, value)
    # The address as stored too (a high-risk signature's code): nothing is left
    # to recognize the signer by.
    current.email_normalized = ""
    current.status = model.Status.WITHDRAWN
    current.withdrawn_at = timezone.now()
    current.save()
    if was_counted:
        signature_log.record_changes(
            signature_ids=[current.pk], kind=LogEntry.Kind.WITHDRAWN
        )
        change_counts({current.appeal_id: -1})
    signature.refresh_from_db()
    return True


def change_counts(deltas: dict[int, int]) -> None:
    """Record changes to appeals' confirmed counts (appeal id: change)."""
    changed = [
        SignatureCountDelta(appeal_id=appeal_id, delta=delta)
        for appeal_id, delta in deltas.items()
        if delta
    ]
    if changed:
        SignatureCountDelta.objects.bulk_create(changed)
        tasks.fold_counts_soon()


def _owe_email(
    signature: Signature | OrganizationSignature, due: Signature.EmailDue
) -> bool:
    """Mark an email due to this address; False once today's limit is reached.

    Due NOTHING counts an email written at once against the limit.
    """
    today = timezone.localdate()
    claimed = (
        type(signature)
        .objects.filter(pk=signature.pk)
        .filter(
            ~Q(emails_sent_on=today)
            | Q(emails_sent_count__lt=MAX_EMAILS_PER_ADDRESS_PER_DAY)
        )
        .update(
            emails_sent_count=Case(
                When(emails_sent_on=today, then=F("emails_sent_count") + 1),
                default=Value(1),
            ),
            emails_sent_on=today,
            email_due=due,
        )
    )
    return bool(claimed)
