"""Background work, run by the task worker (see README, "How signing works")."""

from django.tasks import task

from appeals import counting, emails, outbox


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
