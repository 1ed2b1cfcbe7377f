"""Views, one module per concern; urls.py reaches them all through this package."""

from appeals.views.log import (
    log_checkpoints,
    log_consistency,
    log_entries,
    log_keys,
    log_proof,
    receipt,
    receipt_check,
    receipt_download,
)
from appeals.views.mydata import my_data, my_data_json, my_data_request
from appeals.views.pages import (
    AppealListView,
    appeal_detail,
    privacy,
    share_mastodon,
    signature_list,
)
from appeals.views.public_data import (
    appeal_feed,
    appeal_json,
    appeals_json,
    count_json,
    embed,
    robots_txt,
    share_card,
    short_link,
)
from appeals.views.signing import (
    check_email,
    confirm,
    organization_sign,
    organization_thanks,
    sign,
    thanks,
    withdraw,
    withdrawn,
)
from appeals.views.updates import unsubscribe, update_detail

__all__ = [
    "log_checkpoints",
    "log_consistency",
    "log_entries",
    "log_keys",
    "log_proof",
    "receipt",
    "receipt_check",
    "receipt_download",
    "AppealListView",
    "appeal_detail",
    "appeal_feed",
    "appeal_json",
    "appeals_json",
    "count_json",
    "embed",
    "robots_txt",
    "share_card",
    "short_link",
    "check_email",
    "confirm",
    "my_data",
    "my_data_json",
    "my_data_request",
    "organization_sign",
    "organization_thanks",
    "privacy",
    "sign",
    "share_mastodon",
    "signature_list",
    "thanks",
    "unsubscribe",
    "update_detail",
    "withdraw",
    "withdrawn",
]
