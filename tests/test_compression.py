"""compress=True: shorter cookies, read either way, inflated only after verifying and within a bound."""

from __future__ import annotations

import importlib.util
import time
import tracemalloc
import zlib
from typing import Any

import pytest

from cookiesession import (
    BaseCookieSessionFactory,
    ConfigurationError,
    EncryptedCookieSessionFactory,
    JSONSerializer,
    RichJSONSerializer,
    SignedCookieSessionFactory,
    _compression,
)
from cookiesession._compression import MARK, MAX_INFLATED, deflate, inflate
from cookiesession.exceptions import BadPayload
from tests.conftest import require
from tests.session_harness import NOW, OTHER_SECRET, SECRET, FakeClock, mint, signed, signed_state

HAVE_CRYPTO = importlib.util.find_spec("cryptography") is not None
HAVE_PYRAMID = all(importlib.util.find_spec(m) is not None for m in ("pyramid", "webob"))

#: A state that compresses well, as carts and lists of ids do.
CART = {"cart": [{"sku": f"SKU-{i:05d}", "qty": i % 5, "name": "Widget deluxe"} for i in range(40)]}


def _make(kind: str) -> Any:
    if kind == "encrypted":
        require(HAVE_CRYPTO, "cryptography")
        return EncryptedCookieSessionFactory
    return SignedCookieSessionFactory


KINDS = pytest.mark.parametrize("kind", ["signed", "encrypted"])


@KINDS
def test_a_compressed_cookie_is_shorter_and_reads_back(clock: FakeClock, kind: str) -> None:
    plain, packed = (_make(kind)(SECRET, clock=clock, compress=compress) for compress in (False, True))
    token = mint(packed, CART)
    assert (len(token) < len(mint(plain, CART)) // 3, dict(packed.from_cookie_value(token))) == (True, CART)


def test_rich_values_compress_and_read_back(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, serializer=RichJSONSerializer(), compress=True)
    state = {"pairs": [(i, b"x" * 3) for i in range(60)]}
    assert dict(factory.from_cookie_value(mint(factory, state))) == state


@pytest.mark.parametrize("state", [{}, {"u": "a"}, {"token": "q8Zr2vXk0pLw7Yt"}, CART])
def test_a_compressed_cookie_is_never_longer(clock: FakeClock, state: dict[str, Any]) -> None:
    plain = SignedCookieSessionFactory(SECRET, clock=clock)
    packed = SignedCookieSessionFactory(SECRET, clock=clock, compress=True)
    assert len(mint(packed, state)) <= len(mint(plain, state))


@KINDS
def test_an_uncompressed_cookie_is_still_read(clock: FakeClock, kind: str) -> None:
    token = mint(_make(kind)(SECRET, clock=clock), CART)
    assert dict(_make(kind)(SECRET, clock=clock, compress=True).from_cookie_value(token)) == CART


def test_a_pyramid_cookie_is_still_read(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW), compress=True)
    assert dict(factory.from_cookie_value(signed_state(CART))) == CART


def test_pyramid_reads_the_default_uncompressed_cookies() -> None:
    require(HAVE_PYRAMID, "Pyramid and WebOb")
    import pyramid.session
    from pyramid.request import Request

    ours = SignedCookieSessionFactory(SECRET, clock=FakeClock(time.time()))
    request = Request.blank("/", headers={"Cookie": f"session={mint(ours, CART)}"})
    assert dict(pyramid.session.SignedCookieSessionFactory(SECRET)(request)) == CART


def _tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


@KINDS
def test_a_tampered_compressed_cookie_gives_a_fresh_session(clock: FakeClock, kind: str) -> None:
    factory = _make(kind)(SECRET, clock=clock, compress=True)
    token = mint(factory, CART)
    session = factory.from_cookie_value(_tampered(token))
    assert (dict(session), session.new, dict(factory.from_cookie_value(token))) == ({}, True, CART)


def test_nothing_is_inflated_before_the_signature_verified(clock: FakeClock, monkeypatch: Any) -> None:
    inflated: list[bytes] = []

    def spy(payload: bytes) -> bytes:
        inflated.append(payload)
        return inflate(payload)

    monkeypatch.setattr(_compression, "inflate", spy)
    factory = SignedCookieSessionFactory(SECRET, clock=clock, compress=True)
    forged = mint(SignedCookieSessionFactory(OTHER_SECRET, clock=clock, compress=True), CART)
    session = factory.from_cookie_value(forged)
    assert (dict(session), inflated) == ({}, [])


def _signed_compressed(raw: bytes) -> str:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return signed(MARK + packer.compress(raw) + packer.flush())


def test_a_validly_signed_decompression_bomb_is_refused_in_bounded_memory() -> None:
    # Two megabytes of JSON that deflate to about two kilobytes, signed with the secret.
    bomb = _signed_compressed(b'[1700000000, 1700000000, {"a": "' + b"0" * 2_000_000 + b'"}]')
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW), compress=True)
    assert len(bomb) < 4064
    tracemalloc.start()
    try:
        session = factory.from_cookie_value(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (dict(session), session.new, peak < 4 * MAX_INFLATED) == ({}, True, True)


@pytest.mark.parametrize(
    "payload",
    [
        MARK + b"not deflate at all",
        MARK + zlib.compress(b"[1, 1, {}]")[2:-4][:-2],  # cut short
        MARK + deflate(b"[1, 1, {}]" * 9)[1:] + b"trailing",
        MARK,
    ],
)
def test_a_signed_payload_that_does_not_inflate_whole_gives_a_fresh_session(payload: bytes) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW), compress=True)
    session = factory.from_cookie_value(signed(payload))
    assert (dict(session), session.new) == ({}, True)


def test_inflating_stops_at_the_limit() -> None:
    at_limit = b"a" * MAX_INFLATED
    assert inflate(deflate(at_limit)) == at_limit
    with pytest.raises(BadPayload) as caught:
        inflate(deflate(at_limit + b"a"))
    assert str(caught.value) == f"compressed payload does not inflate to at most {MAX_INFLATED} bytes"


def test_a_payload_starting_with_the_mark_is_always_compressed() -> None:
    odd = MARK + b"x"
    assert (deflate(odd)[:1], inflate(deflate(odd))) == (MARK, odd)


def test_the_base_factory_refuses_to_compress() -> None:
    with pytest.raises(ConfigurationError) as caught:
        BaseCookieSessionFactory(JSONSerializer(), compress=True)
    assert str(caught.value).startswith("BaseCookieSessionFactory cannot compress") is True


def test_a_payload_is_deflated_only_when_shorter() -> None:
    small = b'[1, 1, {"a": 1}]'
    large = b'[1, 1, {"a": "' + b"ab" * 200 + b'"}]'
    assert (deflate(small), deflate(large)[:1], len(deflate(large)) < len(large)) == (small, MARK, True)
