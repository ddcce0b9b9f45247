"""Django's ``signed_cookies`` session engine.

The format (``django.core.signing``): ``payload:timestamp:signature``, the
payload the compact JSON state in unpadded URL-safe base64 (zlib-compressed when
a ``"."`` leads it), the timestamp base 62, the signature an HMAC-SHA256 keyed
with ``sha256(salt + "signer" + key)``, the salt
``"django.contrib.sessions.backends.signed_cookies"``.  Django checks the age
against ``SESSION_COOKIE_AGE`` (two weeks by default), and so does this reader.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from ._base import check_cookie_name, dotted_payload, json_object, keys_option, seconds

__all__ = ["DjangoReader", "django"]

_SALT = "django.contrib.sessions.backends.signed_cookies"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_DIGITS = {char: index for index, char in enumerate(_BASE62)}


def base62_decode(text: str) -> int | None:
    """Django's ``b62_decode`` (a leading ``-`` for negatives); None for a character
    outside the alphabet, where Django raises."""
    if not text:
        return None  # Django fails on the empty text (an IndexError)
    sign = 1
    if text.startswith("-"):
        sign, text = -1, text[1:]
    number = 0
    for char in text:
        digit = _BASE62_DIGITS.get(char)
        if digit is None:
            return None
        number = number * 62 + digit
    return sign * number


class DjangoReader:
    """Reads Django's ``signed_cookies`` session cookie; made by :func:`django`."""

    __slots__ = ("_keys", "_max_age", "cookie_name", "domain", "path")

    def __init__(
        self,
        keys: tuple[bytes, ...],
        max_age: float | None,
        cookie_name: str,
        path: str | None,
        domain: str | None,
    ) -> None:
        self._keys = keys
        self._max_age = max_age
        self.cookie_name = cookie_name
        self.path = path
        self.domain = domain

    def read(self, value: str, now: float) -> dict[str, Any] | None:
        signed, sep, signature = value.rpartition(":")
        if not sep or not self._verifies(signed, signature):
            return None
        payload, sep, stamp = signed.rpartition(":")
        timestamp = base62_decode(stamp) if sep else None
        if timestamp is None:
            return None
        if self._max_age is not None and now - timestamp > self._max_age:
            return None
        return _state(payload)

    def _verifies(self, value: str, signature: str) -> bool:
        try:
            message = value.encode("utf-8")
            given = signature.encode("ascii")
        except UnicodeEncodeError:
            return False
        found = False
        for key in self._keys:
            # Every key is tried, so the time taken does not tell which one matched.
            digest = hmac.new(key, message, hashlib.sha256).digest()
            expected = base64_unpadded(digest)
            found |= hmac.compare_digest(given, expected)
        return found

    def __repr__(self) -> str:
        return f"<django signed_cookies session reader {self.cookie_name!r}>"


def base64_unpadded(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _state(payload: str) -> dict[str, Any] | None:
    try:
        data = dotted_payload(payload.encode("ascii"))
    except UnicodeEncodeError:
        return None
    if data is None:
        return None
    state = json_object(data, "latin-1")
    return state if isinstance(state, dict) else None


def _signing_key(key: bytes) -> bytes:
    # Django's salted_hmac: the HMAC key is sha256(key_salt + secret), where
    # Signer's key_salt is its salt followed by "signer".
    return hashlib.sha256((_SALT + "signer").encode("utf-8") + key).digest()


def django(
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    cookie_name: str = "sessionid",
    *,
    max_age: float | timedelta | None = 1209600,
    path: str | None = "/",
    domain: str | None = None,
) -> DjangoReader:
    """A reader of Django's ``signed_cookies`` session cookie.

    Django's settings: ``secret_key`` is ``SECRET_KEY``, ``fallbacks``
    ``SECRET_KEY_FALLBACKS``, ``cookie_name`` ``SESSION_COOKIE_NAME``, ``max_age``
    ``SESSION_COOKIE_AGE``, ``path`` and ``domain`` ``SESSION_COOKIE_PATH`` and
    ``SESSION_COOKIE_DOMAIN`` (where the old cookie is deleted).

    Raises:
        ConfigurationError: an empty or mistyped key, a cookie name a cookie cannot
            carry, or a ``max_age`` that is not a number of seconds.
    """
    keys = tuple(_signing_key(key) for key in keys_option(secret_key, fallbacks))
    return DjangoReader(keys, seconds("max_age", max_age), check_cookie_name(cookie_name), path, domain)
