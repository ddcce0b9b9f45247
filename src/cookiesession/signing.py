"""Signed tokens: payload bytes <-> cookie value, in Pyramid/WebOb's wire format.

token = urlsafe_base64(HMAC(salt + secret, payload) + payload), ``=`` stripped.

Decoding is strict where WebOb's is lenient: only the canonical encoding that
WebOb itself writes is accepted (no ``+``/``/``, no padding, no stray characters,
no non-zero trailing bits).  Every cookie Pyramid writes is canonical, so real
Pyramid cookies still verify; a re-encoded variant of a valid cookie does not.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import re
import string
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from .exceptions import BadSignature, ConfigurationError, ConfigurationTypeError

__all__ = ["HmacKey", "SecretTooShortWarning", "Signer", "derive_hmac_key", "normalize_hashalg"]

#: Pyramid refuses to store a cookie value longer than this; we refuse to read one.
MAX_TOKEN_LENGTH = 4064

_HAS_STRICT_B64 = sys.version_info >= (3, 11)
_URLSAFE_ALPHABET = string.ascii_letters + string.digits + "-_"
_URLSAFE_B64 = re.compile(f"[{re.escape(_URLSAFE_ALPHABET)}]*")  # Python 3.10 only: see b64decode
# The characters that may end a canonical unpadded token, by its length % 4.  With
# 3 or 2, the last character carries 2 or 4 unused bits, which the canonical encoding
# leaves zero; 1 is never valid; with 0 there is no padding ("=") and "" is the empty token.
_CANONICAL_LAST: tuple[frozenset[str], ...] = (
    frozenset(_URLSAFE_ALPHABET) | {""},
    frozenset(),
    frozenset("AQgw"),
    frozenset("AEIMQUYcgkosw048"),
)
_PADDING = ("", "", "==", "=")  # by length % 4 (1 is never valid)


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


def _as_bytes_pair(salt: str | bytes, secret: str | bytes) -> bytes:
    # WebOb's rule: latin-1 for both; if either cannot be latin-1, UTF-8 for both.
    try:
        return _to_bytes(salt, "latin-1") + _to_bytes(secret, "latin-1")
    except UnicodeEncodeError:
        return _to_bytes(salt, "utf-8") + _to_bytes(secret, "utf-8")


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
    secret = check_secret(secret, name)
    if salt is None:
        salt = ""
    if not isinstance(salt, (str, bytes)):
        raise ConfigurationTypeError(f"salt must be a str or bytes, not {type(salt).__name__}")
    return _as_bytes_pair(salt, secret)


def _secret_length(secret: str | bytes) -> int:
    return len(secret) if isinstance(secret, bytes) else len(secret.encode("utf-8"))


def b64encode(raw: bytes) -> str:
    """Unpadded urlsafe base64, as text."""
    return (
        binascii.b2a_base64(raw, newline=False)
        .rstrip(b"=")
        .replace(b"+", b"-")
        .replace(b"/", b"_")
        .decode("ascii")
    )


def b64decode(token: str) -> bytes:
    """Decode canonical unpadded urlsafe base64; raise :class:`BadSignature` otherwise.

    Every cookie is decoded here before its signature is checked, so the checks
    are ordered cheapest first and each scans the token at most once.
    """
    rem = len(token) & 3
    if token[-1:] not in _CANONICAL_LAST[rem]:
        raise BadSignature("malformed token")
    if _HAS_STRICT_B64:
        # '+' and '/' are strict standard base64 but not in our alphabet, so they
        # must be refused before the mapping below; strict mode refuses the rest,
        # '=' anywhere but in the padding we add included.
        if "+" in token or "/" in token:
            raise BadSignature("malformed token")
        try:
            return binascii.a2b_base64(  # type: ignore[call-arg,unused-ignore]
                token.replace("-", "+").replace("_", "/") + _PADDING[rem], strict_mode=True
            )
        except ValueError:  # binascii.Error, or a str that is not ASCII
            raise BadSignature("malformed token") from None
    if _URLSAFE_B64.fullmatch(token) is None:  # pragma: no cover - Python 3.10 only
        raise BadSignature("malformed token")
    return binascii.a2b_base64(token.replace("-", "+").replace("_", "/") + _PADDING[rem])  # pragma: no cover


_compare_digest = hmac.compare_digest
_a2b_base64 = binascii.a2b_base64  # one global lookup on the hot path, not two


# Every byte XORed with HMAC's inner and outer pad bytes (RFC 2104), for bytes.translate.
_XOR_IPAD = bytes(b ^ 0x36 for b in range(256))
_XOR_OPAD = bytes(b ^ 0x5C for b in range(256))


class HmacKey:
    """An HMAC (RFC 2104) key set up once: the states of the hash after the key's
    inner and outer pads, which each message copies.

    The standard library's pure-Python ``hmac.HMAC`` works this way too.  Copying
    OpenSSL's own HMAC object instead copies three hash states, and its
    ``digest()`` copies them again; that costs about 0.4 µs more per message here,
    a tenth of an HMAC-SHA512 over a medium cookie.  Tests check every algorithm
    and key length against :func:`hmac.digest`.
    """

    __slots__ = ("inner", "outer")

    def __init__(self, key: bytes, hashalg: str) -> None:
        inner = hashlib.new(hashalg)
        block = inner.block_size
        if len(key) > block:
            key = hashlib.new(hashalg, key).digest()
        key = key.ljust(block, b"\0")
        inner.update(key.translate(_XOR_IPAD))
        outer = hashlib.new(hashalg, key.translate(_XOR_OPAD))
        self.inner: Any = inner
        self.outer: Any = outer

    def __repr__(self) -> str:
        return f"<HmacKey {self.inner.name}>"  # never the key, nor a state made from it

    def digest(self, message: bytes, tail: bytes | memoryview | None = None) -> bytes:
        """The HMAC of ``message``, followed by ``tail`` if given (not copied)."""
        inner = self.inner.copy()
        inner.update(message)
        if tail is not None:
            inner.update(tail)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.digest()  # type: ignore[no-any-return]


class Signer:
    """Sign payloads with the primary secret; verify under it or any fallback secret.

    The HMAC keys are set up once here (see :class:`HmacKey`): OpenSSL 3 spends
    about a microsecond fetching the algorithm and setting up the key of a
    fresh HMAC, and a saved request signs twice.
    """

    __slots__ = ("_inner", "_keys", "_outer", "_primary", "digest_size", "hashalg")

    #: unsign() refuses every token that is not canonical urlsafe base64
    #: (see the Protector protocol in cookiesession.codec).
    urlsafe_tokens = True

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
        secrets = [secret, *fallback_secrets]
        keys = []
        for i, each in enumerate(secrets):
            name = "secret" if i == 0 else f"fallback_secrets[{i - 1}]"
            keys.append(derive_hmac_key(each, salt, name=name))
        if warn_short and _secret_length(secret) < self.digest_size:
            warnings.warn(
                f"the secret is shorter than the {self.digest_size}-byte digest of "
                f"{self.hashalg}; generate a strong one with "
                f"`python -m cookiesession keygen --hashalg {self.hashalg}`",
                SecretTooShortWarning,
                stacklevel=3,
            )
        self._keys = tuple(HmacKey(k, self.hashalg) for k in keys)
        self._primary = self._keys[0]
        # The primary key's hash states, for unsign's inlined HMAC.
        self._inner = self._primary.inner
        self._outer = self._primary.outer

    def __repr__(self) -> str:
        n = len(self._keys) - 1
        return f"<Signer {self.hashalg} with {n} fallback secret(s)>"

    def signature(self, payload: bytes, index: int = 0) -> bytes:
        return self._keys[index].digest(payload)

    def sign(self, payload: bytes) -> str:
        """Return the token for ``payload`` under the primary secret."""
        return b64encode(self._primary.digest(payload) + payload)

    def unsign(self, token: str) -> tuple[bytes, int]:
        """Return ``(payload, index)``: index 0 is the primary secret, 1.. the fallbacks.

        Raises :class:`BadSignature` for anything but a canonical token that
        verifies under one of the secrets.
        """
        length = len(token)
        if length > MAX_TOKEN_LENGTH:
            raise BadSignature("token longer than any cookie we write")
        # b64decode(token), inlined: this runs on every request, where a Python call
        # costs several times what it does in a loop.  The tests hold the two to the
        # same verdict on every token they try.
        rem = length & 3
        if not _HAS_STRICT_B64:  # pragma: no cover - Python 3.10 only
            raw = b64decode(token)
        elif token[-1:] not in _CANONICAL_LAST[rem] or "+" in token or "/" in token:
            raise BadSignature("malformed token")
        else:
            try:
                raw = _a2b_base64(  # type: ignore[call-arg,unused-ignore]
                    token.replace("-", "+").replace("_", "/") + _PADDING[rem], strict_mode=True
                )
            except ValueError:
                raise BadSignature("malformed token") from None
        n = self.digest_size
        # A token too short to hold a signature fails the comparison below.
        sig = raw[:n]
        payload = raw[n:]
        # The primary secret first, the common case: self._primary.digest(payload), inlined.
        inner = self._inner.copy()
        inner.update(payload)
        outer = self._outer.copy()
        outer.update(inner.digest())
        if _compare_digest(outer.digest(), sig):
            return payload, 0
        keys = self._keys
        for index in range(1, len(keys)):
            if _compare_digest(keys[index].digest(payload), sig):
                return payload, index
        raise BadSignature("signature does not verify")

    def resign(self, token: str, payload: bytes, head: bytes) -> str:
        """The token for ``payload`` with its first ``len(head)`` bytes replaced by
        ``head``, given ``token``, the (canonical) token of ``payload``.

        Base64 encodes each 3 bytes on their own, so past the signature and the
        head, whole groups of the new token are those of ``token``: only the
        signature and the groups it shares with the head are encoded again.
        """
        body = memoryview(payload)[len(head) :]  # not copied
        digest = self._primary.digest(head, body)
        changed = -(-(self.digest_size + len(head)) // 3) * 3  # bytes in the groups that change
        kept = changed // 3 * 4  # the token's characters from there on stay
        return b64encode(digest + head + body[: changed - self.digest_size - len(head)]) + token[kept:]

    # The Protector protocol of cookiesession.codec.
    seal = sign
    unseal = unsign
