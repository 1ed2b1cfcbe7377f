"""Background work, run by the task worker (see README, "How signing works")."""

from django.tasks import task, task_backends
from django.tasks.backends.immediate import ImmediateBackend

from appeals import counting, emails, outbox


def run_in_request() -> bool:
    """Whether tasks run at once, inside the request that queues them.

    So in development and tests; production queues them for `manage.py db_worker`,
    and the mailer sends the emails signatures owe (see appeals.outbox).
    """
    return isinstance(task_backends["default"], ImmediateBackend)


@task
def send_due_signature_emails() -> int:
    """Send the emails signature rows owe (confirmation links, "already signed")."""
    return outbox.send_due_emails()


# A queue of its own: the count must not wait behind a backlog of emails.
@task(queue_name="counts")
def fold_signature_counts() -> int:
    return counting.fold_signature_counts()


@task
def send_data_access_email(address: str, language: str) -> None:
    emails.send_data_access_email(address, language)
