"""Print a new signature log key, or the public key of the one in use."""

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from django.core.management.base import BaseCommand

from appeals import logkeys


class Command(BaseCommand):
    help = (
        "Print the signature log's public key and its id; with --generate, a new "
        "private key for SIGNATURE_LOG_KEY (docs/deploy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true")

    def handle(self, *args, generate=False, **options):
        if generate:
            raw = Ed25519PrivateKey.generate().private_bytes(
                Encoding.Raw, PrivateFormat.Raw, NoEncryption()
            )
            self.stdout.write(f"SIGNATURE_LOG_KEY={base64.b64encode(raw).decode()}")
            return
        key = logkeys.current_key()
        self.stdout.write(f"public key {key.base64}\nkey id     {key.key_id}")
