"""The site's Ed25519 key that signs the signature log's checkpoints.

SIGNATURE_LOG_KEY holds the private key (base64 of its 32 raw bytes); the public
keys, the current one and those retired with the dates they signed, are published
at /.well-known/appealsite-log-keys.json and listed in the README. A key is named
by its id: the first 16 hex digits of the SHA-256 of its raw public key.
"""

import base64
import binascii
import functools
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PublicKey:
    raw: bytes
    valid_from: str | None = None
    valid_until: str | None = None

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.raw).decode()


def key_id(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


@functools.cache
def _private_key(encoded: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(encoded, validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured(
            "SIGNATURE_LOG_KEY must be base64 of 32 bytes "
            "(python manage.py signature_log_key --generate)"
        ) from error


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.SIGNATURE_LOG_KEY)


def current_key() -> PublicKey:
    raw = private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    retired = retired_keys()
    since = max((key.valid_until for key in retired if key.valid_until), default=None)
    return PublicKey(raw=raw, valid_from=since)


def retired_keys() -> list[PublicKey]:
    keys = []
    for item in settings.SIGNATURE_LOG_RETIRED_KEYS:
        encoded, _colon, dates = item.strip().partition(":")
        valid_from, _colon, valid_until = dates.partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ImproperlyConfigured(
                f"SIGNATURE_LOG_RETIRED_KEYS: {encoded!r} is not base64"
            ) from error
        keys.append(
            PublicKey(raw=raw, valid_from=valid_from or None, valid_until=valid_until)
        )
    return keys


def sign(message: bytes) -> tuple[str, bytes]:
    """Sign with the current key; return its id and the signature."""
    return current_key().key_id, private_key().sign(message)


def verify(message: bytes, signature: bytes, *, signed_by: str) -> bool:
    """Whether one of our keys, current or retired, made this signature."""
    for key in [current_key(), *retired_keys()]:
        if key.key_id == signed_by:
            try:
                Ed25519PublicKey.from_public_bytes(key.raw).verify(signature, message)
            except InvalidSignature:
                return False
            return True
    return False
