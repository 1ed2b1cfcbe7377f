"""Writes of the community app: typo reports and volunteer applications."""

from functools import partial

from django.conf import settings
from django.db import transaction

from appeals.antispam import Limit, hash_ip, within_limit
from community import tasks
from community.models import TypoReport, VolunteerApplication

TYPO_REPORTS_PER_CLIENT = Limit("typo_report", 10, 60 * 60)


class RateLimited(Exception):
    """Too many reports from one client: the reader is asked to wait."""


@transaction.atomic
def report_typo(*, data: dict, language: str, ip: str) -> TypoReport:
    """Save a reader's typo report; editors get an email if they asked for it."""
    if not within_limit(TYPO_REPORTS_PER_CLIENT, hash_ip(ip) or "unknown"):
        raise RateLimited
    report = TypoReport.objects.create(language=language, **data)
    if settings.TYPO_REPORT_EMAILS:
        transaction.on_commit(
            partial(tasks.send_typo_report_email.enqueue, report.pk), robust=True
        )
    return report


@transaction.atomic
def apply_to_volunteer(*, data: dict, language: str) -> VolunteerApplication:
    """Save an application and send the volunteer a confirmation."""
    application = VolunteerApplication.objects.create(language=language, **data)
    transaction.on_commit(
        partial(tasks.send_volunteer_confirmation.enqueue, application.pk),
        robust=True,
    )
    return application
