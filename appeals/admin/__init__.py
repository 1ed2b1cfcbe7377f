"""Staff work here: appeals and their workflow, moderation, exports, the mail queue."""

from appeals.admin import appeals, mail, signatures  # noqa: F401  (registers the admins)
