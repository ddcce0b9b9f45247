"""What readers share: the reader protocol, and the pieces of the formats they
have in common (HMAC keys, unpadded base64, durations)."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from ..exceptions import ConfigurationError, ConfigurationTypeError

__all__ = [
    "Reader",
    "b64decode_unpadded",
    "dotted_payload",
    "check_cookie_name",
    "json_object",
    "key_bytes",
    "keys_option",
    "seconds",
]


@runtime_checkable
class Reader(Protocol):
    """Reads one other library's session cookie (see :mod:`cookiesession.readers`)."""

    cookie_name: str
    path: str | None
    domain: str | None

    def read(self, value: str, now: float) -> dict[str, Any] | None:
        """The state that cookie ``value`` holds at time ``now``, or None when it
        does not verify, has expired or does not parse.  Never raises."""
        ...


def key_bytes(name: str, key: object) -> bytes:
    """A secret as the libraries use it: ``str`` as UTF-8, ``bytes`` as they are."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes):
        raise ConfigurationTypeError(f"{name} must be str or bytes, not {type(key).__name__}")
    if not key:
        raise ConfigurationError(f"{name} must not be empty")
    return key


def keys_option(secret_key: object, fallbacks: Sequence[object]) -> tuple[bytes, ...]:
    """The current key then the fallbacks, in the order the libraries try them."""
    if isinstance(fallbacks, (str, bytes)):
        raise ConfigurationTypeError("fallbacks must be a list of secrets, not one secret")
    return (key_bytes("secret_key", secret_key), *(key_bytes("fallbacks", key) for key in fallbacks))


def check_cookie_name(cookie_name: object) -> str:
    if not isinstance(cookie_name, str) or not cookie_name:
        raise ConfigurationTypeError("cookie_name must be a non-empty str")
    return cookie_name


def seconds(name: str, value: object) -> float | None:
    """A reader's ``max_age``: seconds, a ``timedelta`` or None (no expiry check)."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationTypeError(f"{name} must be a number of seconds, a timedelta or None")
    return float(value)


def b64decode_unpadded(data: bytes) -> bytes | None:
    """URL-safe base64 whose padding was stripped (both itsdangerous and Django
    strip it), decoded as those libraries decode it; None if it is not base64."""
    try:
        return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def json_object(text: bytes, encoding: str = "utf-8") -> Any:
    """JSON text parsed, or None when it is not JSON (what it holds is checked by
    the caller)."""
    try:
        return json.loads(text.decode(encoding))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


#: The most bytes an old cookie's compressed payload may inflate to: far more than
#: any cookie holds, and a bound on what one cookie can cost.
MAX_INFLATED = 1 << 20


def inflate_at_most(data: bytes, limit: int = MAX_INFLATED) -> bytes | None:
    """``data`` (a zlib stream) inflated, or None if it is not one or would grow past
    ``limit`` bytes (refused, never held in memory whole)."""
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(data, limit)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else inflated


def dotted_payload(payload: bytes) -> bytes | None:
    """The bytes of an unpadded URL-safe base64 payload that a leading ``.`` marks as
    zlib-compressed (itsdangerous's and Django's signing both write it so), inflated
    within :data:`MAX_INFLATED`; None for one that does not decode or inflate."""
    compressed = payload.startswith(b".")
    data = b64decode_unpadded(payload[1:] if compressed else payload)
    if data is None or not compressed:
        return data
    return inflate_at_most(data)
