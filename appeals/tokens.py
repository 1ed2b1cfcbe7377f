"""Signed links for confirming and withdrawing a signature.

A token names the kind of signature and its id, signed with the secret key and a
salt per purpose, so a withdrawal link can never confirm and vice versa. Keys
listed in SECRET_KEY_FALLBACKS still verify, so keys can rotate.
"""

from datetime import timedelta
from enum import StrEnum

from django.core import signing

from appeals.models import OrganizationSignature, Signature

CONFIRM_MAX_AGE = timedelta(days=7)

_MODEL_BY_KIND = {"p": Signature, "o": OrganizationSignature}
_KIND_BY_MODEL = {model: kind for kind, model in _MODEL_BY_KIND.items()}


class Purpose(StrEnum):
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"


class InvalidToken(Exception):
    """The link was tampered with, mistyped or made for another purpose."""


class ExpiredToken(InvalidToken):
    """The link was real but is too old for its purpose."""


def make_token(signature: Signature | OrganizationSignature, purpose: Purpose) -> str:
    payload = [_KIND_BY_MODEL[type(signature)], signature.pk]
    return signing.dumps(payload, salt=_salt(purpose))


def read_token(token: str, purpose: Purpose) -> Signature | OrganizationSignature:
    """Return the signature a token names; raise InvalidToken or ExpiredToken."""
    max_age = CONFIRM_MAX_AGE if purpose == Purpose.CONFIRM else None
    try:
        kind, pk = signing.loads(token, salt=_salt(purpose), max_age=max_age)
        model = _MODEL_BY_KIND[kind]
        return model.objects.select_related("appeal").get(pk=pk)
    except signing.SignatureExpired as error:
        raise ExpiredToken from error
    except (signing.BadSignature, ValueError, TypeError, KeyError) as error:
        raise InvalidToken from error
    except (Signature.DoesNotExist, OrganizationSignature.DoesNotExist) as error:
        raise InvalidToken from error


def _salt(purpose: Purpose) -> str:
    return f"appeals.signature.{purpose}"


DATA_ACCESS_MAX_AGE = timedelta(hours=24)
_DATA_ACCESS_SALT = "appeals.data-access"


def make_data_access_token(email_normalized: str) -> str:
    return signing.dumps(email_normalized, salt=_DATA_ACCESS_SALT)


def read_data_access_token(token: str) -> str:
    """Return the address a data-access link was made for; raise if bad or old."""
    try:
        return signing.loads(token, salt=_DATA_ACCESS_SALT, max_age=DATA_ACCESS_MAX_AGE)
    except signing.SignatureExpired as error:
        raise ExpiredToken from error
    except signing.BadSignature as error:
        raise InvalidToken from error
