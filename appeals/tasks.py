"""Background work, run by the task worker (see README, "How signing works")."""

from django.tasks import task, task_backends
from django.tasks.backends.immediate import ImmediateBackend

from appeals import counting
from appeals.mail.mailer import send_queued


def run_in_request() -> bool:
    """Whether tasks run at once, inside the request that queues them.

    So in development and tests; production queues them for `manage.py db_worker`,
    and its mailer sends the queued emails (see appeals.mail).
    """
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
    return counting.fold_signature_counts()
