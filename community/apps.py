"""The site around the appeals: typo reports and the "Join us" section.

A separate app because none of it is about appeals or signatures; it only borrows
the appeals app's spam protection (traps, rate limits, IP fingerprints), its mail
queue (appeals.services.queue_email) and absolute links.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Site and volunteers")
