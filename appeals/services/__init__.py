"""Writes that touch several rows or have side effects: views and the admin call these.

- signing: signing and co-signing, confirming, withdrawing, and the count changes
  they make.
- publishing: an appeal's workflow (publish, close, archive, reopen), former slugs.
- moderation: rejecting, restoring, releasing, deleting signatures; comments;
  organizations' co-signatures.
- mydata: a signer's link to their own data.
- delivery: the export log and delivery events.
- emails: queueing an email in the transaction of what it is about (appeals.mail
  sends it).
- counting: folding count changes into the stored count, recounting.
- retention: erasing what is kept no longer than needed (daily).
- signature_log: the append-only log of every count change, its signed
  checkpoints, proofs and witnesses' countersignatures.
- highrisk: high-risk appeals' addresses, their keyed codes and keys (see there).
- mirror: the static copy of the site, written, packed and recorded
  (appeals.mirror).
- tasks: background work, and the one place that knows development (tasks run in
  the request) from production (a worker and a mailer run beside it).

Every function is keyword-only and typed; each is importable from here.
"""

from appeals.services.delivery import log_export, save_delivery_event
from appeals.services.emails import queue_email, retry_emails
from appeals.services.highrisk import turn_on_high_risk
from appeals.services.mirror import export_mirror
from appeals.services.moderation import (
    approve_organization_signatures,
    delete_signatures,
    reject_organization_signatures,
    reject_signatures,
    release_signatures,
    restore_signatures,
    set_comment_status,
)
from appeals.services.mydata import request_data_access, signatures_of
from appeals.services.publishing import (
    TRANSITIONS,
    archive_appeal,
    close_appeal,
    publish_appeal,
    record_former_slug,
    reopen_appeal,
)
from appeals.services.signature_log import record_cosignature
from appeals.services.signing import (
    MAX_EMAILS_PER_ADDRESS_PER_DAY,
    REFUSALS,
    confirm_signature,
    cosign_appeal,
    resend_confirmation,
    sign_appeal,
    withdraw_signature,
)

__all__ = [
    "MAX_EMAILS_PER_ADDRESS_PER_DAY",
    "REFUSALS",
    "TRANSITIONS",
    "approve_organization_signatures",
    "archive_appeal",
    "close_appeal",
    "confirm_signature",
    "cosign_appeal",
    "delete_signatures",
    "export_mirror",
    "log_export",
    "publish_appeal",
    "queue_email",
    "record_cosignature",
    "record_former_slug",
    "reject_organization_signatures",
    "reject_signatures",
    "release_signatures",
    "reopen_appeal",
    "request_data_access",
    "resend_confirmation",
    "restore_signatures",
    "save_delivery_event",
    "retry_emails",
    "set_comment_status",
    "sign_appeal",
    "signatures_of",
    "turn_on_high_risk",
    "withdraw_signature",
]
