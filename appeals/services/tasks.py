"""Background work, and the one place that knows development from production.

With TASKS_BACKEND=immediate (development, tests) a task runs inside the request
that queues it, and emails go out at once; in production tasks wait in the
database for `manage.py db_worker`, and the mailer sends queued emails by itself
(README, "The task worker and the mailer"). Services call what is here and never
ask which of the two it is.
"""

from datetime import timedelta

from django.db import transaction
from django.tasks import TaskResultStatus, task, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appeals.mail.mailer import send_queued
from appeals.models import Appeal
from appeals.services import counting, signature_log


def run_in_request() -> bool:
    """Whether tasks run at once, inside the request that queues them."""
    return isinstance(task_backends["default"], ImmediateBackend)


def send_mail_in_request() -> None:
    """Where no mailer runs (development, tests), send what is queued right here.

    Production's mailer finds queued emails by itself within a second.
    """
    if run_in_request():
        send_queued()


# A queue of its own: the count must not wait behind a backlog of emails.
@task(queue_name="counts")
def fold_signature_counts() -> int:
    """Append the log entries of the count changes, then fold the changes.

    In that order the log is never behind the stored count; new entries get a
    signed checkpoint within the hour (appeals.services.signature_log).
    """
    if appeal_ids := signature_log.append_pending():
        signature_log.checkpoint_due_logs(appeal_ids=appeal_ids)
        _checkpoint_later()
        send_mail_in_request()  # The new signers' receipts.
    return counting.fold_signature_counts()


@task(queue_name="counts")
def checkpoint_logs() -> int:
    return len(signature_log.checkpoint_due_logs())


def _checkpoint_later() -> None:
    """Have the entries of the last hour signed even if no more come.

    Development has no worker to run it later: `manage.py checkpoint_logs` does.
    """
    if run_in_request() or _waiting(checkpoint_logs):
        return
    run_after = timezone.now() + signature_log.CHECKPOINT_INTERVAL
    checkpoint_logs.using(run_after=run_after).enqueue()


def fold_counts_soon() -> None:
    """Have the count changes of this transaction folded within seconds.

    Called inside the transaction that records the changes: the fold is queued
    (in the database, like them) exactly when they are saved, and Redis plays no
    part. One fold per window, however many changes come in: a change made while
    a fold waits to run is folded by that run.
    """
    if run_in_request():
        # Development and tests: fold right away, once the changes are saved.
        transaction.on_commit(fold_signature_counts.enqueue)
    elif _fold_waiting():
        # Should a worker take that fold before this transaction commits, it would
        # not see these changes: look again once they are committed.
        transaction.on_commit(_queue_fold_unless_waiting, robust=True)
    else:
        _queue_fold()


def _fold_waiting() -> bool:
    """Whether a fold is queued and no worker has taken it yet."""
    return _waiting(fold_signature_counts)


def _waiting(queued_task) -> bool:
    return DBTaskResult.objects.filter(
        task_path=queued_task.module_path, status=TaskResultStatus.READY
    ).exists()


def _queue_fold_unless_waiting() -> None:
    if not _fold_waiting():
        _queue_fold()


def _queue_fold() -> None:
    run_after = timezone.now() + timedelta(seconds=counting.COUNT_REFRESH_SECONDS)
    fold_signature_counts.using(run_after=run_after).enqueue()


@task()
def finish_turning_on_high_risk(appeal_id: int) -> int:
    """Hash what a large appeal's signatures stored (services.highrisk)."""
    from appeals.services import highrisk  # It queues this task.

    return highrisk.finish_turning_on_high_risk(appeal=Appeal.objects.get(pk=appeal_id))
