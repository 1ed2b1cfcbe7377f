"""The signature log: an append-only Merkle tree per appeal (appeals.merkle).

Every change to the count is an entry: a confirmed signature adds one, a
withdrawal, rejection or deletion removes one by naming the entry it removes, a
restoration adds it back. Entries are written in the transaction of the change,
without a position; the background job that folds the counts gives them their
positions, in order, and stores the tree's new complete subtrees
(appeals.services.signature_log). Signed checkpoints publish the tree's size,
root and count from time to time.
"""

import base64
import hashlib

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appeals import logkeys
from appeals.models.appeals import Appeal
from appeals.models.signatures import Signature

ENTRY_FORMAT = "appealsite-log/1"
RECEIPT_FORMAT = b"appealsite-receipt/1\n"


def commitment(*, appeal_id: int, signature_id: int, salt: bytes) -> str:
    """The hash an addition publishes: nobody without the salt can tell whose."""
    named = f"{appeal_id}\n{signature_id}\n".encode()
    return hashlib.sha256(RECEIPT_FORMAT + named + salt).hexdigest()


class LogEntry(models.Model):
    """One change to an appeal's count, as the public log records it."""

    class Kind(models.TextChoices):
        ADDED = "added", _("Signature added")
        RESTORED = "restored", _("Restored by a moderator")
        WITHDRAWN = "withdrawn", _("Withdrawn by the signer")
        REJECTED = "rejected", _("Rejected by a moderator")
        DELETED = "deleted", _("Deleted by staff")

    ADDING = (Kind.ADDED, Kind.RESTORED)

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="log_entries"
    )
    index = models.BigIntegerField(
        _("position"),
        null=True,
        blank=True,
        help_text=_("Its place in the log; empty for the few seconds until appended."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    signature = models.ForeignKey(
        Signature,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="log_entries",
    )
    salt = models.BinaryField(
        max_length=16,
        default=b"",
        help_text=_("An addition's secret: only the signer's receipt carries it."),
    )
    refers_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The addition a removal or restoration is about."),
    )
    hour = models.DateTimeField(_("hour"), help_text=_("When, to the hour (UTC)."))
    digest = models.CharField(
        _("commitment"), max_length=64, blank=True, help_text=_("An addition's hash.")
    )

    class Meta:
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "index"], name="unique_log_index_per_appeal"
            ),
        ]
        indexes = [
            # The entries still to append: few, looked for every few seconds.
            models.Index(
                fields=["id"], condition=Q(index__isnull=True), name="log_pending"
            ),
        ]

    def __str__(self):
        return f"{self.appeal_id} #{self.index}: {self.kind}"

    @property
    def adds(self) -> bool:
        return self.kind in self.ADDING

    def entry_line(self, *, refers_to_index: int | None = None) -> str:
        """The entry as the public log shows it and its leaf hashes it (UTF-8)."""
        hour = self.hour.strftime("%Y-%m-%dT%H:00Z")
        head = f"{ENTRY_FORMAT} {self.appeal_id} {hour} {self.kind}"
        if self.kind == self.Kind.ADDED:
            return f"{head} {self.digest}"
        if refers_to_index is None:
            refers_to_index = self.refers_to.index
        return f"{head} {refers_to_index}"


class LogNode(models.Model):
    """A complete subtree of an appeal's log: its hash, kept once it is complete."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField(help_text="appeals.merkle.node_key(level, position)")
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "key"], name="unique_log_node_per_appeal"
            ),
        ]

    def __str__(self):
        return f"{self.appeal_id}:{self.key}"


class LogCheckpoint(models.Model):
    """A signed statement of an appeal's log: its size, root and count at a time."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="log_checkpoints"
    )
    tree_size = models.BigIntegerField(_("entries"))
    root_hash = models.BinaryField(max_length=32)
    signature_count = models.IntegerField(
        _("count"), help_text=_("Additions minus removals in these entries.")
    )
    made_at = models.DateTimeField(_("made"), help_text=_("To the minute (UTC)."))
    note = models.TextField(help_text=_("The signed text."))
    key_id = models.CharField(max_length=16)
    signature = models.BinaryField(max_length=64)

    class Meta:
        ordering = ["-made_at", "-tree_size", "-pk"]
        verbose_name = _("log checkpoint")
        verbose_name_plural = _("log checkpoints")
        indexes = [models.Index(fields=["appeal", "-made_at", "-tree_size"])]

    def __str__(self):
        return f"{self.appeal_id}: {self.tree_size} at {self.made_at:%Y-%m-%d %H:%M}"


class LogWitness(models.Model):
    """An organization that countersigns our checkpoints with its own Ed25519 key.

    A witness fetches each checkpoint, checks that the log only grew since the one
    it countersigned before (a consistency proof), and sends its signature of the
    same text; we publish it beside ours. A log that showed different histories to
    different readers would then need every witness to lie with it.
    """

    name = models.CharField(_("name"), max_length=200)
    public_key = models.CharField(
        _("public key"),
        max_length=60,
        unique=True,
        help_text=_("Its Ed25519 public key: base64 of the 32 raw bytes."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Untick to refuse its new countersignatures; old ones stay."),
    )

    class Meta:
        verbose_name = _("log witness")
        verbose_name_plural = _("log witnesses")

    def __str__(self):
        return self.name

    @property
    def key_id(self) -> str:
        return logkeys.key_id(base64.b64decode(self.public_key))


class WitnessCosignature(models.Model):
    """A witness's Ed25519 signature of one of our checkpoints."""

    checkpoint = models.ForeignKey(
        LogCheckpoint, on_delete=models.CASCADE, related_name="cosignatures"
    )
    witness = models.ForeignKey(
        LogWitness, on_delete=models.PROTECT, related_name="cosignatures"
    )
    signature = models.BinaryField(max_length=64)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("witness countersignature")
        verbose_name_plural = _("witness countersignatures")
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness"], name="one_cosignature_per_witness"
            ),
        ]

    def __str__(self):
        return f"{self.witness} on {self.checkpoint}"
