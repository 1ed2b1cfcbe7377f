"""The signature log: recording changes, appending them, checkpoints and proofs.

A change to the count writes a LogEntry without a position in its own
transaction (record_*): one INSERT, no row that every signer updates. The job
that folds the counts then appends what waits, one appender at a time (an
advisory lock on PostgreSQL): each entry gets the next position, its leaf hash
and the complete subtrees it completes are stored (appeals.merkle), so the tree
is never rebuilt and any root or proof reads a few dozen stored hashes.

A checkpoint signs the tree's size, root and count with the site's key
(appeals.logkeys): at least hourly while entries arrive, and at every delivery.
"""

import base64
import secrets
from datetime import timedelta
from itertools import groupby

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appeals import logkeys, merkle
from appeals.links import absolute_url
from appeals.models import (
    Appeal,
    LogCheckpoint,
    LogEntry,
    LogNode,
    LogWitness,
    OutgoingEmail,
    Signature,
    WitnessCosignature,
)
from appeals.models.log import commitment
from appeals.services.locks import hold_transaction_lock

APPEND_BATCH_SIZE = 5000
CHECKPOINT_INTERVAL = timedelta(hours=1)
RECEIPT_EMAIL_WITHIN = timedelta(days=1)
# The advisory lock appenders take on PostgreSQL (any number no other code uses).
APPEND_LOCK_ID = 0x6C6F67  # "log"


def _this_hour():
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def record_addition(*, signature: Signature) -> LogEntry:
    """Owe the log a confirmed signature's entry (in the confirming transaction)."""
    salt = secrets.token_bytes(16)
    return LogEntry.objects.create(
        appeal_id=signature.appeal_id,
        kind=LogEntry.Kind.ADDED,
        signature=signature,
        salt=salt,
        digest=commitment(
            appeal_id=signature.appeal_id, signature_id=signature.pk, salt=salt
        ),
        hour=_this_hour(),
    )


def record_changes(*, signature_ids: list[int], kind: LogEntry.Kind) -> int:
    """Owe the log a removal or restoration for each of these signatures.

    Each names the signature's addition; a signature counted before the log
    existed is added first, and one coming back that never had an addition (it
    was rejected before the log existed) is only added: the count and the log
    stay equal.
    """
    if not signature_ids:
        return 0
    additions = {}
    for entry in LogEntry.objects.filter(
        signature_id__in=signature_ids, kind=LogEntry.Kind.ADDED
    ).order_by("pk"):
        additions[entry.signature_id] = entry
    hour = _this_hour()
    changes = []
    for signature in Signature.objects.filter(pk__in=signature_ids).order_by("pk"):
        addition = additions.get(signature.pk)
        if addition is None:
            addition = record_addition(signature=signature)
            if kind in LogEntry.ADDING:
                continue  # Its addition is the change.
        changes.append(
            LogEntry(
                appeal_id=signature.appeal_id, kind=kind, refers_to=addition, hour=hour
            )
        )
    LogEntry.objects.bulk_create(changes)
    return len(changes)


def append_pending() -> set[int]:
    """Append every entry waiting for its position; return the appeals' ids."""
    appeals = set()
    while batch := _append_batch():
        appeals |= batch
    return appeals


@transaction.atomic
def _append_batch() -> set[int]:
    hold_transaction_lock(APPEND_LOCK_ID)
    # In the order they were made: a removal comes after the addition it names.
    pending = list(
        LogEntry.objects.filter(index__isnull=True)
        .select_related("refers_to", "signature")
        .order_by("pk")[:APPEND_BATCH_SIZE]
    )
    receipts = []
    appeals = set()
    for appeal_id, entries in groupby(
        sorted(pending, key=lambda entry: entry.appeal_id),
        key=lambda entry: entry.appeal_id,
    ):
        receipts += _append(appeal_id, list(entries))
        appeals.add(appeal_id)
    # Each new signer's receipt, written when the mailer sends it (appeals.mail).
    OutgoingEmail.objects.bulk_create(receipts)
    return appeals


def _append(appeal_id: int, entries: list[LogEntry]) -> list[OutgoingEmail]:
    size = log_size(appeal_id)
    frontier = _nodes(appeal_id, merkle.frontier_keys(size))
    positions = {}
    leaves = []
    for offset, entry in enumerate(entries):
        entry.index = positions[entry.pk] = size + offset
        referred = entry.refers_to
        line = entry.entry_line(
            refers_to_index=(
                positions.get(referred.pk, referred.index) if referred else None
            )
        )
        leaves.append(merkle.leaf_hash(line.encode()))
    made = merkle.appended_nodes(size, leaves, frontier)
    LogNode.objects.bulk_create(
        LogNode(appeal_id=appeal_id, key=key, hash=value) for key, value in made.items()
    )
    _set_positions(entries)
    # Signatures of the last day only: those the log took in when it began
    # (migration 0045) are not written to.
    recent = timezone.now() - RECEIPT_EMAIL_WITHIN
    return [
        OutgoingEmail(
            kind=OutgoingEmail.Kind.RECEIPT,
            priority=OutgoingEmail.Priority.BULK,
            language=entry.signature.language,
            signature=entry.signature,
        )
        for entry in entries
        if entry.kind == LogEntry.Kind.ADDED
        and entry.signature is not None
        and entry.signature.email
        and entry.hour >= recent
    ]


def _set_positions(entries: list[LogEntry]) -> None:
    if connection.vendor != "postgresql":
        LogEntry.objects.bulk_update(entries, ["index"], batch_size=1000)
        return
    # One statement for the whole batch: bulk_update's CASE over thousands of
    # rows took most of an append.
    table = LogEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS entry SET "index" = given.position '
            "FROM unnest(%s::bigint[], %s::bigint[]) AS given(id, position) "
            "WHERE entry.id = given.id",
            [[entry.pk for entry in entries], [entry.index for entry in entries]],
        )


def log_size(appeal_id: int) -> int:
    """How many entries the appeal's log holds (appended ones)."""
    last = LogEntry.objects.filter(appeal_id=appeal_id).aggregate(last=Max("index"))
    return 0 if last["last"] is None else last["last"] + 1


def _nodes(appeal_id: int, keys) -> dict[int, bytes]:
    return {
        key: bytes(value)
        for key, value in LogNode.objects.filter(
            appeal_id=appeal_id, key__in=list(keys)
        ).values_list("key", "hash")
    }


def root_at(appeal_id: int, size: int) -> bytes:
    nodes = _nodes(appeal_id, merkle.range_nodes(0, size) if size else [])
    return merkle.range_hash(0, size, nodes)


class LogTooShort(LookupError):
    """A proof asked for a tree larger than the log."""


def inclusion_proof(appeal_id: int, *, index: int, size: int) -> list[bytes]:
    """The hashes proving entry `index` is in the tree of `size` entries."""
    return _proof(appeal_id, merkle.inclusion_ranges(index, size), size)


def consistency_proof(appeal_id: int, *, old: int, new: int) -> list[bytes]:
    """The hashes proving the tree of `new` entries extends that of `old`."""
    return _proof(appeal_id, merkle.consistency_ranges(old, new), new)


def _proof(appeal_id: int, ranges, size: int) -> list[bytes]:
    """The ranges' hashes; LogTooShort if the log has fewer than `size` entries.

    The last leaf is asked for too: its absence shows a log too short, without
    a query of its own.
    """
    last = merkle.node_key(0, size - 1)
    nodes = _nodes(appeal_id, merkle.nodes_for(ranges) | ({last} if size else set()))
    if size and last not in nodes:
        raise LogTooShort
    return [merkle.range_hash(start, end, nodes) for start, end in ranges]


def latest_checkpoint(appeal: Appeal) -> LogCheckpoint | None:
    return appeal.original.log_checkpoints.first()


def checkpoints_url(appeal: Appeal) -> str:
    """The public address of an appeal's signed checkpoints."""
    return absolute_url(reverse("data:log_checkpoints", args=[appeal.original.slug]))


def checkpoint_origin(appeal_id: int) -> str:
    host = settings.SITE_URL.split("://", 1)[-1]
    return f"{host}/appeals/{appeal_id}/log"


@transaction.atomic
def make_checkpoint(*, appeal: Appeal) -> LogCheckpoint:
    """Sign the appeal's log as it is now: size, root, count and the minute."""
    appeal = appeal.original
    hold_transaction_lock(APPEND_LOCK_ID)
    size = log_size(appeal.pk)
    previous = (
        appeal.log_checkpoints.filter(tree_size__lte=size)
        .order_by("-tree_size", "-pk")
        .first()
    )
    since = previous.tree_size if previous else 0
    tally = LogEntry.objects.filter(
        appeal_id=appeal.pk, index__gte=since, index__lt=size
    ).aggregate(
        added=Count("pk", filter=Q(kind__in=LogEntry.ADDING)),
        all=Count("pk"),
    )
    count = (previous.signature_count if previous else 0) + (
        2 * tally["added"] - tally["all"]
    )
    root = root_at(appeal.pk, size)
    made_at = timezone.now().replace(second=0, microsecond=0)
    note = (
        f"{checkpoint_origin(appeal.pk)}\n{size}\n{base64.b64encode(root).decode()}\n"
        f"count {count}\ntime {made_at:%Y-%m-%dT%H:%MZ}\n"
    )
    key_id, signature = logkeys.sign(note.encode())
    return LogCheckpoint.objects.create(
        appeal=appeal,
        tree_size=size,
        root_hash=root,
        signature_count=count,
        made_at=made_at,
        note=note,
        key_id=key_id,
        signature=signature,
    )


def checkpoint_now(*, appeal: Appeal) -> LogCheckpoint:
    """Append what waits, then sign the log (a delivery, its document)."""
    append_pending()
    return make_checkpoint(appeal=appeal)


def checkpoint_due_logs(*, appeal_ids=None) -> list[LogCheckpoint]:
    """Sign each log that grew since its latest checkpoint, if that is an hour old."""
    due_before = timezone.now() - CHECKPOINT_INTERVAL
    appeals = Appeal.objects.originals()
    if appeal_ids is not None:
        appeals = appeals.filter(pk__in=appeal_ids)
    made = []
    for appeal in appeals.order_by("pk"):
        latest = latest_checkpoint(appeal)
        if latest is not None and latest.made_at > due_before:
            continue
        if log_size(appeal.pk) > (latest.tree_size if latest else 0):
            made.append(make_checkpoint(appeal=appeal))
    return made


def record_cosignature(
    *, appeal: Appeal, note: str, key_id: str, signature: bytes
) -> WitnessCosignature:
    """Keep a witness's countersignature of one of the appeal's checkpoints.

    Raise ValidationError unless an active witness's key signed exactly the text
    of one of our checkpoints.
    """
    checkpoint = appeal.original.log_checkpoints.filter(note=note).first()
    if checkpoint is None:
        raise ValidationError(_("That is not the text of one of our checkpoints."))
    witness = next(
        (w for w in LogWitness.objects.filter(is_active=True) if w.key_id == key_id),
        None,
    )
    if witness is None:
        raise ValidationError(_("No active witness has that key."))
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(witness.public_key))
    try:
        public.verify(signature, note.encode())
    except (InvalidSignature, ValueError) as error:
        raise ValidationError(_("The signature does not match.")) from error
    cosignature, _created = WitnessCosignature.objects.get_or_create(
        checkpoint=checkpoint, witness=witness, defaults={"signature": signature}
    )
    return cosignature


def checkpoint_data(checkpoint: LogCheckpoint) -> dict:
    """A checkpoint as the public JSON shows it, with witnesses' countersignatures."""
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": bytes(checkpoint.root_hash).hex(),
        "signature_count": checkpoint.signature_count,
        "time": checkpoint.made_at.strftime("%Y-%m-%dT%H:%MZ"),
        "note": checkpoint.note,
        "key_id": checkpoint.key_id,
        "signature": base64.b64encode(bytes(checkpoint.signature)).decode(),
        "cosignatures": [
            {
                "witness": cosignature.witness.name,
                "key_id": cosignature.witness.key_id,
                "signature": base64.b64encode(bytes(cosignature.signature)).decode(),
            }
            for cosignature in checkpoint.cosignatures.all()
        ],
    }
