"""Counts and states through the admin and pages: deletions, Redis down."""

import pytest
from django.tasks import TaskResultStatus
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from appeals.models import Appeal, OrganizationSignature, Signature, SignatureCountDelta
from appeals.services.counting import fold_signature_counts, recount_signatures
from appeals.tokens import Purpose, make_token
from tests.factories import make_appeal, make_signature
from tests.services.helpers import make_cosignature


def stored_count(appeal) -> int:
    return Appeal.objects.values_list("signature_count", flat=True).get(pk=appeal.pk)


# --- 1. Deleting a signature takes it off the count ---------------------------


@pytest.fixture
def counted_appeal(db):
    """An appeal with two confirmed signatures and one pending, counted exactly."""
    appeal = make_appeal()
    for _ in range(2):
        make_signature(appeal)
    make_signature(appeal, status="pending")
    recount_signatures()
    assert stored_count(appeal) == 2
    return appeal


def test_a_superuser_deleting_a_confirmed_signature_takes_it_off_the_count(
    staff_client, counted_appeal
):
    signature = counted_appeal.signatures.confirmed().first()

    response = staff_client.post(
        reverse("admin:appeals_signature_delete", args=[signature.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Signature.objects.filter(pk=signature.pk).exists()
    assert Appeal.objects.get(pk=counted_appeal.pk).current_signature_count() == 1
    fold_signature_counts()
    assert stored_count(counted_appeal) == 1
    assert recount_signatures() == []


def test_deleting_signatures_in_bulk_takes_the_confirmed_ones_off_the_count(
    staff_client, counted_appeal
):
    everyone = list(counted_appeal.signatures.values_list("pk", flat=True))

    response = staff_client.post(
        reverse("admin:appeals_signature_changelist"),
        {"action": "delete_selected", "_selected_action": everyone, "post": "yes"},
    )

    assert response.status_code == 302
    assert not counted_appeal.signatures.exists()
    fold_signature_counts()
    assert stored_count(counted_appeal) == 0
    assert recount_signatures() == []


def test_a_superuser_can_delete_co_signatures(staff_client, counted_appeal):
    cosignature = make_cosignature(counted_appeal)

    response = staff_client.post(
        reverse("admin:appeals_organizationsignature_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [cosignature.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not OrganizationSignature.objects.exists()
    assert not SignatureCountDelta.objects.exists()
    assert stored_count(counted_appeal) == 2


# --- 2. Confirming does not depend on Redis -----------------------------------


@pytest.fixture
def redis_down(settings):
    """The shared cache is Redis, and nothing answers at its address."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_queue", "redis_down")
def test_confirming_while_redis_is_down_confirms_and_queues_the_fold():
    appeal = make_appeal()
    signature = make_signature(appeal, status="pending")
    url = reverse(
        "appeals:confirm", kwargs={"token": make_token(signature, Purpose.CONFIRM)}
    )

    response = Client(raise_request_exception=False).post(url)

    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert appeal.current_signature_count() == 1
    [fold] = DBTaskResult.objects.all()
    assert fold.task_path == "appeals.services.tasks.fold_signature_counts"
    assert fold.status == TaskResultStatus.READY
