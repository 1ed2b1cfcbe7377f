"""Writes that touch several rows or have side effects. Views and admin call these."""

from django.db import transaction
from django.db.models import Count, Q

from appeals.models import Appeal, Signature


@transaction.atomic
def recount_signatures(
    *, appeals: "list[Appeal] | None" = None
) -> list[tuple[Appeal, int, int]]:
    """Recompute each appeal's stored count from its rows; return what was corrected.

    Each item is (appeal, stored count, true count) for an appeal whose stored count
    had drifted and has now been fixed.
    """
    queryset = Appeal.objects.annotate(
        true_count=Count(
            "signatures", filter=Q(signatures__status=Signature.Status.CONFIRMED)
        )
    )
    if appeals is not None:
        queryset = queryset.filter(pk__in=[appeal.pk for appeal in appeals])
    corrected = []
    for appeal in queryset.order_by("pk"):
        if appeal.signature_count != appeal.true_count:
            corrected.append((appeal, appeal.signature_count, appeal.true_count))
            Appeal.objects.filter(pk=appeal.pk).update(
                signature_count=appeal.true_count
            )
    return corrected
