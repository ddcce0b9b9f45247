"""Signed tokens: payload bytes <-> cookie value, in Pyramid/WebOb's wire format.

token = urlsafe_base64(HMAC(salt + secret, payload) + payload), ``=`` stripped.

Decoding is strict where WebOb's is lenient: only the canonical encoding that
WebOb itself writes is accepted (no ``+``/``/``, no padding, no stray characters,
no non-zero trailing bits).  Every cookie Pyramid writes is canonical, so real
Pyramid cookies still verify; a re-encoded variant of a valid cookie does not.
"""

from __future__ import annotations

import hashlib
import hmac
import warnings
from collections.abc import Sequence
from typing import Any

from . import _base64
from .exceptions import BadSignature, ConfigurationError, ConfigurationTypeError

__all__ = [
    "MAX_TOKEN_LENGTH",
    "SecretTooShortWarning",
    "Signer",
    "derive_hmac_key",
    "normalize_hashalg",
    "short_secret_message",
]

#: Pyramid refuses to store a cookie value longer than this; we refuse to read one.
MAX_TOKEN_LENGTH = 4064


class SecretTooShortWarning(UserWarning):
    """The secret is shorter than the digest of the hash algorithm."""


def normalize_hashalg(hashalg: object) -> tuple[str, int]:
    """Return the canonical name and digest size of a fixed-length hash algorithm."""
    if not isinstance(hashalg, str):
        raise ConfigurationTypeError(
            f"hashalg must be the name of a hashlib algorithm such as 'sha512', not {type(hashalg).__name__}"
        )
    try:
        h = hashlib.new(hashalg)
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"unsupported hash type {hashalg!r}: use a name hashlib.new() accepts, "
            f"such as 'sha512' (the default) or 'sha256'"
        ) from None
    if h.digest_size == 0 or h.name.startswith("shake"):
        raise ConfigurationError(
            f"hashalg {hashalg!r} has no fixed digest length and cannot sign cookies; "
            f"use 'sha512' (the default) or 'sha256'"
        )
    return h.name, h.digest_size


def _key_parts(salt: str | bytes, secret: str | bytes) -> tuple[bytes, bytes]:
    # WebOb's rule: latin-1 for both; if either cannot be latin-1, UTF-8 for both.
    try:
        return _to_bytes(salt, "latin-1"), _to_bytes(secret, "latin-1")
    except UnicodeEncodeError:
        return _to_bytes(salt, "utf-8"), _to_bytes(secret, "utf-8")


def _to_bytes(value: str | bytes, encoding: str) -> bytes:
    return value if isinstance(value, bytes) else value.encode(encoding)


def check_secret(secret: object, name: str = "secret") -> str | bytes:
    """Return ``secret`` if it is a non-empty str or bytes; raise a configuration error otherwise."""
    if not isinstance(secret, (str, bytes)):
        raise ConfigurationTypeError(
            f"{name} must be a str or bytes, not {type(secret).__name__}; generate one "
            f"with `python -m cookiesession keygen`"
        )
    if not secret:
        raise ConfigurationError(f"{name} is empty; generate one with `python -m cookiesession keygen`")
    return secret


def derive_hmac_key(secret: object, salt: object, *, name: str = "secret") -> bytes:
    """Return Pyramid's HMAC key for ``secret`` and ``salt`` (salt first, no separator)."""
    salt_bytes, secret_bytes = _checked_key_parts(secret, salt, name)
    return salt_bytes + secret_bytes


def _checked_key_parts(secret: object, salt: object, name: str) -> tuple[bytes, bytes]:
    secret = check_secret(secret, name)
    if salt is None:
        salt = ""
    if not isinstance(salt, (str, bytes)):
        raise ConfigurationTypeError(f"salt must be a str or bytes, not {type(salt).__name__}")
    return _key_parts(salt, secret)


def short_secret_message(name: str, what: str, hashalg: str | None = None) -> str:
    """The :class:`SecretTooShortWarning` text for the secret called ``name``."""
    keygen = "python -m cookiesession keygen" + (f" --hashalg {hashalg}" if hashalg else "")
    if name == "secret":
        return f"the secret is shorter than the {what}; generate a strong one with `{keygen}`"
    # An old secret kept for a rotation still verifies cookies, so it is as weak a point.
    return (
        f"{name} is shorter than the {what}, and it verifies cookies as the secret does: "
        f"remove it once its sessions have moved to the secret (a strong one: `{keygen}`)"
    )


# RFC 2104's pads, as byte translation tables: key.translate(_IPAD) is key XOR 0x36...
_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))


def keyed_hmac(key: bytes, hashalg: str) -> tuple[Any, Any]:
    """HMAC ``hashalg`` keyed once with ``key``: its inner and outer hashes, each
    already fed its padded key, for :func:`hmac_digest` to copy per message.

    This is RFC 2104's construction, as the standard library's ``hmac`` module
    computes it without OpenSSL; ``tests/test_hmac.py`` checks it against
    ``hmac.new`` for every algorithm and key length.  Two hash objects copied
    per message cost less than copying a keyed ``hmac`` object (OpenSSL duplicates
    its whole MAC context, and ``hmac``'s Python wrapper adds three calls): about
    0.5 µs less per message here, and every request verifies one and signs one.
    """
    inner = hashlib.new(hashalg)
    block = inner.block_size
    if len(key) > block:
        key = hashlib.new(hashalg, key).digest()
    key = key.ljust(block, b"\0")
    inner.update(key.translate(_IPAD))
    return inner, hashlib.new(hashalg, key.translate(_OPAD))


def hmac_digest(keyed: tuple[Any, Any], message: bytes) -> bytes:
    """The HMAC of ``message`` under ``keyed`` (see :func:`keyed_hmac`)."""
    inner, outer = keyed
    inner = inner.copy()
    inner.update(message)
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.digest()  # type: ignore[no-any-return]


class Signer:
    """Sign payloads with the primary secret; verify under it or any fallback secret.

    token = urlsafe_base64(HMAC(salt + secret, payload) + payload), ``=`` stripped:
    WebOb's ``SignedSerializer`` format, which ``pyramid.session`` writes.
    """

    __slots__ = ("_keys", "digest_size", "hashalg", "longest_token")

    def __init__(
        self,
        secret: str | bytes,
        salt: str | bytes | None = "pyramid.session.",
        hashalg: str = "sha512",
        fallback_secrets: Sequence[str | bytes] = (),
        *,
        warn_short: bool = True,
    ) -> None:
        self.hashalg, self.digest_size = normalize_hashalg(hashalg)
        if isinstance(fallback_secrets, (str, bytes)):
            raise ConfigurationTypeError(
                "fallback_secrets must be a list of secrets, not a single str or bytes"
            )
        keys = []
        for i, each in enumerate([secret, *fallback_secrets]):
            name = "secret" if i == 0 else f"fallback_secrets[{i - 1}]"
            salt_bytes, secret_bytes = _checked_key_parts(each, salt, name)
            # Counted in the bytes the key holds (latin-1, or UTF-8 if it must be),
            # for every secret: a short fallback lets forged cookies in as surely.
            if warn_short and len(secret_bytes) < self.digest_size:
                warnings.warn(
                    short_secret_message(
                        name, f"{self.digest_size}-byte digest of {self.hashalg}", self.hashalg
                    ),
                    SecretTooShortWarning,
                    stacklevel=3,
                )
            keys.append(keyed_hmac(salt_bytes + secret_bytes, self.hashalg))
        self._keys = tuple(keys)
        #: The longest token verified (longer with ``max_cookies``: see cookiesession._pieces).
        self.longest_token = MAX_TOKEN_LENGTH

    def __repr__(self) -> str:
        n = len(self._keys) - 1
        return f"<Signer {self.hashalg} with {n} fallback secret(s)>"

    def signature(self, payload: bytes, index: int = 0) -> bytes:
        return hmac_digest(self._keys[index], payload)

    def sign(self, payload: bytes) -> str:
        """Return the token for ``payload`` under the primary secret."""
        return _base64.encode(hmac_digest(self._keys[0], payload) + payload)

    def unsign(self, token: str) -> tuple[bytes, int]:
        """Return ``(payload, index)``: index 0 is the primary secret, 1.. the fallbacks.

        Raises :class:`BadSignature` for anything but a canonical token that
        verifies under one of the secrets.
        """
        if len(token) > self.longest_token:
            raise BadSignature("token longer than any cookie we write")
        raw = _base64.decode(token)
        n = self.digest_size
        # A token too short to hold a signature fails every comparison below.
        signature = raw[:n]
        payload = raw[n:]
        keys = self._keys
        if hmac.compare_digest(hmac_digest(keys[0], payload), signature):
            return payload, 0  # the primary secret: the usual case, without a loop
        for index in range(1, len(keys)):
            if hmac.compare_digest(hmac_digest(keys[index], payload), signature):
                return payload, index
        raise BadSignature("signature does not verify")

    # The Protector protocol of cookiesession.codec.
    seal = sign
    unseal = unsign
