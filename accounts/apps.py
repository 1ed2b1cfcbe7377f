"""Staff accounts: login lockout, two-factor authentication, sessions that end.

A separate app because it guards the admin as a whole, whatever the admin manages;
appeals knows nothing of it. It borrows from appeals the client address and its
daily fingerprint (antispam.client_ip, hash_ip) and the shared-cache counters
(sharedcache.increment), so that a login is counted the way a signature is. Its
admin site shows, as its home page, what appealsite.admin_home gathers.
"""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self):
        from accounts import checks  # noqa: F401  (registers the cookie check)


class StaffAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served by our site that enforces lockout and 2FA."""

    default = False
    default_site = "accounts.admin_site.StaffAdminSite"
