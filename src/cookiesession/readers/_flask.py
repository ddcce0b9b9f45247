"""Flask's default session cookie (``SecureCookieSessionInterface``).

The format: itsdangerous's ``URLSafeTimedSerializer`` with salt
``"cookie-session"``, ``key_derivation="hmac"`` and SHA-1; the payload is
Flask's tagged JSON in unpadded URL-safe base64, zlib-compressed when a ``"."``
leads it.  Flask checks the age against ``PERMANENT_SESSION_LIFETIME`` (31 days
by default) whether or not the session was permanent, and so does this reader.

Tagged values become plain JSON ones: a tuple a list, bytes the base64 text
Flask stored, ``Markup`` its text, a ``UUID`` its canonical text, a
``datetime`` its ISO 8601 text (UTC).  With ``rich=True`` (for a factory whose
serializer stores such values, as the Flask adapter's ``TaggedStateSerializer``
does) tuples, bytes, UUIDs and datetimes keep their types; ``Markup`` is still
its text (``markupsafe`` is not needed here).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from ._base import check_cookie_name, dotted_payload, json_object, keys_option, seconds
from ._itsdangerous import SHA1, TimestampVerifier, hmac_key

__all__ = ["FlaskReader", "flask"]


def _plain_bytes(value: Any) -> str:
    base64.b64decode(value, validate=False)  # raises as Flask's b64decode does on bad text
    return str(value)


def _rich_date(value: Any) -> datetime | None:
    # Werkzeug's parse_date gives None for text it cannot parse, and so does this.
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _plain_date(value: Any) -> str | None:
    moment = _rich_date(value)
    return None if moment is None else moment.isoformat()


def _plain_uuid(value: Any) -> str:
    return str(uuid.UUID(value))


def _plain_dict(value: Any) -> Any:
    ((key, inner),) = value.items()
    return {key[:-2]: inner}


# Flask's tags, and how each tagged value becomes plain JSON (" di" escapes a
# one-key dict whose key looks like a tag).
_TAGS: dict[str, Any] = {
    " di": _plain_dict,
    " t": list,
    " b": _plain_bytes,
    " m": str,
    " u": _plain_uuid,
    " d": _plain_date,
}
_RICH_TAGS: dict[str, Any] = {
    **_TAGS,
    " t": tuple,
    " b": lambda value: base64.b64decode(value, validate=False),
    " u": uuid.UUID,
    " d": _rich_date,
}


def untag(value: Any, tags: dict[str, Any]) -> Any:
    """Flask's tagged JSON, innermost first as Flask reads it, each tagged value
    converted by ``tags``.  Raises (ValueError, TypeError...) where Flask would."""
    if isinstance(value, dict):
        value = {key: untag(item, tags) for key, item in value.items()}
        if len(value) == 1:
            ((key, inner),) = value.items()
            convert = tags.get(key)
            if convert is not None:
                return convert(inner)
        return value
    if isinstance(value, list):
        return [untag(item, tags) for item in value]
    return value


class FlaskReader:
    """Reads Flask's session cookie; made by :func:`flask`."""

    __slots__ = ("_tags", "_verifier", "cookie_name", "domain", "path")

    def __init__(
        self, verifier: TimestampVerifier, rich: bool, cookie_name: str, path: str | None, domain: str | None
    ) -> None:
        self._verifier = verifier
        self._tags = _RICH_TAGS if rich else _TAGS
        self.cookie_name = cookie_name
        self.path = path
        self.domain = domain

    def read(self, value: str, now: float) -> dict[str, Any] | None:
        payload = self._verifier.unsign(value, now)
        if payload is None:
            return None
        data = dotted_payload(payload)
        if data is None:
            return None
        try:
            state = untag(json_object(data), self._tags)
        except (ValueError, TypeError, binascii.Error, RecursionError):
            return None
        return state if isinstance(state, dict) else None

    def __repr__(self) -> str:
        return f"<flask session reader {self.cookie_name!r}>"


def flask(
    secret_key: str | bytes,
    fallbacks: Sequence[str | bytes] = (),
    cookie_name: str = "session",
    *,
    max_age: float | timedelta | None = timedelta(days=31),
    salt: str = "cookie-session",
    path: str | None = "/",
    domain: str | None = None,
    rich: bool = False,
) -> FlaskReader:
    """A reader of Flask's session cookie.

    Flask's settings: ``secret_key`` is ``SECRET_KEY``, ``fallbacks``
    ``SECRET_KEY_FALLBACKS``, ``cookie_name`` ``SESSION_COOKIE_NAME``, ``max_age``
    ``PERMANENT_SESSION_LIFETIME``, ``path`` and ``domain`` ``SESSION_COOKIE_PATH``
    and ``SESSION_COOKIE_DOMAIN`` (where the old cookie is deleted); ``salt``
    is the session interface's ``salt``.  ``rich``: keep tagged values' types
    (see above) instead of giving their plain JSON equivalents.

    Raises:
        ConfigurationError: an empty or mistyped key, a cookie name a cookie cannot
            carry, or a ``max_age`` that is not a number of seconds.
    """
    keys = keys_option(secret_key, fallbacks)
    derived = tuple(hmac_key(key, salt.encode("utf-8"), SHA1) for key in keys)
    verifier = TimestampVerifier(derived, SHA1, seconds("max_age", max_age))
    return FlaskReader(verifier, bool(rich), check_cookie_name(cookie_name), path, domain)
