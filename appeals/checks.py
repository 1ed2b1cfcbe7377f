"""Deployment checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from appeals.services import tasks

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"


@register(Tags.security, deploy=True)
def check_deployment(app_configs, **kwargs):
    problems = []
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE or not settings.SECURE_CSP:
        problems.append(
            Warning(
                "The Content-Security-Policy header is not sent.",
                hint=f"Keep {CSP_MIDDLEWARE} in MIDDLEWARE and SECURE_CSP set.",
                id="appeals.W001",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        problems.append(
            Warning(
                "SITE_URL is not an https:// address: links in emails would send "
                "signers to an unencrypted page.",
                hint="Set SITE_URL=https://your.domain",
                id="appeals.W002",
            )
        )
    key = settings.SECRET_KEY
    if len(key) < 50 or len(set(key)) < 10 or key.startswith("django-insecure"):
        problems.append(
            Warning(
                "DJANGO_SECRET_KEY is weak: it signs every confirmation and "
                "withdrawal link.",
                hint="Use 50 or more random characters: python -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'",
                id="appeals.W003",
            )
        )
    if tasks.run_in_request():
        problems.append(
            Warning(
                "Tasks run inside web requests: a slow mail server slows signing.",
                hint="Set TASKS_BACKEND=database and run `manage.py db_worker` and "
                "`manage.py send_due_emails --watch`.",
                id="appeals.W004",
            )
        )
    return problems


@register()
def check_signature_log_key(app_configs, **kwargs):
    """A key that does not parse would fail the first checkpoint, not start-up."""
    from django.core.checks import Error
    from django.core.exceptions import ImproperlyConfigured

    from appeals import logkeys

    try:
        logkeys.current_key()
        logkeys.retired_keys()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="appeals.E010")]
    return []
