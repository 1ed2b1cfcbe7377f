"""Staff work here: appeals and their workflow, moderation, exports."""

from appeals.admin import appeals, signatures  # noqa: F401  (registers the admins)
