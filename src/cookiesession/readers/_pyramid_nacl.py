"""``pyramid_nacl_session``'s ``EncryptedCookieSessionFactory`` cookie.

The format: unpadded URL-safe base64 of a PyNaCl ``SecretBox`` message (a 24-byte
nonce, then XSalsa20-Poly1305 ciphertext with its 16-byte tag) under the 32-byte
secret; inside, Pyramid's ``BaseCookieSessionFactory`` payload ``(renewed, created,
state)`` written by the factory's serializer: Pyramid's ``PickleSerializer`` unless
another was given (``JSONSerializer``, ``session.serializer = json`` in settings).
Pyramid drops the state of a cookie idle longer than ``timeout`` (1200 s by
default; None: never), and this reader then gives no session; it checks nothing
else (no absolute age), as Pyramid does not.

The decryption is PyNaCl's (the ``cookiesession[nacl]`` extra): nothing of the
cookie is parsed before its Poly1305 tag verified.  A pickled state is loaded by an
unpickler that builds only plain values (``dict``, ``list``, ``tuple``, ``set``,
``frozenset``, ``str``, ``bytes``, numbers, ``None``, and ``datetime``'s, ``UUID``,
``Decimal`` and ``OrderedDict`` values): a pickle that names any other class or
function is no session, so even a forged cookie made with the key cannot run code.
Values JSON cannot hold become plain equivalents: a tuple, set or frozenset a list
(a set's items sorted where they can be), bytes their standard base64 text, a
``datetime``, ``date`` or ``time`` its ISO 8601 text, a ``timedelta`` its seconds,
a ``UUID`` or ``Decimal`` its text, an ``OrderedDict`` a dict.  With ``rich=True``
(for a factory with ``RichJSONSerializer``) they keep their types.
"""

from __future__ import annotations

import base64
import binascii
import io
import pickle
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from ..exceptions import ConfigurationError, ConfigurationTypeError, MissingDependency
from ._base import b64decode_unpadded, check_cookie_name, json_object, seconds

__all__ = ["PyramidNaclReader", "pyramid_nacl"]

_KEY_SIZE = 32

# What a pickled state may name: value types only, no callable with effects.
_ALLOWED = frozenset(
    {
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "bytearray"),
        ("collections", "OrderedDict"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("uuid", "UUID"),
        ("uuid", "SafeUUID"),
    }
)


def _bytearray(*args: Any) -> bytearray:
    # Older pickle protocols rebuild a bytearray from its bytes; a count would make a
    # pickle of a few bytes ask for any amount of memory, so only bytes are taken.
    if len(args) > 2 or (args and not isinstance(args[0], (bytes, str))):
        raise pickle.UnpicklingError("a bytearray from its contents only")
    return bytearray(*args)


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError("not a plain value")
        if (module, name) == ("builtins", "bytearray"):
            return _bytearray
        return super().find_class(module, name)


def _text_keys(value: dict[Any, Any]) -> dict[Any, Any]:
    # A session's state, like JSON, has text keys only: a state with any other key
    # could not be stored again, so it is no session at all.
    if not all(type(key) is str for key in value):
        raise ValueError("a key that is not text")
    return value


def _unpickle(data: bytes) -> Any:
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - any failure of hostile bytes is "no session"
        return None


def _json(data: bytes) -> Any:
    return json_object(data)


def _plain(value: Any) -> Any:
    """``value`` with what JSON cannot hold replaced by its plain equivalent."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in _text_keys(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [_plain(item) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    return value


def _rich(value: Any) -> Any:
    # An OrderedDict or bytearray as the rich serializer stores its kin; the rest as they are.
    if isinstance(value, dict):
        return {key: _rich(item) for key, item in _text_keys(value).items()}
    if isinstance(value, list):
        return [_rich(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_rich(item) for item in value)
    if isinstance(value, bytearray):
        return bytes(value)
    return value


_NUMBERS = (int, float)


class PyramidNaclReader:
    """Reads ``pyramid_nacl_session``'s cookie; made by :func:`pyramid_nacl`."""

    __slots__ = ("_box", "_convert", "_loads", "_timeout", "cookie_name", "domain", "path")

    def __init__(
        self,
        box: Any,
        loads: Any,
        convert: Any,
        timeout: float | None,
        cookie_name: str,
        path: str | None,
        domain: str | None,
    ) -> None:
        self._box = box
        self._loads = loads
        self._convert = convert
        self._timeout = timeout
        self.cookie_name = cookie_name
        self.path = path
        self.domain = domain

    def read(self, value: str, now: float) -> dict[str, Any] | None:
        try:
            raw = b64decode_unpadded(value.encode("ascii"))
        except UnicodeEncodeError:
            return None
        if raw is None:
            return None
        payload = self._decrypt(raw)
        if payload is None:
            return None
        triple = self._loads(payload)
        if not isinstance(triple, (list, tuple)) or len(triple) != 3:
            return None
        renewed, _created, state = triple
        if type(renewed) not in _NUMBERS or not isinstance(state, dict):
            return None
        if self._timeout is not None and not now - renewed <= self._timeout:
            return None  # Pyramid empties a session idle past its timeout
        try:
            converted = self._convert(state)
        except (RecursionError, ValueError):
            return None
        return converted if isinstance(converted, dict) else None

    def _decrypt(self, raw: bytes) -> bytes | None:
        try:
            payload: bytes = self._box.decrypt(raw)
        except Exception:  # noqa: BLE001 - CryptoError, or PyNaCl's ValueError for a short message
            return None
        return payload

    def __repr__(self) -> str:
        return f"<pyramid_nacl_session reader {self.cookie_name!r}>"


def _secret_bytes(secret: object) -> bytes:
    """The 32-byte key: raw bytes (the factory's argument) or its 64 hex digits
    (``session.secret`` in settings, which ``pyramid_nacl_session`` unhexlifies)."""
    if isinstance(secret, str):
        try:
            secret = binascii.unhexlify(secret.strip())
        except (binascii.Error, ValueError):
            raise ConfigurationError("secret given as text must be the key's 64 hex digits") from None
    if not isinstance(secret, bytes):
        raise ConfigurationTypeError(f"secret must be bytes or hex text, not {type(secret).__name__}")
    if len(secret) != _KEY_SIZE:
        raise ConfigurationError(
            f"secret must be {_KEY_SIZE} bytes (64 hex digits), as pyramid_nacl_session's"
        )
    return secret


def _secret_box(key: bytes) -> Any:
    try:
        from nacl.secret import SecretBox
    except ImportError:
        raise MissingDependency(
            "readers.pyramid_nacl needs PyNaCl to decrypt: pip install 'cookiesession[nacl]'"
        ) from None
    return SecretBox(key)


def pyramid_nacl(
    secret: str | bytes,
    cookie_name: str = "session",
    *,
    timeout: float | timedelta | None = 1200,
    serializer: str = "pickle",
    path: str | None = "/",
    domain: str | None = None,
    rich: bool = False,
) -> PyramidNaclReader:
    """A reader of ``pyramid_nacl_session``'s encrypted cookie.

    Its factory's parameters: ``secret`` (the 32 bytes, or the 64 hex digits of the
    ``session.secret`` setting), ``cookie_name``, ``timeout``, ``path`` and
    ``domain`` (where the old cookie is deleted); ``serializer`` is ``"pickle"``
    (its default, Pyramid's ``PickleSerializer``) or ``"json"`` (Pyramid's
    ``JSONSerializer``).  ``rich``: keep non-JSON values' types (see above).
    Needs PyNaCl (``cookiesession[nacl]``); without it this raises
    :class:`~cookiesession.exceptions.MissingDependency`.
    """
    if serializer not in ("pickle", "json"):
        raise ConfigurationError(f"serializer must be 'pickle' or 'json', not {serializer!r}")
    box = _secret_box(_secret_bytes(secret))
    loads = _unpickle if serializer == "pickle" else _json
    convert = _rich if rich else _plain
    return PyramidNaclReader(
        box, loads, convert, seconds("timeout", timeout), check_cookie_name(cookie_name), path, domain
    )
