"""Writes that touch several rows or have side effects. Views and admin call these."""

import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from appeals import tasks
from appeals.antispam import (
    Submission,
    hash_ip,
    rate_limit_reasons,
    signing_scope,
)
from appeals.links import absolute_url
from appeals.mail.queue import queue_email
from appeals.models import (
    Appeal,
    AppealSlug,
    OrganizationSignature,
    OutgoingEmail,
    Signature,
    SignatureCountDelta,
    SiteSettings,
    normalize_email,
)
from appeals.tokens import make_data_access_token

# One address gets at most this many emails per appeal per day, however often
# someone submits it.
MAX_EMAILS_PER_ADDRESS_PER_DAY = 3
# How long count changes may wait before they are folded into the stored count.
COUNT_REFRESH_SECONDS = 5

SIGNING_CLOSED = _("Signing is closed.")
SIGNING_PAUSED = _("Signing is paused for the moment. Please try again later.")


def signing_paused(appeal: Appeal) -> bool:
    """Whether staff paused signing on this appeal or on the whole site."""
    return appeal.is_signing_paused or SiteSettings.current().is_signing_paused


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
    return _record(
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
    return _record(
        OrganizationSignature,
        appeal=appeal,
        data=data,
        language=language,
        ip=ip,
        suspicions=suspicions,
        form_token=form_token,
    )


def _record(model, *, appeal, data, language, ip, suspicions, form_token):
    if not appeal.is_open:
        raise ValidationError(SIGNING_CLOSED, code="closed")
    if signing_paused(appeal):
        raise ValidationError(SIGNING_PAUSED, code="paused")
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
    if _past_rate_limit(signature, ip_hash=ip_hash, form_token=form_token):
        return signature
    due = {
        model.Status.PENDING: model.EmailDue.CONFIRM,
        model.Status.CONFIRMED: model.EmailDue.ALREADY_SIGNED,
    }.get(signature.status)
    if due and _owe_email(signature, due):
        transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return signature


def _past_rate_limit(signature, *, ip_hash: str, form_token: str = "") -> bool:
    """Screen one more submission for a signature's address, made now."""
    return _past_rate_limit_now(
        scope=signing_scope(type(signature), signature.appeal_id),
        ip_hash=ip_hash,
        email=signature.email_normalized,
        form_token=form_token,
    )


def _past_rate_limit_now(
    *, scope: str, ip_hash: str, email: str, form_token: str
) -> bool:
    """Screen a submission made in this request; True if it went past a limit."""
    submission = Submission(
        id=f"request:{uuid.uuid4().hex}",
        scope=scope,
        ip_hash=ip_hash,
        email=email,
        at=time.time(),
        form_token=form_token,
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
    return _queue_confirmation(signature)


def _queue_confirmation(signature: Signature | OrganizationSignature) -> bool:
    if not _owe_email(signature, signature.EmailDue.CONFIRM):
        return False
    transaction.on_commit(tasks.send_mail_in_request, robust=True)
    return True


@transaction.atomic
def confirm_signature(*, signature: Signature | OrganizationSignature) -> bool:
    """Confirm a pending signature; return False if it was not pending."""
    if not signature.appeal.accepts_confirmations:
        raise ValidationError(SIGNING_CLOSED, code="closed")
    model = type(signature)
    confirmed = model.objects.filter(
        pk=signature.pk, status=model.Status.PENDING
    ).update(status=model.Status.CONFIRMED, confirmed_at=timezone.now())
    if confirmed and model is Signature:
        _change_counts({signature.appeal_id: +1})
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
    current.status = model.Status.WITHDRAWN
    current.withdrawn_at = timezone.now()
    current.save()
    if was_counted:
        _change_counts({current.appeal_id: -1})
    signature.refresh_from_db()
    return True


def _change_counts(deltas: dict[int, int]) -> None:
    """Record changes to appeals' confirmed counts (appeal id: change)."""
    changed = [
        SignatureCountDelta(appeal_id=appeal_id, delta=delta)
        for appeal_id, delta in deltas.items()
        if delta
    ]
    if changed:
        SignatureCountDelta.objects.bulk_create(changed)
        _schedule_count_refresh()


def _schedule_count_refresh() -> None:
    """Have the count changes of this transaction folded within seconds.

    Called inside the transaction that records the changes: the fold is queued
    (in the database, like them) exactly when they are saved, and Redis plays no
    part. One fold per window, however many changes come in: a change made while
    a fold waits to run is folded by that run.
    """
    if tasks.run_in_request():
        # Development and tests: fold right away, once the changes are saved.
        transaction.on_commit(tasks.fold_signature_counts.enqueue)
    elif _count_fold_waiting():
        # Should a worker take that fold before this transaction commits, it would
        # not see these changes: look again once they are committed.
        transaction.on_commit(_queue_count_fold_unless_waiting, robust=True)
    else:
        _queue_count_fold()


def _count_fold_waiting() -> bool:
    """Whether a fold is queued and no worker has taken it yet."""
    return DBTaskResult.objects.filter(
        task_path=tasks.fold_signature_counts.module_path,
        status=TaskResultStatus.READY,
    ).exists()


def _queue_count_fold_unless_waiting() -> None:
    if not _count_fold_waiting():
        _queue_count_fold()


def _queue_count_fold() -> None:
    run_after = timezone.now() + timedelta(seconds=COUNT_REFRESH_SECONDS)
    tasks.fold_signature_counts.using(run_after=run_after).enqueue()


def _owe_email(
    signature: Signature | OrganizationSignature, due: Signature.EmailDue
) -> bool:
    """Mark an email due to this address; False once today's limit is reached."""
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


# --- Signers' own data ------------------------------------------------------


def request_data_access(
    *, email: str, language: str, ip: str, form_token: str = ""
) -> None:
    """Email a link to everything held about an address: to that mailbox only.

    The caller learns nothing: the answer is the same whether we hold anything,
    and whether a rate limit (the sign form's, per client, domain and mailbox)
    kept the email from going.
    """
    email_normalized = normalize_email(email)
    if _past_rate_limit_now(
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
    """Every signature, of a person or for an organization, made with an address."""
    found = [
        *Signature.objects.filter(email_normalized=email_normalized).select_related(
            "appeal"
        ),
        *OrganizationSignature.objects.filter(
            email_normalized=email_normalized
        ).select_related("appeal"),
    ]
    return sorted(found, key=lambda signature: signature.created_at, reverse=True)


# --- Publishing workflow -----------------------------------------------------

# action: (statuses it may start from, status it leads to, why it may not)
TRANSITIONS = {
    "publish": (
        {Appeal.Status.DRAFT},
        Appeal.Status.PUBLISHED,
        _("Only a draft can be published."),
    ),
    "close": (
        {Appeal.Status.PUBLISHED},
        Appeal.Status.CLOSED,
        _("Only a published appeal can be closed."),
    ),
    "archive": (
        {Appeal.Status.PUBLISHED, Appeal.Status.CLOSED},
        Appeal.Status.ARCHIVED,
        _("Only a published or closed appeal can be archived."),
    ),
    "reopen": (
        {Appeal.Status.CLOSED, Appeal.Status.ARCHIVED},
        Appeal.Status.PUBLISHED,
        _("Only a closed or archived appeal can be reopened."),
    ),
}


def _transition(appeal: Appeal, action: str) -> None:
    sources, target, refusal = TRANSITIONS[action]
    if appeal.status not in sources:
        raise ValidationError(refusal, code="invalid_transition")
    appeal.status = target


@transaction.atomic
def publish_appeal(*, appeal: Appeal, at: datetime | None = None) -> Appeal:
    """Publish a draft now, or schedule it: it appears by itself at `at`."""
    _transition(appeal, "publish")
    appeal.published_at = at or timezone.now()
    appeal.save(update_fields=["status", "published_at", "updated_at"])
    return appeal


@transaction.atomic
def close_appeal(*, appeal: Appeal) -> Appeal:
    """Stop signing; pending signatures stay confirmable for a grace period."""
    _transition(appeal, "close")
    appeal.closed_at = timezone.now()
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    return appeal


@transaction.atomic
def archive_appeal(*, appeal: Appeal) -> Appeal:
    """Keep the appeal readable at its address but out of the listings."""
    _transition(appeal, "archive")
    appeal.closed_at = appeal.closed_at or timezone.now()
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    return appeal


@transaction.atomic
def reopen_appeal(*, appeal: Appeal) -> Appeal:
    """Accept signatures again; a passed deadline must be moved first."""
    if appeal.closes_at is not None and appeal.closes_at <= timezone.now():
        raise ValidationError(
            _("The deadline of “%(title)s” has passed: set a later one to reopen it."),
            code="deadline_passed",
            params={"title": appeal.title},
        )
    _transition(appeal, "reopen")
    appeal.closed_at = None
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    return appeal


@transaction.atomic
def record_former_slug(*, appeal: Appeal, slug: str) -> None:
    """Keep an appeal's old address, so that links to it redirect for good."""
    AppealSlug.objects.filter(slug=appeal.slug).delete()  # Renamed back.
    AppealSlug.objects.update_or_create(slug=slug, defaults={"appeal": appeal})


# --- Moderation --------------------------------------------------------------


@transaction.atomic
def reject_signatures(*, signatures: QuerySet[Signature]) -> int:
    """Reject signatures as spam (kept for the record, no longer counted or shown)."""
    return _move_signatures(
        signatures.exclude(
            status__in=[Signature.Status.REJECTED, Signature.Status.WITHDRAWN]
        ),
        to_status=lambda row: Signature.Status.REJECTED,
    )


@transaction.atomic
def restore_signatures(*, signatures: QuerySet[Signature]) -> int:
    """Undo a rejection: back to confirmed if it was confirmed, else to pending."""
    return _move_signatures(
        signatures.filter(status=Signature.Status.REJECTED),
        to_status=lambda row: (
            Signature.Status.CONFIRMED
            if row["confirmed_at"] is not None
            else Signature.Status.PENDING
        ),
    )


def _move_signatures(signatures, *, to_status) -> int:
    """Change statuses row by row and record what that does to each count.

    Each move is a state transition: the rows are locked before their statuses are
    read, and each UPDATE names the status it moves from, so what is counted is
    exactly what moved.
    """
    rows = list(
        signatures.order_by("pk")
        .select_for_update(of=("self",))
        .values("pk", "appeal_id", "status", "confirmed_at")
    )
    deltas = Counter()
    moves: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        target = to_status(row)
        moves.setdefault((row["status"], target), []).append(row["pk"])
        was_counted = row["status"] == Signature.Status.CONFIRMED
        is_counted = target == Signature.Status.CONFIRMED
        deltas[row["appeal_id"]] += int(is_counted) - int(was_counted)
    for (source, target), pks in moves.items():
        for start in range(0, len(pks), 1000):
            Signature.objects.filter(
                pk__in=pks[start : start + 1000], status=source
            ).update(status=target)
    _change_counts(deltas)
    return len(rows)


@transaction.atomic
def release_signatures(
    *, signatures: QuerySet[Signature] | QuerySet[OrganizationSignature]
) -> int:
    """Release quarantined signatures: they become pending and get their email.

    Only rows still quarantined move (locked, then updated from that status):
    one rejected or withdrawn meanwhile is never made pending, nor written to.
    """
    model = signatures.model
    released = list(
        signatures.filter(status=model.Status.QUARANTINED)
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    pks = [signature.pk for signature in released]
    for start in range(0, len(pks), 1000):
        model.objects.filter(
            pk__in=pks[start : start + 1000], status=model.Status.QUARANTINED
        ).update(status=model.Status.PENDING)
    for signature in released:
        # A moderator's release is a person's judgement: not screened again.
        _queue_confirmation(signature)
    return len(released)


@transaction.atomic
def delete_signatures(
    *, signatures: QuerySet[Signature] | QuerySet[OrganizationSignature]
) -> int:
    """Delete signatures for good (superusers only); confirmed ones leave the count."""
    model = signatures.model
    rows = list(
        signatures.order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", "appeal_id", "status")
    )
    if model is Signature:
        deltas = Counter()
        for _pk, appeal_id, status in rows:
            deltas[appeal_id] -= int(status == Signature.Status.CONFIRMED)
        _change_counts(deltas)
    pks = [pk for pk, _appeal_id, _status in rows]
    for start in range(0, len(pks), 1000):
        model.objects.filter(pk__in=pks[start : start + 1000]).delete()
    return len(rows)


def set_comment_status(
    *, signatures: QuerySet[Signature], status: Signature.CommentStatus
) -> int:
    """Approve or hide the comments of these signatures (those that have one)."""
    return signatures.exclude(comment="").update(comment_status=status)


def approve_organization_signatures(
    *, signatures: QuerySet[OrganizationSignature]
) -> int:
    """Show confirmed co-signatures on the appeal."""
    return signatures.filter(status=OrganizationSignature.Status.CONFIRMED).update(
        is_approved=True
    )


def reject_organization_signatures(
    *, signatures: QuerySet[OrganizationSignature]
) -> int:
    """Reject co-signatures: never shown, kept for the record."""
    return signatures.exclude(status=OrganizationSignature.Status.WITHDRAWN).update(
        status=OrganizationSignature.Status.REJECTED, is_approved=False
    )
