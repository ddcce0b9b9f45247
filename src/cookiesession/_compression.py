"""Compressed payloads (``compress=True``): raw DEFLATE behind a one-byte mark.

A compressed payload is ``0x00`` followed by raw DEFLATE (zlib, no header or
checksum: the signature or AEAD tag already covers every byte).  Measured on
session states of 200 B to 3 KB, raw DEFLATE was the smallest of the standard
library's codecs but for the largest state, where raw LZMA2 saved a further tenth
at a thousand times the time; bz2 and xz were larger throughout.

A payload is written compressed only when that is shorter, so a small state
keeps its plain payload, and a reader takes either.  (A plain payload that
itself starts with the mark, which no JSON text does, is always compressed, so
the mark is never ambiguous.)

:class:`Compressed` wraps a protector: it compresses before sealing, and inflates
only what the inner protector returned from ``unseal``, that is after the
signature or tag verified.  Inflating stops at :data:`MAX_INFLATED` bytes: a
payload that would grow beyond that is refused as a bad cookie, and is never
held in memory whole.
"""

from __future__ import annotations

import zlib
from typing import Any

from .exceptions import BadPayload

__all__ = ["MARK", "MAX_INFLATED", "Compressed", "deflate", "inflate"]

#: The first byte of a compressed payload.
MARK = b"\x00"
#: The most bytes a compressed payload may inflate to: far more than a cookie's
#: 4 KB holds at any ordinary ratio, and a bound on what one cookie can cost.
MAX_INFLATED = 256 * 1024
_RAW_DEFLATE = -zlib.MAX_WBITS  # negative window bits: no zlib header or checksum


def deflate(payload: bytes) -> bytes:
    """``payload`` as it is written: compressed if that is shorter (or if it starts with the mark)."""
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, _RAW_DEFLATE)
    packed = MARK + packer.compress(payload) + packer.flush()
    if len(packed) < len(payload) or payload[:1] == MARK:
        return packed
    return payload


def inflate(payload: bytes) -> bytes:
    """The payload ``deflate`` was given; :class:`BadPayload` for a compressed one that
    is not one whole DEFLATE stream of at most :data:`MAX_INFLATED` bytes."""
    if payload[:1] != MARK:
        return payload
    unpacker = zlib.decompressobj(_RAW_DEFLATE)
    try:
        inflated = unpacker.decompress(memoryview(payload)[1:], MAX_INFLATED)
    except zlib.error:
        raise BadPayload("compressed payload does not inflate") from None
    # Input left over: it stopped at the limit.  Not at its end: cut short.  Bytes
    # after its end: not what deflate writes.
    if unpacker.unconsumed_tail or not unpacker.eof or unpacker.unused_data:
        raise BadPayload(f"compressed payload does not inflate to at most {MAX_INFLATED} bytes")
    return inflated


class Compressed:
    """A protector that compresses what ``inner`` seals, and inflates what it unseals."""

    __slots__ = ("inner",)

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return f"<compressed {self.inner!r}>"

    def seal(self, payload: bytes) -> str:
        return self.inner.seal(deflate(payload))  # type: ignore[no-any-return]

    def unseal(self, token: str) -> tuple[bytes, int]:
        payload, key_index = self.inner.unseal(token)  # raises BadCookie unless it verified
        return inflate(payload), key_index
