"""An appeal's exports for staff: the delivery CSV, the CSV with emails, the
printable delivery document; each one recorded in the export log."""

from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from appeals import exports, services
from appeals.models import Appeal, ExportLog
from appeals.services import signature_log
from appealsite.spreadsheets import csv_bytes


class AppealExportsMixin:
    """The export views of the appeal admin (their URLs are in its get_urls)."""

    def _export(self, request, pk, *, permission, kind, rows, filename):
        if not request.user.has_perm(permission):
            raise PermissionDenied
        appeal = get_object_or_404(Appeal, pk=pk)
        services.log_export(user=request.user, appeal=appeal, kind=kind)
        response = StreamingHttpResponse(
            csv_bytes(rows(appeal)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{appeal.slug}-{filename}.csv"'
        )
        return response

    def delivery_csv_view(self, request, pk):
        return self._export(
            request,
            pk,
            permission="appeals.export_signatures",
            kind=ExportLog.Kind.DELIVERY_CSV,
            rows=exports.delivery_rows,
            filename="signatures",
        )

    def emails_csv_view(self, request, pk):
        appeal = get_object_or_404(
            Appeal.objects.select_related("translation_of"), pk=pk
        )
        if appeal.original.is_high_risk:
            # Its confirmed signatures keep no address anyway; nor do we make one
            # list of those that do (the signers who asked for updates).
            raise PermissionDenied
        return self._export(
            request,
            pk,
            permission="appeals.export_signer_emails",
            kind=ExportLog.Kind.EMAILS_CSV,
            rows=exports.email_rows,
            filename="signatures-with-emails",
        )

    def delivery_document_view(self, request, pk):
        if not request.user.has_perm("appeals.export_signatures"):
            raise PermissionDenied
        appeal = get_object_or_404(Appeal.objects.with_authors(), pk=pk)
        services.log_export(
            user=request.user, appeal=appeal, kind=ExportLog.Kind.DELIVERY_DOCUMENT
        )
        with translation.override(appeal.language):
            public_address = appeal.canonical_url if appeal.is_public else ""
        # The delivered count is that of a signed checkpoint of the log.
        checkpoint = signature_log.checkpoint_now(appeal=appeal)
        rendered = render_to_string(
            "admin/appeals/appeal/delivery_document.html",
            {
                "appeal": appeal,
                "checkpoint": checkpoint,
                "checkpoint_data": signature_log.checkpoint_data(checkpoint),
                "checkpoints_url": signature_log.checkpoints_url(appeal),
                "names": mark_safe(exports.NAMES_PLACEHOLDER),
                "cosignatures": appeal.organization_signatures.public().order_by("pk"),
                "signature_count": checkpoint.signature_count,
                "hidden_count": exports.hidden_signature_count(appeal),
                "countries": exports.signatures_by_country(appeal),
                "digest": exports.DIGEST_PLACEHOLDER,
                "public_address": public_address,
                "generated_at": timezone.now(),
            },
            request=request,
        )
        return StreamingHttpResponse(
            exports.delivery_document(appeal, rendered),
            content_type="text/html; charset=utf-8",
        )
