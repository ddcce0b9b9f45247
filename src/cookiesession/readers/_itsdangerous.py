"""itsdangerous's timestamped signature (``TimestampSigner``), which Flask's and
Starlette's session cookies use: ``value.timestamp.signature``, the timestamp the
big-endian bytes of an integer and the signature an HMAC, both in unpadded
URL-safe base64."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from ._base import b64decode_unpadded

__all__ = ["SHA1", "TimestampVerifier", "concat_key", "hmac_key"]

_SEP = b"."
#: The digest both Flask's and Starlette's sessions sign with (itsdangerous's default).
SHA1 = hashlib.sha1


def hmac_key(secret: bytes, salt: bytes, digest: Callable[..., Any]) -> bytes:
    """itsdangerous's ``key_derivation="hmac"`` (Flask's session): HMAC(secret, salt)."""
    return hmac.new(secret, salt, digest).digest()


def concat_key(secret: bytes, salt: bytes, digest: Callable[..., Any]) -> bytes:
    """itsdangerous's default ``key_derivation="django-concat"``: hash(salt + "signer" + secret)."""
    return bytes(digest(salt + b"signer" + secret).digest())


class TimestampVerifier:
    """Checks a ``TimestampSigner`` signature with any of ``keys`` (already derived)."""

    __slots__ = ("_digest", "_keys", "_max_age")

    def __init__(self, keys: tuple[bytes, ...], digest: Callable[..., Any], max_age: float | None) -> None:
        self._keys = keys
        self._digest = digest
        self._max_age = max_age

    def unsign(self, token: str, now: float) -> bytes | None:
        """The signed value, if some key signed it and (with a ``max_age``) its
        age in whole seconds lies in ``[0, max_age]``; else None."""
        try:
            signed = token.encode("ascii")
        except UnicodeEncodeError:
            return None
        value, sep, signature_b64 = signed.rpartition(_SEP)
        if not sep:
            return None
        signature = b64decode_unpadded(signature_b64)
        if signature is None or not self._verifies(value, signature):
            return None
        payload, sep, stamp_b64 = value.rpartition(_SEP)
        if not sep:
            return None  # itsdangerous: "timestamp missing"
        stamp_bytes = b64decode_unpadded(stamp_b64)
        if stamp_bytes is None:
            return None  # itsdangerous: "Malformed timestamp"
        if self._max_age is not None:
            age = int(now) - int.from_bytes(stamp_bytes, "big")
            if age > self._max_age or age < 0:
                return None
        return payload

    def _verifies(self, value: bytes, signature: bytes) -> bool:
        found = False
        for key in self._keys:
            # Every key is tried, so the time taken does not tell which one matched.
            expected = hmac.new(key, value, self._digest).digest()
            found |= hmac.compare_digest(signature, expected)
        return found
