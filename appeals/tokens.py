"""The tokens in the links we email.

Confirming and withdrawing: a token names the kind of signature and its id, signed
with the secret key and a salt per purpose, so a withdrawal link can never confirm
and vice versa. Keys listed in SECRET_KEY_FALLBACKS still verify, so keys can
rotate.

A signer's data: a random token, kept only as its hash (see DataAccessLink), so
the link says nothing about the address it opens; the address is kept sealed
with a key derived from the token, which only the email holds.
"""

import base64
import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core import signing
from django.utils import timezone

from appeals.models import DataAccessLink, OrganizationSignature, Signature

CONFIRM_MAX_AGE = timedelta(days=7)

_MODEL_BY_KIND = {"p": Signature, "o": OrganizationSignature}
_KIND_BY_MODEL = {model: kind for kind, model in _MODEL_BY_KIND.items()}


class Purpose(StrEnum):
    CONFIRM = "confirm"
    WITHDRAW = "withdraw"
    UNSUBSCRIBE = "unsubscribe"
    RECEIPT = "receipt"


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


def make_data_access_token(email_normalized: str) -> str:
    """A new random token for a link to an address's data, valid for 24 hours."""
    token = secrets.token_urlsafe(32)
    nonce = secrets.token_bytes(12)
    sealed = _address_lock(token).encrypt(nonce, email_normalized.encode(), None)
    DataAccessLink.objects.create(
        token_hash=_token_hash(token),
        sealed_address=base64.b64encode(nonce + sealed).decode(),
        expires_at=timezone.now() + DATA_ACCESS_MAX_AGE,
    )
    return token


def read_data_access_token(token: str) -> str:
    """Return the address a data-access link was made for; raise if bad or old."""
    link = DataAccessLink.objects.filter(token_hash=_token_hash(token)).first()
    if link is None:
        raise InvalidToken
    if link.expires_at <= timezone.now():
        raise ExpiredToken
    sealed = base64.b64decode(link.sealed_address)
    try:
        address = _address_lock(token).decrypt(sealed[:12], sealed[12:], None)
    except InvalidTag as error:
        raise InvalidToken from error
    return address.decode()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _address_lock(token: str) -> AESGCM:
    """The cipher that seals a data link's address: its key comes from the token
    (another hash of it than the one stored), so only the email opens it."""
    return AESGCM(hashlib.sha256(f"appeals.data-access:{token}".encode()).digest())
