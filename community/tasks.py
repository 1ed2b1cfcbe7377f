from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from appeals.links import absolute_url
from community.models import TypoReport, VolunteerApplication


@task
def send_typo_report_email(report_id: int) -> None:
    """Tell the editors who asked for it about a new typo report."""
    report = TypoReport.objects.filter(pk=report_id).first()
    if report is None:
        return
    context = {
        "report": report,
        "site_name": settings.SITE_NAME,
        "page_url": absolute_url(report.page_url),
        "admin_url": absolute_url(
            reverse("admin:community_typoreport_change", args=[report.pk])
        ),
    }
    EmailMessage(
        subject=" ".join(
            render_to_string("community/email/typo_report_subject.txt", context).split()
        ),
        body=render_to_string("community/email/typo_report_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=settings.TYPO_REPORT_EMAILS,
    ).send()


@task
def send_volunteer_confirmation(application_id: int) -> None:
    application = VolunteerApplication.objects.filter(pk=application_id).first()
    if application is None:
        return
    context = {"site_name": settings.SITE_NAME}
    with translation.override(application.language):
        subject = render_to_string("community/email/volunteer_subject.txt", context)
        body = render_to_string("community/email/volunteer_body.txt", context)
    EmailMessage(
        subject=" ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[application.email],
    ).send()
