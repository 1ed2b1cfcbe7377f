"""Staff accounts: login lockout and two-factor authentication for the admin.

A separate app because it guards the admin as a whole, whatever the admin manages;
appeals knows nothing of it.
"""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff accounts")


class StaffAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served by our site that enforces lockout and 2FA."""

    default = False
    default_site = "accounts.admin_site.StaffAdminSite"
