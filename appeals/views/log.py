"""The signature log in public: checkpoints, proofs, entries, keys, receipts."""

import base64
import binascii
import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from appeals import localcache, logkeys, opendata, services
from appeals.forms import ReceiptCheckForm
from appeals.links import absolute_url
from appeals.models import Appeal, LogEntry, LogWitness, Signature
from appeals.pagecache import public_cache
from appeals.receipts import (
    BadReceipt,
    check_receipt,
    read_code,
    receipt_file,
    receipt_of,
)
from appeals.services import signature_log
from appeals.tokens import Purpose, make_token
from appeals.views.common import (
    public_appeal,
    redirect_from_former_address,
    signature_link,
)
from appeals.views.public_data import json_error
from appealsite.crosssite import public_form
from appealsite.languages import language_neutral

CHECKPOINTS_SHOWN = 1000
ENTRIES_PER_REQUEST = 10_000


def _json(request, data: dict, *, last_modified=None) -> HttpResponse:
    return opendata.json_response(request, data, last_modified=last_modified)


def log_of_appeal(view_name: str):
    """Hand a proof view the id of the appeal whose log it reads.

    Looked up once a second per process: proofs are what an auditor's script
    asks for by the thousand (README "How to check our counts").
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, slug):
            appeal_id = localcache.get_or_set(
                f"appeals:log-appeal:{slug}",
                localcache.SIGNABLE_APPEAL_SECONDS,
                lambda: _original_id(slug),
            )
            if appeal_id is None:
                return redirect_from_former_address(
                    request, slug, view_name, appeals=Appeal.objects.published()
                )
            return view(request, appeal_id)

        return wrapper

    return decorator


def _original_id(slug: str) -> int | None:
    appeal = Appeal.objects.published().at_address(slug)
    return appeal.original.pk if appeal else None


def _whole_numbers(request, *names: str) -> list[int] | JsonResponse:
    values = []
    for name in names:
        value = request.GET.get(name, "")
        if not value.isascii() or not value.isdigit() or len(value) > 15:
            return json_error(
                _("%(name)s must be a whole number, 0 or more.") % {"name": name}
            )
        values.append(int(value))
    return values


@language_neutral
@require_safe
@public_appeal("data:log_checkpoints")
def log_checkpoints(request, appeal):
    """The appeal's signed checkpoints, newest first."""
    original = appeal.original
    checkpoints = list(
        original.log_checkpoints.prefetch_related("cosignatures__witness")[
            :CHECKPOINTS_SHOWN
        ]
    )
    data = {
        "appeal": original.slug,
        "origin": signature_log.checkpoint_origin(original.pk),
        "keys": absolute_url(reverse("log_keys")),
        "checkpoints": [signature_log.checkpoint_data(c) for c in checkpoints],
    }
    return _json(
        request, data, last_modified=checkpoints[0].made_at if checkpoints else None
    )


@language_neutral
@require_safe
@log_of_appeal("data:log_proof")
def log_proof(request, appeal_id):
    """An inclusion proof: ?index=<entry>&size=<a checkpoint's tree size>."""
    numbers = _whole_numbers(request, "index", "size")
    if isinstance(numbers, JsonResponse):
        return numbers
    index, size = numbers
    if index >= size:
        return json_error(_("index must be smaller than size."))
    try:
        proof = signature_log.inclusion_proof(appeal_id, index=index, size=size)
    except signature_log.LogTooShort:
        return json_error(_("The log is not that long yet."))
    entry = LogEntry.objects.select_related("refers_to").get(
        appeal_id=appeal_id, index=index
    )
    data = {
        "index": index,
        "size": size,
        "entry": entry.entry_line(),
        "proof": [value.hex() for value in proof],
    }
    return _json(request, data)


@language_neutral
@require_safe
@log_of_appeal("data:log_consistency")
def log_consistency(request, appeal_id):
    """A consistency proof: ?from=<older tree size>&to=<newer tree size>."""
    numbers = _whole_numbers(request, "from", "to")
    if isinstance(numbers, JsonResponse):
        return numbers
    old, new = numbers
    if old > new:
        return json_error(_("from must not be larger than to."))
    try:
        proof = signature_log.consistency_proof(appeal_id, old=old, new=new)
    except signature_log.LogTooShort:
        return json_error(_("The log is not that long yet."))
    data = {"from": old, "to": new, "proof": [value.hex() for value in proof]}
    return _json(request, data)


@language_neutral
@require_safe
@log_of_appeal("data:log_entries")
def log_entries(request, appeal_id):
    """The entries [start, end) as text, one a line, at most 10,000 at a time."""
    numbers = _whole_numbers(request, "start", "end")
    if isinstance(numbers, JsonResponse):
        return numbers
    start, end = numbers
    if not start <= end <= start + ENTRIES_PER_REQUEST:
        return json_error(
            _("Ask for at most %(count)s entries, from start to end.")
            % {"count": ENTRIES_PER_REQUEST}
        )
    entries = (
        LogEntry.objects.filter(appeal_id=appeal_id, index__gte=start, index__lt=end)
        .select_related("refers_to")
        .order_by("index")
    )
    body = "".join(f"{entry.entry_line()}\n" for entry in entries)
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    public_cache(response, fresh_seconds=settings.PAGE_FRESH_SECONDS)
    return response


@language_neutral
@require_safe
def log_keys(request):
    """The public keys that sign checkpoints: the current one, then retired ones."""
    keys = [logkeys.current_key(), *logkeys.retired_keys()]
    data = {
        "algorithm": "Ed25519",
        "keys": [
            {
                "key_id": key.key_id,
                "public_key": key.base64,
                "valid_from": key.valid_from,
                "valid_until": key.valid_until,
            }
            for key in keys
        ],
        "witnesses": [
            {
                "name": witness.name,
                "key_id": witness.key_id,
                "public_key": witness.public_key,
                "is_active": witness.is_active,
            }
            for witness in LogWitness.objects.order_by("name")
        ],
    }
    return _json(request, data)


@language_neutral
@csrf_exempt  # Not a browser's form: the witness's signature is its proof.
@require_POST
@public_appeal("data:log_cosign")
def log_cosign(request, appeal):
    """Take a witness's countersignature: JSON {"note", "key_id", "signature"}."""
    try:
        body = json.loads(request.body)
        signature = base64.b64decode(body["signature"], validate=True)
        services.record_cosignature(
            appeal=appeal, note=body["note"], key_id=body["key_id"], signature=signature
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        return json_error(_("Send JSON with the note, your key_id and signature."))
    except ValidationError as error:
        return json_error(" ".join(error.messages))
    return JsonResponse({"ok": True})


@never_cache
@require_safe
@signature_link(Purpose.RECEIPT)
def receipt(request, signature):
    """A signer's receipt page: the code, the file, and where to check it."""
    return render(request, "appeals/receipt.html", receipt_context(signature))


@never_cache
@require_safe
@signature_link(Purpose.RECEIPT)
def receipt_download(request, signature):
    context = receipt_context(signature)
    if context["receipt"] is None:
        return render(request, "appeals/receipt.html", context, status=404)
    response = JsonResponse(
        receipt_file(signature.appeal, context["receipt"]),
        json_dumps_params={"indent": 2},
    )
    filename = f"receipt-{signature.appeal.original.slug}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def receipt_context(signature) -> dict:
    """The receipt of a person's signature, or None while it is being appended."""
    if not isinstance(signature, Signature):
        raise Http404  # Organizations' co-signatures are not in the count's log.
    entry = (
        signature.log_entries.filter(kind=LogEntry.Kind.ADDED).order_by("pk").first()
    )
    return {
        "appeal": signature.appeal,
        "receipt": receipt_of(entry) if entry else None,
        "token": make_token(signature, Purpose.RECEIPT),
    }


@public_form
@require_http_methods(["GET", "HEAD", "POST"])
@public_appeal("appeals:receipt_check")
def receipt_check(request, appeal):
    """Check a receipt code against the latest signed checkpoint (no JavaScript)."""
    form = ReceiptCheckForm(request.POST if request.method == "POST" else None)
    context = {
        "appeal": appeal,
        "form": form,
        "latest": signature_log.latest_checkpoint(appeal),
    }
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                receipt = read_code(form.cleaned_data["code"])
            except BadReceipt as error:
                form.add_error("code", str(error))
                status = 400
            else:
                context["receipt"] = receipt
                context["result"] = check_receipt(appeal, receipt)
        else:
            status = 400
    return render(request, "appeals/receipt_check.html", context, status=status)
