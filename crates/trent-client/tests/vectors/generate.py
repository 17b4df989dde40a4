"""Generates known-answer ESDK messages with the official Python SDK (aws-encryption-sdk 3.x)
and a raw AES-256 wrapping key, for every algorithm suite, framed and (v1) non-framed.

Run from the workspace root:  .venv/bin/python crates/trent-client/tests/vectors/generate.py
The Rust test `python_vectors.rs` decrypts them with `RawAesKeyring`.
"""
import os

import aws_encryption_sdk
from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy, EncryptionKeyType, WrappingAlgorithm
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKeyProvider

HERE = os.path.dirname(os.path.abspath(__file__))
WRAPPING_KEY = bytes(range(32))
PLAINTEXT = bytes((i * 7 + 3) % 256 for i in range(1000))
CONTEXT = {"purpose": "kat", "suite": "all"}


class StaticProvider(RawMasterKeyProvider):
    provider_id = "trent-test"

    def _get_raw_key(self, key_id):
        return WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=WRAPPING_KEY,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        )


def main():
    provider = StaticProvider()
    provider.add_master_key(b"kat-key")
    with open(os.path.join(HERE, "plaintext.bin"), "wb") as f:
        f.write(PLAINTEXT)
    for alg in Algorithm:
        if not alg.allowed:
            continue
        committing = alg.is_committing()
        policy = (
            CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
            if committing
            else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
        )
        client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy)
        layouts = [("framed", 512)] + ([] if committing else [("nonframed", 0)])
        for name, frame in layouts:
            ct, _ = client.encrypt(
                source=PLAINTEXT,
                key_provider=provider,
                encryption_context=CONTEXT,
                algorithm=alg,
                frame_length=frame,
            )
            with open(os.path.join(HERE, "{:04x}-{}.bin".format(alg.algorithm_id, name)), "wb") as f:
                f.write(ct)


if __name__ == "__main__":
    main()
