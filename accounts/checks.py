"""Start-up checks of the staff session settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_host_cookies(app_configs, **kwargs):
    """Refuse `__Host-` cookie names on cookies a browser would then drop.

    A browser keeps a `__Host-` cookie only if it is Secure, for Path=/ and without
    a Domain (so no subdomain can set or read it). Otherwise nobody could log in.
    """
    problems = []
    for prefix in ["SESSION", "CSRF"]:
        name = getattr(settings, f"{prefix}_COOKIE_NAME")
        if not name.startswith("__Host-"):
            continue
        secure = getattr(settings, f"{prefix}_COOKIE_SECURE")
        path = getattr(settings, f"{prefix}_COOKIE_PATH")
        domain = getattr(settings, f"{prefix}_COOKIE_DOMAIN")
        if not secure or path != "/" or domain:
            problems.append(
                Error(
                    f"{prefix}_COOKIE_NAME is {name!r}, but browsers drop such a "
                    "cookie unless it is Secure, for the path / and has no domain.",
                    hint=f"Set {prefix}_COOKIE_SECURE = True, {prefix}_COOKIE_PATH "
                    f'= "/" and {prefix}_COOKIE_DOMAIN = None, or drop the prefix.',
                    id="accounts.E001",
                )
            )
    return problems
