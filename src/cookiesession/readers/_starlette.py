"""Starlette's ``SessionMiddleware`` cookie.

The format: standard base64 of the JSON state, signed by itsdangerous's
``TimestampSigner`` with the secret as Starlette passes it (``str(secret_key)``)
and that signer's defaults (salt ``"itsdangerous.Signer"``, the
``"django-concat"`` key derivation, SHA-1).  Starlette checks the age against
its ``max_age`` (14 days by default; None checks none), and so does this reader.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from ._base import check_cookie_name, json_object, key_bytes, seconds
from ._itsdangerous import SHA1, TimestampVerifier, concat_key

__all__ = ["StarletteReader", "starlette"]

_SALT = b"itsdangerous.Signer"


class StarletteReader:
    """Reads Starlette's session cookie; made by :func:`starlette`."""

    __slots__ = ("_verifier", "cookie_name", "domain", "path")

    def __init__(
        self, verifier: TimestampVerifier, cookie_name: str, path: str | None, domain: str | None
    ) -> None:
        self._verifier = verifier
        self.cookie_name = cookie_name
        self.path = path
        self.domain = domain

    def read(self, value: str, now: float) -> dict[str, Any] | None:
        payload = self._verifier.unsign(value, now)
        if payload is None:
            return None
        try:
            data = base64.b64decode(payload)
        except (binascii.Error, ValueError):
            return None
        state = json_object(data)
        return state if isinstance(state, dict) else None

    def __repr__(self) -> str:
        return f"<starlette session reader {self.cookie_name!r}>"


def starlette(
    secret_key: str | bytes,
    cookie_name: str = "session",
    max_age: float | timedelta | None = 14 * 24 * 3600,
    *,
    path: str | None = "/",
    domain: str | None = None,
) -> StarletteReader:
    """A reader of Starlette's session cookie.

    ``SessionMiddleware``'s parameters: ``secret_key``, ``session_cookie`` (here
    ``cookie_name``), ``max_age``, ``path`` and ``domain`` (where the old cookie
    is deleted).

    Raises:
        ConfigurationError: an empty or mistyped key, a cookie name a cookie cannot
            carry, or a ``max_age`` that is not a number of seconds.
    """
    key = concat_key(key_bytes("secret_key", secret_key), _SALT, SHA1)
    verifier = TimestampVerifier((key,), SHA1, seconds("max_age", max_age))
    return StarletteReader(verifier, check_cookie_name(cookie_name), path, domain)
