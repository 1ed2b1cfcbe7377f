"""Staff work here: appeals and their workflow, moderation, exports, the mail queue,
updates to signers, the archives of the static copy."""

from appeals.admin import (  # noqa: F401  (registers the admins)
    appeals,
    log,
    mail,
    mirror,
    signatures,
    updates,
)
