"""Writes of the community app: typo reports and volunteer applications."""

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from appeals.antispam import Limit, hash_ip, within_limit
from appeals.links import absolute_url
from appeals.models import OutgoingEmail
from appeals.services.emails import queue_email
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
        admin_path = reverse("admin:community_typoreport_change", args=[report.pk])
        queue_email(
            kind=OutgoingEmail.Kind.TYPO_REPORT,
            template="community/email/typo_report",
            context={
                "report": report,
                "page_url": absolute_url(report.page_url),
                "admin_url": absolute_url(admin_path),
            },
            language=settings.LANGUAGE_CODE,
            to=settings.TYPO_REPORT_EMAILS,
        )
    return report


@transaction.atomic
def apply_to_volunteer(*, data: dict, language: str) -> VolunteerApplication:
    """Save an application and send the volunteer a confirmation."""
    application = VolunteerApplication.objects.create(language=language, **data)
    queue_email(
        kind=OutgoingEmail.Kind.VOLUNTEER,
        template="community/email/volunteer",
        context={},
        language=language,
        to=[application.email],
    )
    return application


def set_status(
    *,
    items: QuerySet[TypoReport] | QuerySet[VolunteerApplication],
    status: TypoReport.Status | VolunteerApplication.Status,
) -> int:
    """Give typo reports or volunteer applications a status (staff's triage)."""
    return items.update(status=status)
