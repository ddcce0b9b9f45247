"""HmacKey, the HMAC that signs and verifies every cookie, against the standard library's."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiesession.signing import HmacKey

# Every fixed-length algorithm hashlib guarantees (the SHAKEs have no fixed length).
ALGORITHMS = sorted(a for a in hashlib.algorithms_guaranteed if not a.startswith("shake"))


@pytest.mark.parametrize("hashalg", ALGORITHMS)
@given(
    key=st.binary(min_size=1, max_size=300),
    message=st.binary(max_size=300),
    tail=st.none() | st.binary(max_size=300),
)
def test_the_hmac_is_the_standard_librarys(
    hashalg: str, key: bytes, message: bytes, tail: bytes | None
) -> None:
    expected = hmac.digest(key, message + (tail or b""), hashalg)
    assert HmacKey(key, hashalg).digest(message, tail) == expected


@pytest.mark.parametrize("hashalg", ALGORITHMS)
def test_keys_around_the_block_size(hashalg: str) -> None:
    # Up to the block size a key is padded; past it, it is hashed first (RFC 2104).
    block = hashlib.new(hashalg).block_size
    for size in (1, block - 1, block, block + 1, 4 * block):
        key = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
        assert len(key) == size
        assert HmacKey(key, hashalg).digest(b"message") == hmac.digest(key, b"message", hashalg)


def test_a_key_gives_the_same_digest_every_time() -> None:
    # Each message works on copies: the key's own states never change.
    key = HmacKey(b"k" * 64, "sha512")
    first = key.digest(b"one")
    key.digest(b"two", b"three")
    assert key.digest(b"one") == first == hmac.digest(b"k" * 64, b"one", "sha512")


def test_the_tail_may_be_a_memoryview() -> None:
    payload = b"[1, 2.5, {}]" * 10
    key = HmacKey(b"secret", "sha256")
    assert key.digest(b"head", memoryview(payload)[4:]) == hmac.digest(
        b"secret", b"head" + payload[4:], "sha256"
    )


def test_the_repr_shows_no_key() -> None:
    key = HmacKey(b"very-secret-key", "sha512")
    assert repr(key) == "<HmacKey sha512>"
