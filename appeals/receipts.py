"""A signer's receipt: which entry of the log is theirs, and the secret that shows it.

The code is `<position>-<signature id>-<salt>` (the salt in lower-case base32).
With it anyone can recompute the addition's commitment, find it at its position
and check that position's inclusion proof against a signed checkpoint: here
(check_receipt) or with scripts/verify_receipt.py, without trusting us.
"""

import base64
import binascii
import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from appeals import logkeys, merkle
from appeals.links import absolute_url
from appeals.models import Appeal, LogCheckpoint, LogEntry
from appeals.models.log import commitment
from appeals.services import signature_log

CODE = re.compile(r"(\d{1,15})-(\d{1,15})-([a-z2-7]{26})")


@dataclass(frozen=True)
class Receipt:
    index: int
    signature_id: int
    salt: bytes

    @property
    def code(self) -> str:
        salt = base64.b32encode(self.salt).decode().rstrip("=").lower()
        return f"{self.index}-{self.signature_id}-{salt}"


class BadReceipt(ValueError):
    pass


def receipt_of(entry: LogEntry) -> Receipt | None:
    """The receipt of an addition once it has its place in the log."""
    if entry.index is None or entry.signature_id is None:
        return None
    return Receipt(entry.index, entry.signature_id, bytes(entry.salt))


def read_code(code: str) -> Receipt:
    match = CODE.fullmatch("".join(code.split()).lower())
    if match is None:
        raise BadReceipt(_("That is not a receipt code: it looks like 12-345-abcd…"))
    index, signature_id, salt = match.groups()
    try:
        raw = base64.b32decode(salt.upper() + "======")
    except binascii.Error as error:
        raise BadReceipt(_("That is not a receipt code.")) from error
    return Receipt(int(index), int(signature_id), raw)


def receipt_file(appeal: Appeal, receipt: Receipt) -> dict:
    """The downloadable receipt: all scripts/verify_receipt.py needs."""
    slug = appeal.original.slug
    return {
        "format": "appealsite-receipt/1",
        "appeal": slug,
        "appeal_id": appeal.original.pk,
        "code": receipt.code,
        "index": receipt.index,
        "signature_id": receipt.signature_id,
        "salt": receipt.salt.hex(),
        "log": signature_log.checkpoints_url(appeal),
        "keys": absolute_url(reverse("log_keys")),
    }


@dataclass(frozen=True)
class ReceiptCheck:
    """What checking a receipt found."""

    is_included: bool
    checkpoint: LogCheckpoint | None = None
    removed_by: LogEntry | None = None
    problem: str = ""


def check_receipt(appeal: Appeal, receipt: Receipt) -> ReceiptCheck:
    """Check a receipt against the latest checkpoint, as an outsider would."""
    appeal = appeal.original
    checkpoint = signature_log.latest_checkpoint(appeal)
    entry = LogEntry.objects.filter(appeal=appeal, index=receipt.index).first()
    expected = commitment(
        appeal_id=appeal.pk, signature_id=receipt.signature_id, salt=receipt.salt
    )
    if entry is None or entry.kind != LogEntry.Kind.ADDED or entry.digest != expected:
        return ReceiptCheck(
            False, checkpoint, problem=_("No entry of this log matches this receipt.")
        )
    if checkpoint is None or checkpoint.tree_size <= receipt.index:
        return ReceiptCheck(
            False,
            checkpoint,
            problem=_(
                "Your entry is in the log, but no signed checkpoint covers it yet. "
                "One is made within the hour: check again later."
            ),
        )
    proof = signature_log.inclusion_proof(
        appeal.pk, index=receipt.index, size=checkpoint.tree_size
    )
    signed = logkeys.verify(
        checkpoint.note.encode(),
        bytes(checkpoint.signature),
        signed_by=checkpoint.key_id,
    )
    included = signed and merkle.verify_inclusion(
        index=receipt.index,
        size=checkpoint.tree_size,
        leaf=merkle.leaf_hash(entry.entry_line().encode()),
        proof=proof,
        root=bytes(checkpoint.root_hash),
    )
    if not included:
        return ReceiptCheck(
            False, checkpoint, problem=_("The proof did not check out. Tell us!")
        )
    removed_by = (
        LogEntry.objects.filter(
            refers_to=entry, index__lt=checkpoint.tree_size, index__isnull=False
        )
        .order_by("-index")
        .first()
    )
    if removed_by is not None and removed_by.adds:
        removed_by = None  # Restored after a removal.
    return ReceiptCheck(True, checkpoint, removed_by=removed_by)
