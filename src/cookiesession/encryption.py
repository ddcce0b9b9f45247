"""Encrypted tokens: payload bytes <-> an AES-256-GCM cookie value (``cookiesession[crypto]``).

Format version 1, byte by byte (``docs/encryption.md`` gives the reasons and the bounds)::

    raw   = version (0x01, 1 byte) || salt (24 random bytes) || AES-256-GCM ciphertext || tag (16)
    token = urlsafe_base64(raw), '=' stripped

    K      = HKDF-SHA256(ikm=secret, salt=none, info="cookiesession/encrypted-cookie/v1" 0x00 salt-option)
    subkey = HMAC-SHA256(K, version || salt)            one fresh key per cookie
    ciphertext || tag = AES-256-GCM(subkey).encrypt(nonce=12 zero bytes, payload, aad=cookie name)

A fresh key per cookie, from 192 random bits, is what keeps the GCM nonce safe
at any realistic volume: a bare random 96-bit nonce under one key becomes
likely to repeat after about 2**48 cookies, and one repeat gives away the XOR of
two plaintexts and the means to forge.

``cryptography`` is imported when an :class:`Encryptor` is built, not when this
module is imported, so ``import cookiesession`` works without the extra.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from . import _base64
from .exceptions import BadCookie, BadSignature, ConfigurationTypeError, MissingDependency
from .signing import (
    MAX_TOKEN_LENGTH,
    SecretTooShortWarning,
    check_secret,
    hmac_digest,
    keyed_hmac,
    short_secret_message,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["DEFAULT_SALT", "Encryptor"]

#: The default ``salt``: part of the key-derivation label, like Pyramid's ``'pyramid.session.'``.
DEFAULT_SALT = "cookiesession.encrypted."

_VERSION = 1
_VERSION_BYTE = bytes([_VERSION])
_SALT_SIZE = 24  # 192 bits: see docs/encryption.md for the collision bound
_HEADER_SIZE = 1 + _SALT_SIZE
_TAG_SIZE = 16
_MIN_RAW_SIZE = _HEADER_SIZE + _TAG_SIZE
# Every subkey encrypts exactly one cookie, so a constant nonce never repeats under a key.
_NONCE = bytes(12)
_KEY_SIZE = 32  # AES-256
# The purpose label: no other use of the same secret (the signed factory's HMAC
# key is salt + secret itself) derives its key with this label.
_LABEL = b"cookiesession/encrypted-cookie/v1\x00"
# The one message for every token we cannot open: it says nothing about why, and
# never repeats the token.
_INVALID = "invalid encrypted session token"
_INSTALL_HINT = "encrypted sessions need the 'cryptography' package: pip install 'cookiesession[crypto]'"


def _secret_bytes(secret: object, name: str) -> bytes:
    checked = check_secret(secret, name)
    return checked if isinstance(checked, bytes) else checked.encode("utf-8")


def _label_bytes(salt: object) -> bytes:
    if salt is None:
        return b""
    if not isinstance(salt, (str, bytes)):
        raise ConfigurationTypeError(f"salt must be a str or bytes, not {type(salt).__name__}")
    return salt if isinstance(salt, bytes) else salt.encode("utf-8")


class Encryptor:
    """Encrypt payloads under the primary secret; open them under it or any fallback secret.

    Implements the ``Protector`` protocol of :mod:`cookiesession.codec` (``seal``/``unseal``).
    The expensive work (HKDF, keying the HMACs) happens here, once; a cookie
    costs one HMAC-SHA256 (its subkey) and one AES-GCM operation.
    """

    __slots__ = ("_aad", "_aead", "_invalid_tag", "_keys", "_random", "longest_token")

    def __init__(
        self,
        secret: str | bytes,
        cookie_name: str = "session",
        salt: str | bytes | None = DEFAULT_SALT,
        fallback_secrets: Sequence[str | bytes] = (),
        *,
        warn_short: bool = True,
        _random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        try:
            from cryptography.exceptions import InvalidTag
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            from cryptography.hazmat.primitives.kdf.hkdf import HKDF
        except ImportError as exc:
            raise MissingDependency(_INSTALL_HINT) from exc
        if isinstance(fallback_secrets, (str, bytes)):
            raise ConfigurationTypeError(
                "fallback_secrets must be a list of secrets, not a single str or bytes"
            )
        if not isinstance(cookie_name, str) or not cookie_name:
            raise ConfigurationTypeError("cookie_name must be a non-empty str")
        info = _LABEL + _label_bytes(salt)
        keys = []
        for i, each in enumerate([secret, *fallback_secrets]):
            name = "secret" if i == 0 else f"fallback_secrets[{i - 1}]"
            ikm = _secret_bytes(each, name)
            # Counted in the UTF-8 bytes HKDF takes, for every secret (fallbacks open cookies too).
            if warn_short and len(ikm) < _KEY_SIZE:
                warnings.warn(
                    short_secret_message(name, f"{_KEY_SIZE}-byte AES-256 key it is stretched into"),
                    SecretTooShortWarning,
                    stacklevel=3,
                )
            key = HKDF(algorithm=hashes.SHA256(), length=_KEY_SIZE, salt=None, info=info).derive(ikm)
            keys.append(keyed_hmac(key, "sha256"))
        self._keys = tuple(keys)
        # The cookie name is the associated data: authenticated, not stored in the token.
        self._aad = cookie_name.encode("utf-8")
        self._aead: type[AESGCM] = AESGCM
        self._invalid_tag: type[Exception] = InvalidTag
        self._random = _random
        #: The longest token opened (longer with ``max_cookies``: see cookiesession._pieces).
        self.longest_token = MAX_TOKEN_LENGTH

    def __repr__(self) -> str:
        n = len(self._keys) - 1
        return f"<Encryptor AES-256-GCM v{_VERSION} with {n} fallback secret(s)>"

    def seal(self, payload: bytes) -> str:
        """Return the token for ``payload`` under the primary secret."""
        header = _VERSION_BYTE + self._random(_SALT_SIZE)
        sealed = self._aead(hmac_digest(self._keys[0], header)).encrypt(_NONCE, payload, self._aad)
        return _base64.encode(header + sealed)

    def unseal(self, token: str) -> tuple[bytes, int]:
        """Return ``(payload, index)``: index 0 is the primary secret, 1.. the fallbacks.

        Raises :class:`BadSignature`, always with the same message, for anything
        but a canonical token that this cookie name and one of the secrets open.
        """
        if len(token) > self.longest_token:  # before any decoding work
            raise BadSignature(_INVALID)
        try:
            raw = _base64.decode(token)
        except BadCookie:
            raise BadSignature(_INVALID) from None
        if len(raw) < _MIN_RAW_SIZE or raw[0] != _VERSION:
            raise BadSignature(_INVALID)
        header = raw[:_HEADER_SIZE]
        sealed = memoryview(raw)[_HEADER_SIZE:]  # not copied
        for index, key in enumerate(self._keys):
            try:
                return self._aead(hmac_digest(key, header)).decrypt(_NONCE, sealed, self._aad), index
            except self._invalid_tag:
                continue
        raise BadSignature(_INVALID)
