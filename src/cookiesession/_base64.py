"""Unpadded urlsafe base64, the alphabet of every token: strict when decoding.

Decoding accepts only the canonical encoding, the one :func:`encode` writes (and
WebOb writes): no ``+``/``/``, no padding, no stray characters, no non-zero
trailing bits.  So each payload has exactly one token, and a re-encoded variant
of a valid cookie is refused like any other malformed one.

The base64 work itself is pybase64's when it is installed (the
``cookiesession[fast-base64]`` extra): its SIMD code decodes a cookie four to
fourteen times faster than ``binascii``, whose decoder goes a byte at a time.
The checks around it are the same either way, and so is every result:
``tests/test_base64.py`` compares the two on valid and hostile input.
"""

from __future__ import annotations

import binascii
import re
import string
import sys
from collections.abc import Callable

from .exceptions import BadSignature

__all__ = ["decode", "encode", "using_pybase64"]

_ALPHABET = string.ascii_letters + string.digits + "-_"
# The characters that may end a canonical unpadded token, by its length % 4.  With
# 3 or 2, the last character carries 2 or 4 unused bits, which the canonical encoding
# leaves zero; 1 is never valid; with 0 there is no padding ("=") and "" is the empty token.
_CANONICAL_LAST: tuple[frozenset[str], ...] = (
    frozenset(_ALPHABET) | {""},
    frozenset(),
    frozenset("AQgw"),
    frozenset("AEIMQUYcgkosw048"),
)
_PADDING = ("", "", "==", "=")  # by length % 4 (1 is never valid)
# binascii's strict mode (Python 3.11+) refuses every character outside the
# standard alphabet and misplaced padding; Python 3.10 has only the lenient
# decoder, so the characters are checked first there (padding only at the end).
_STRICT = sys.version_info >= (3, 11)
_URLSAFE_PADDED = re.compile(f"[{re.escape(_ALPHABET)}]*={{0,2}}")


def _binascii_encode(raw: bytes) -> bytes:
    # Two replaces cost less than one translate here (measured on cookie-sized input).
    return binascii.b2a_base64(raw, newline=False).replace(b"+", b"-").replace(b"/", b"_")


def _binascii_decode(padded: str) -> bytes:
    standard = padded.replace("-", "+").replace("_", "/")
    if _STRICT:
        return binascii.a2b_base64(standard, strict_mode=True)  # type: ignore[call-arg,unused-ignore]
    # Python 3.10 only: measured there (coverage is combined over every version).
    if _URLSAFE_PADDED.fullmatch(padded) is None:
        raise ValueError("not urlsafe base64")
    return binascii.a2b_base64(standard)


def _backend() -> tuple[Callable[[bytes], bytes], Callable[[str], bytes]]:
    """Padded urlsafe base64 encoding and strict decoding: pybase64's when it is installed."""
    try:
        import pybase64
    except ImportError:
        return _binascii_encode, _binascii_decode
    b64encode, b64decode = pybase64.b64encode, pybase64.b64decode

    # Its arguments given by position: keywords (or a functools.partial holding
    # them) cost more than the call into a small function (measured).
    def pybase64_encode(raw: bytes) -> bytes:
        return b64encode(raw, b"-_")

    def pybase64_decode(padded: str) -> bytes:
        # validate=True: any character outside the alphabet (and misplaced padding) is
        # an error, as in binascii's strict mode.
        return b64decode(padded, "-_", True)

    return pybase64_encode, pybase64_decode


_urlsafe_encode, _urlsafe_decode = _backend()


def using_pybase64() -> bool:
    """Whether tokens are encoded and decoded by pybase64 (the ``cookiesession[fast-base64]`` extra)."""
    return _urlsafe_decode is not _binascii_decode


def encode(raw: bytes) -> str:
    """``raw`` as unpadded urlsafe base64 text."""
    return _urlsafe_encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str) -> bytes:
    """The bytes of canonical unpadded urlsafe base64 ``token``; :class:`BadSignature` otherwise.

    Every cookie is decoded here before its signature is checked, so the
    cheapest checks come first and each scans the token at most once.
    """
    rem = len(token) & 3
    # '+' and '/' are standard base64: binascii would take them after the mapping
    # below, and pybase64 given the urlsafe alphabet still takes them (deprecated).
    if token[-1:] not in _CANONICAL_LAST[rem] or "+" in token or "/" in token:
        raise BadSignature("malformed token")
    try:
        return _urlsafe_decode(token + _PADDING[rem])
    except ValueError:  # binascii.Error, or a str that is not ASCII
        raise BadSignature("malformed token") from None
