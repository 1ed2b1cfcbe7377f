"""Background work, run by the task worker (see README, "How signing works")."""

from django.apps import apps
from django.tasks import task

from appeals import counting, emails


@task
def send_signature_email(model_label: str, signature_id: int, message: str) -> None:
    """Email the signer; model_label is "appeals.signature" or the co-signature's."""
    model = apps.get_model(model_label)
    signature = model.objects.select_related("appeal").filter(pk=signature_id).first()
    if signature is None or not signature.email:
        return  # Withdrawn or deleted since: nobody to write to.
    emails.send_signature_email(signature, emails.Message(message))


# A queue of its own: the count must not wait behind a backlog of emails.
@task(queue_name="counts")
def fold_signature_counts() -> int:
    return counting.fold_signature_counts()


@task
def send_data_access_email(address: str, language: str) -> None:
    emails.send_data_access_email(address, language)
