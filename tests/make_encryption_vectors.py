"""Write ``tests/data/encryption-vectors.json``: the encrypted format, pinned by example.

Run once, when the format was defined (``python -m tests.make_encryption_vectors``);
``tests/test_vectors.py`` checks the file against the library and against an
independent re-implementation of docs/encryption.md.  Regenerating the file
after a change to the code would hide that change: a new format is a new
version beside this one, with vectors of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from pathlib import Path
from typing import Any

from cookiesession._base64 import decode as b64decode
from cookiesession._base64 import encode as b64encode
from cookiesession.encryption import DEFAULT_SALT, Encryptor
from cookiesession.factory import make_session_factory
from cookiesession.serializers import JSONSerializer
from tests.session_harness import mint

VECTORS_PATH = Path(__file__).parent / "data" / "encryption-vectors.json"
NOW = 1_700_000_000.0

_CASES: list[dict[str, Any]] = [
    {
        "description": "text secret, default salt, default cookie name",
        "secret": "encryption-vector-secret-" + "0123456789abcdef" * 3,
        "salt": DEFAULT_SALT,
        "cookie_name": "session",
        "random": bytes(range(24)).hex(),
        "state": {"user": "alice", "_csrft_": "0f" * 20, "cart": [1, 2, 3]},
    },
    {
        "description": "bytes secret, custom salt and cookie name, non-ASCII state",
        "secret_hex": bytes(range(0x40, 0x80)).hex(),
        "salt": "my-app.sessions",
        "cookie_name": "__Host-sid",
        "random": "ff" * 24,
        "state": {"name": "Zo\u00eb \u6771\u4eac \U0001f36a", "n": 42},
    },
    {
        "description": "empty state, no salt (salt=None)",
        "secret": "another-vector-secret-" + "fedcba9876543210" * 3,
        "salt": None,
        "cookie_name": "session",
        "random": "a5" * 24,
        "state": {},
    },
]


def secret_of(case: dict[str, Any]) -> str | bytes:
    return bytes.fromhex(case["secret_hex"]) if "secret_hex" in case else str(case["secret"])


def _fixed(hex_bytes: str) -> Any:
    data = bytes.fromhex(hex_bytes)

    def random(n: int) -> bytes:
        assert n == len(data)
        return data

    return random


def _token(case: dict[str, Any], secret: str | bytes) -> tuple[str, str]:
    encryptor = Encryptor(secret, case["cookie_name"], case["salt"], _random=_fixed(case["random"]))
    factory = make_session_factory(
        encryptor, JSONSerializer(), cookie_name=case["cookie_name"], secure=True, clock=lambda: NOW
    )
    token = mint(factory, case["state"])
    payload, _ = encryptor.unseal(token)
    return token, payload.decode("utf-8")


def _intermediates(case: dict[str, Any], secret: str | bytes, token_random: str) -> dict[str, str]:
    # The derived keys, for implementers in other languages (test secrets only).
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    ikm = secret if isinstance(secret, bytes) else secret.encode("utf-8")
    salt = case["salt"] or ""
    info = b"cookiesession/encrypted-cookie/v1\x00" + salt.encode("utf-8")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)
    subkey = hmac.new(key, b"\x01" + bytes.fromhex(token_random), hashlib.sha256).digest()
    return {"key": key.hex(), "subkey": subkey.hex()}


def build() -> dict[str, Any]:
    valid = []
    for case in _CASES:
        secret = secret_of(case)
        token, payload = _token(case, secret)
        valid.append(
            {
                **case,
                "now": NOW,
                "payload": payload,
                "token": token,
                "key_index": 0,
                **_intermediates(case, secret, case["random"]),
            }
        )
    # Rotation: a cookie written under an old secret, read by a factory whose
    # fallback_secrets holds it.
    old = {**_CASES[0], "description": "written under a secret that is now a fallback"}
    old_token, old_payload = _token(old, secret_of(old))
    rotated = {
        **old,
        "secret": "the-new-primary-secret-" + "0011223344556677" * 3,
        "fallback_secrets": [old["secret"]],
        "now": NOW,
        "payload": old_payload,
        "token": old_token,
        "key_index": 1,
        **_intermediates(old, secret_of(old), old["random"]),
    }
    valid.append(rotated)
    first = valid[0]
    raw_version_2 = first["token"]  # the same bytes with an unknown version marker
    raw = bytearray(b64decode(raw_version_2))
    raw[0] = 2
    invalid = [
        {
            "description": "a valid token presented under another cookie name",
            "secret": first["secret"],
            "salt": first["salt"],
            "cookie_name": "other",
            "now": NOW,
            "token": first["token"],
        },
        {
            "description": "a valid token with an unknown version byte (0x02)",
            "secret": first["secret"],
            "salt": first["salt"],
            "cookie_name": first["cookie_name"],
            "now": NOW,
            "token": b64encode(bytes(raw)),
        },
        {
            "description": "a valid token read with another salt",
            "secret": first["secret"],
            "salt": "another.salt.",
            "cookie_name": first["cookie_name"],
            "now": NOW,
            "token": first["token"],
        },
    ]
    return {
        "format": "cookiesession encrypted cookie, version 1 (docs/encryption.md)",
        "notes": (
            "random: the 24 salt bytes of the token; key, subkey: K and the cookie's AES key, derived "
            "from the secret that opens the token (the fallback secret when key_index is 1); "
            "secret_hex: a bytes secret; a str secret is UTF-8; the cookie name is the associated data"
        ),
        "valid": valid,
        "invalid": invalid,
    }


def main() -> None:
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if sys.argv[1:] == ["--write"]:
        VECTORS_PATH.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
