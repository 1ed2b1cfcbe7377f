"""The admin's home page: what waits for staff, and how signing goes this week.

In the project package rather than in one app because it gathers the queues of
several (appeals' moderation and mail queue, community's reports and volunteers),
as urls.py gathers their pages. Each count is one query on a small index; the
chart, one grouped query over the week's signatures, is kept a minute.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from appeals import localcache
from appeals.activity import signing_activity
from appeals.models import OrganizationSignature, OutgoingEmail, Signature
from community.models import TypoReport, VolunteerApplication


@dataclass
class Task:
    label: str
    count: int
    url: str


def _queues() -> list[tuple[str, QuerySet, str]]:
    """What waits for someone: its name, its rows, the admin list filtered to them."""
    return [
        (
            _("Comments awaiting moderation"),
            Signature.objects.awaiting_moderation(),
            "comment_status__exact=pending",
        ),
        (
            _("Quarantined signatures"),
            Signature.objects.quarantined(),
            "status__exact=quarantined",
        ),
        (
            _("Co-signatures awaiting approval"),
            OrganizationSignature.objects.awaiting_approval(),
            "queue=awaiting",
        ),
        (
            _("New typo reports"),
            TypoReport.objects.filter(status=TypoReport.Status.NEW),
            "status__exact=new",
        ),
        (
            _("New volunteers"),
            VolunteerApplication.objects.filter(status=VolunteerApplication.Status.NEW),
            "status__exact=new",
        ),
        (
            _("Failed emails"),
            OutgoingEmail.objects.filter(state=OutgoingEmail.State.FAILED),
            "state__exact=failed",
        ),
    ]


def tasks_for(user) -> list[Task]:
    """The queues this staff member may see, each with its count and its list."""
    tasks = []
    for label, rows, query in _queues():
        opts = rows.model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        tasks.append(Task(label=label, count=rows.count(), url=f"{url}?{query}"))
    return tasks


def home_context(request) -> dict:
    user = request.user
    return {
        "tasks": tasks_for(user),
        "activity": (
            localcache.get_or_set(
                "admin-home:signing-activity",
                localcache.SIGNING_ACTIVITY_SECONDS,
                signing_activity,
            )
            if user.has_perm("appeals.view_signature")
            else []
        ),
    }
