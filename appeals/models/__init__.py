from appeals.models.appeals import (
    CONFIRMATION_GRACE_AFTER_CLOSING,
    Appeal,
    AppealQuerySet,
    AppealSlug,
    Authorship,
    Organization,
    SigningState,
)
from appeals.models.delivery import (
    DeliveryEvent,
    ExportLog,
    ResponseClock,
    ResponseStatus,
)
from appeals.models.log import (
    LogCheckpoint,
    LogEntry,
    LogNode,
    LogWitness,
    WitnessCosignature,
)
from appeals.models.mail import OutgoingEmail
from appeals.models.mirror import MirrorExport
from appeals.models.signatures import (
    PRIVACY_NOTICE_VERSION,
    OrganizationSignature,
    Signature,
    SignatureCountDelta,
    normalize_email,
)
from appeals.models.site import DataAccessLink, IPHashKey, SiteSettings
from appeals.models.updates import Update, UpdateText

__all__ = [
    "CONFIRMATION_GRACE_AFTER_CLOSING",
    "PRIVACY_NOTICE_VERSION",
    "ResponseClock",
    "ResponseStatus",
    "Appeal",
    "AppealQuerySet",
    "AppealSlug",
    "DataAccessLink",
    "Authorship",
    "DeliveryEvent",
    "ExportLog",
    "IPHashKey",
    "LogCheckpoint",
    "LogEntry",
    "LogNode",
    "LogWitness",
    "WitnessCosignature",
    "MirrorExport",
    "Organization",
    "OutgoingEmail",
    "OrganizationSignature",
    "Signature",
    "SignatureCountDelta",
    "SigningState",
    "SiteSettings",
    "Update",
    "UpdateText",
    "normalize_email",
]
