"""The HMAC every token is signed with (``signing.keyed_hmac`` and ``hmac_digest``)
gives exactly what the standard library's ``hmac`` gives, for every hash algorithm a
factory accepts, every key length around the algorithm's block size, and any message."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiesession.exceptions import ConfigurationError
from cookiesession.signing import hmac_digest, keyed_hmac, normalize_hashalg


def _fixed_size_algorithms() -> list[str]:
    names = []
    for name in sorted(hashlib.algorithms_available):
        try:
            normalize_hashalg(name)  # the algorithms a factory accepts
            hmac.new(b"key", b"message", name)
        except (ValueError, TypeError, ConfigurationError):  # refused by us, or no HMAC of it here
            continue
        names.append(name)
    return names


ALGORITHMS = _fixed_size_algorithms()


def test_the_usual_algorithms_are_among_those_checked() -> None:
    assert {"sha512", "sha256", "sha1"} <= set(ALGORITHMS)


@pytest.mark.parametrize("hashalg", ALGORITHMS)
def test_every_key_length_around_the_block_size(hashalg: str) -> None:
    block = hashlib.new(hashalg).block_size
    message = bytes(range(256)) * 3
    for length in (0, 1, block - 1, block, block + 1, 2 * block + 7):
        key = bytes((7 * i + length) % 256 for i in range(length))
        keyed = keyed_hmac(key, hashalg)
        assert hmac_digest(keyed, message) == hmac.new(key, message, hashalg).digest()
        assert hmac_digest(keyed, b"") == hmac.new(key, b"", hashalg).digest()


@given(key=st.binary(max_size=300), message=st.binary(max_size=2000), hashalg=st.sampled_from(ALGORITHMS))
def test_any_key_and_message(key: bytes, message: bytes, hashalg: str) -> None:
    assert hmac_digest(keyed_hmac(key, hashalg), message) == hmac.new(key, message, hashalg).digest()


def test_one_keyed_object_signs_many_messages_independently() -> None:
    keyed = keyed_hmac(b"k" * 80, "sha512")
    first = hmac_digest(keyed, b"first")
    hmac_digest(keyed, b"second")
    assert hmac_digest(keyed, b"first") == first == hmac.new(b"k" * 80, b"first", "sha512").digest()
