"""scripts/verify_receipt.py: the standard library only, accepting what is honest
and refusing a changed, dropped or reordered log and a forged signature."""

import base64
import importlib.util
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import reverse

from appeals.models import (
    LogCheckpoint,
    LogEntry,
    LogWitness,
    Signature,
    WitnessCosignature,
)
from appeals.receipts import receipt_file, receipt_of
from appeals.services import confirm_signature, signature_log, withdraw_signature
from tests.factories import make_appeal, make_signature

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "verify_receipt.py"
spec = importlib.util.spec_from_file_location("verify_receipt", SCRIPT)
verify_receipt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(verify_receipt)

# RFC 8032, section 7.1: TEST 1 (empty message), TEST 2 (one byte), TEST 3.
RFC_8032 = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def test_ed25519_accepts_the_rfc_8032_vectors_and_nothing_changed():
    for public, message, signature in RFC_8032:
        public, message, signature = map(bytes.fromhex, (public, message, signature))
        assert verify_receipt.ed25519_verify(public, message, signature)
        assert not verify_receipt.ed25519_verify(public, message + b"x", signature)
        changed = bytes([signature[0] ^ 1]) + signature[1:]
        assert not verify_receipt.ed25519_verify(public, message, changed)


def test_ed25519_agrees_with_the_cryptography_library():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    for message in [b"", b"checkpoint\n42\n", bytes(range(256))]:
        assert verify_receipt.ed25519_verify(public, message, key.sign(message))
    other = Ed25519PrivateKey.generate().sign(b"checkpoint")
    assert not verify_receipt.ed25519_verify(public, b"checkpoint", other)


def save_site(client, appeal, directory: Path, *, size=None):
    """Save what the site publishes as the files the script reads with --dir."""
    slug = appeal.slug
    (directory / "checkpoints").write_bytes(
        client.get(reverse("data:log_checkpoints", args=[slug])).content
    )
    (directory / "keys.json").write_bytes(client.get(reverse("log_keys")).content)
    size = size or signature_log.log_size(appeal.pk)
    for entry in LogEntry.objects.filter(appeal=appeal):
        url = reverse("data:log_proof", args=[slug])
        answer = client.get(url, {"index": entry.index, "size": size})
        (directory / f"proof-{entry.index}-{size}").write_bytes(answer.content)
    url = reverse("data:log_entries", args=[slug])
    entries = client.get(url, {"start": 0, "end": size}).content
    (directory / "entries-0").write_bytes(entries)


@pytest.fixture
def signed_log(db):
    appeal = make_appeal()
    signatures = [make_signature(appeal, status="pending") for _ in range(6)]
    for signature in signatures:
        confirm_signature(signature=signature)
    withdraw_signature(signature=signatures[4])
    signature_log.checkpoint_now(appeal=appeal)
    return appeal, signatures


def run(*args) -> int:
    return verify_receipt.main([str(arg) for arg in args])


def write_receipt(appeal, signature, directory) -> Path:
    entry = LogEntry.objects.get(signature=signature, kind="added")
    path = directory / "receipt.json"
    path.write_text(json.dumps(receipt_file(appeal, receipt_of(entry))))
    return path


def test_an_honest_receipt_and_recount_pass(client, signed_log, tmp_path, capsys):
    appeal, signatures = signed_log
    save_site(client, appeal, tmp_path)

    assert (
        run(
            "--dir", tmp_path, "receipt", write_receipt(appeal, signatures[2], tmp_path)
        )
        == 0
    )
    assert run("--dir", tmp_path, "count", "https://x/appeals/a") == 0
    output = capsys.readouterr().out
    assert "OK: receipt" in output
    assert "additions minus removals = 5" in output


def test_a_changed_leaf_fails_the_receipt_and_the_recount(client, signed_log, tmp_path):
    appeal, signatures = signed_log
    save_site(client, appeal, tmp_path)
    entries = (tmp_path / "entries-0").read_text().splitlines()
    entries[1] = entries[1][:-1] + ("0" if entries[1][-1] != "0" else "1")
    (tmp_path / "entries-0").write_text("\n".join(entries) + "\n")
    proof_file = tmp_path / "proof-2-7"
    proof = json.loads(proof_file.read_text())
    proof["proof"][0] = "00" * 32
    proof_file.write_text(json.dumps(proof))

    assert run("--dir", tmp_path, "count", "https://x/appeals/a") == 1
    assert (
        run(
            "--dir", tmp_path, "receipt", write_receipt(appeal, signatures[2], tmp_path)
        )
        == 1
    )


def test_a_dropped_or_reordered_entry_fails_the_recount(client, signed_log, tmp_path):
    appeal, _signatures = signed_log
    save_site(client, appeal, tmp_path)
    entries = (tmp_path / "entries-0").read_text().splitlines()

    (tmp_path / "entries-0").write_text("\n".join(entries[:3] + entries[4:]) + "\n")
    assert run("--dir", tmp_path, "count", "https://x/appeals/a") == 1

    swapped = [entries[1], entries[0], *entries[2:]]
    (tmp_path / "entries-0").write_text("\n".join(swapped) + "\n")
    assert run("--dir", tmp_path, "count", "https://x/appeals/a") == 1


def test_a_forged_checkpoint_signature_fails(client, signed_log, tmp_path):
    appeal, signatures = signed_log
    save_site(client, appeal, tmp_path)
    data = json.loads((tmp_path / "checkpoints").read_text())
    checkpoint = data["checkpoints"][0]
    # A bigger count, signed by a key that is not the site's.
    checkpoint["note"] = checkpoint["note"].replace("count 5", "count 500")
    checkpoint["signature_count"] = 500
    forged = Ed25519PrivateKey.generate().sign(checkpoint["note"].encode())
    checkpoint["signature"] = base64.b64encode(forged).decode()
    (tmp_path / "checkpoints").write_text(json.dumps(data))

    assert (
        run(
            "--dir", tmp_path, "receipt", write_receipt(appeal, signatures[2], tmp_path)
        )
        == 1
    )
    assert run("--dir", tmp_path, "count", "https://x/appeals/a") == 1


def test_consistency_between_two_checkpoints_passes_and_a_rewrite_fails(
    client, signed_log, tmp_path
):
    appeal, _signatures = signed_log
    for _ in range(3):
        confirm_signature(signature=make_signature(appeal, status="pending"))
    signature_log.checkpoint_now(appeal=appeal)
    save_site(client, appeal, tmp_path)
    url = reverse("data:log_consistency", args=[appeal.slug])
    (tmp_path / "consistency-7-10").write_bytes(
        client.get(url, {"from": 7, "to": 10}).content
    )
    assert run("--dir", tmp_path, "consistency", "https://x/appeals/a", 7, 10) == 0

    # The older checkpoint as a rewritten log would have it: another root.
    old = LogCheckpoint.objects.get(tree_size=7)
    old.root_hash = bytes(32)
    old.note = old.note.replace(
        old.note.splitlines()[2], base64.b64encode(bytes(32)).decode()
    )
    from appeals import logkeys

    old.key_id, old.signature = logkeys.sign(old.note.encode())
    old.save()
    save_site(client, appeal, tmp_path)
    assert run("--dir", tmp_path, "consistency", "https://x/appeals/a", 7, 10) == 1


def test_receipt_of_a_signature_not_yet_appended_is_none(db):
    appeal = make_appeal()
    signature = make_signature(appeal, status="pending")
    confirm_signature(signature=signature)
    entry = Signature.objects.get(pk=signature.pk).log_entries.get()
    assert receipt_of(entry) is None


def test_ed25519_signing_in_the_script_matches_rfc_8032_test_1():
    seed = bytes.fromhex(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    )
    public, message, signature = map(bytes.fromhex, RFC_8032[0])
    assert verify_receipt.ed25519_public_key(seed) == public
    assert verify_receipt.ed25519_sign(seed, message) == signature


def test_a_witness_countersigns_a_log_that_only_grew_and_it_is_published(
    client, signed_log, tmp_path, capsys
):
    appeal, _signatures = signed_log
    seed = bytes(range(32))
    public = base64.b64encode(verify_receipt.ed25519_public_key(seed)).decode()
    LogWitness.objects.create(name="Coastal Rights", public_key=public)
    state = tmp_path / "state.json"
    cosign_url = reverse("data:log_cosign", args=[appeal.slug])

    def countersign():
        save_site(client, appeal, tmp_path)
        source = verify_receipt.Source("https://x/appeals/a", str(tmp_path), None)
        payload = verify_receipt.witness_payload(source, seed, state)
        return client.post(cosign_url, payload, content_type="application/json")

    assert countersign().status_code == 200
    for _ in range(2):
        confirm_signature(signature=make_signature(appeal, status="pending"))
    signature_log.checkpoint_now(appeal=appeal)
    size = signature_log.log_size(appeal.pk)
    (tmp_path / f"consistency-7-{size}").write_bytes(
        client.get(
            reverse("data:log_consistency", args=[appeal.slug]),
            {"from": 7, "to": size},
        ).content
    )
    assert countersign().status_code == 200

    assert WitnessCosignature.objects.count() == 2
    save_site(client, appeal, tmp_path)
    assert run("--dir", tmp_path, "count", "https://x/appeals/a") == 0
    assert "Countersigned by: Coastal Rights." in capsys.readouterr().out
    data = json.loads((tmp_path / "checkpoints").read_text())
    assert data["checkpoints"][0]["cosignatures"][0]["witness"] == "Coastal Rights"


def test_a_witness_refuses_a_log_that_was_rewritten(client, signed_log, tmp_path):
    appeal, _signatures = signed_log
    seed = bytes(range(32))
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"tree_size": 3, "root_hash": "00" * 32}))
    save_site(client, appeal, tmp_path)
    (tmp_path / "consistency-3-7").write_bytes(
        client.get(
            reverse("data:log_consistency", args=[appeal.slug]), {"from": 3, "to": 7}
        ).content
    )
    source = verify_receipt.Source("https://x/appeals/a", str(tmp_path), None)

    with pytest.raises(verify_receipt.Failed):
        verify_receipt.witness_payload(source, seed, state)


def test_a_countersignature_by_an_unknown_key_is_refused(client, signed_log):
    appeal, _signatures = signed_log
    note = LogCheckpoint.objects.first().note
    forged = Ed25519PrivateKey.generate().sign(note.encode())
    payload = {
        "note": note,
        "key_id": "0" * 16,
        "signature": base64.b64encode(forged).decode(),
    }
    url = reverse("data:log_cosign", args=[appeal.slug])

    response = client.post(url, payload, content_type="application/json")
    garbage = client.post(url, "not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "No active witness has that key."
    assert garbage.status_code == 400
    assert not WitnessCosignature.objects.exists()
