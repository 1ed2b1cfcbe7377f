"""The site around the appeals: typo reports and the "Join us" section.

A separate app because none of it is about appeals or signatures. What it borrows
from the appeals app is what that app means to share: the public form with its
spam traps and field helpers (appeals.forms), rate limits and client fingerprints
(appeals.antispam), the mail queue (appeals.services.queue_email and the
OutgoingEmail kinds) and absolute links (appeals.links). CSV files come from the
project's own appealsite.spreadsheets.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Site and volunteers")
