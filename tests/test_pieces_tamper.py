"""A session in pieces that a client mixed, dropped, reordered, replayed or cut is a fresh session."""

from __future__ import annotations

import importlib.util
import tracemalloc
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cookiesession import EncryptedCookieSessionFactory, SignedCookieSessionFactory
from cookiesession._compression import MARK, MAX_INFLATED
from cookiesession._pieces import MAX_COOKIES, MAX_HEADER
from cookiesession.signing import Signer
from tests.conftest import require
from tests.session_harness import SALT, SECRET, FakeClock, noise, stored_state, written

HAVE_CRYPTO = importlib.util.find_spec("cryptography") is not None


def _factory(kind: str, **options: Any) -> Any:
    clock = FakeClock()
    if kind == "encrypted":
        require(HAVE_CRYPTO, "cryptography")
        return EncryptedCookieSessionFactory(SECRET, clock=clock, max_cookies=4, **options)
    return SignedCookieSessionFactory(SECRET, clock=clock, max_cookies=4, **options)


KINDS = pytest.mark.parametrize("kind", ["signed", "encrypted"])


def pairs(set_cookies: list[str]) -> list[tuple[str, str]]:
    """The (name, value) pairs of a response's cookies, in order."""
    return [tuple(each.split(";", 1)[0].split("=", 1)) for each in set_cookies]  # type: ignore[misc]


def header(cookies: list[tuple[str, str]]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies)


def fresh(factory: Any, cookie_header: str) -> tuple[bool, dict[str, Any]]:
    session = factory.from_cookie_header(cookie_header)
    return session.new, stored_state(session)


def three_pieces(factory: Any, seed: int = 1) -> list[tuple[str, str]]:
    cookies = pairs(written(factory, {"big": noise(9000, seed)}))
    assert [name for name, _ in cookies] == ["session", "session.1", "session.2"]
    return cookies


@KINDS
def test_the_pieces_as_written_are_read(kind: str) -> None:
    factory = _factory(kind)
    assert fresh(factory, header(three_pieces(factory))) == (False, {"big": noise(9000)})


@KINDS
def test_pieces_of_two_sessions_mixed(kind: str) -> None:
    factory = _factory(kind)
    ours, theirs = three_pieces(factory, 1), three_pieces(factory, 2)
    for index in range(3):
        mixed = [theirs[i] if i == index else ours[i] for i in range(3)]
        assert fresh(factory, header(mixed)) == (True, {})


@KINDS
@pytest.mark.parametrize("dropped", [0, 1, 2])
def test_a_piece_dropped(kind: str, dropped: int) -> None:
    factory = _factory(kind)
    cookies = three_pieces(factory)
    assert fresh(factory, header([c for i, c in enumerate(cookies) if i != dropped])) == (True, {})


@KINDS
def test_pieces_reordered(kind: str) -> None:
    factory = _factory(kind)
    (first, first_value), (second, second_value), (third, third_value) = three_pieces(factory)
    swapped = [(first, first_value), (second, third_value), (third, second_value)]
    assert fresh(factory, header(swapped)) == (True, {})
    # The order of the pairs in the header does not matter: the names say it.
    assert fresh(factory, header(three_pieces(factory)[::-1])) == (False, {"big": noise(9000)})


@KINDS
def test_a_piece_replayed_from_an_earlier_response(kind: str) -> None:
    factory = _factory(kind)
    earlier = three_pieces(factory)
    later = pairs(written(factory, {"big": noise(9000, 2)}, header(earlier)))
    for index in range(3):
        replayed = [earlier[i] if i == index else later[i] for i in range(3)]
        assert (replayed[index] != later[index], fresh(factory, header(replayed))) == (True, (True, {}))


@KINDS
@pytest.mark.parametrize("cut", [1, 2, 100])
def test_a_piece_cut_short(kind: str, cut: int) -> None:
    factory = _factory(kind)
    for index in range(3):
        cookies = three_pieces(factory)
        name, value = cookies[index]
        cookies[index] = (name, value[:-cut])
        assert fresh(factory, header(cookies)) == (True, {})


@pytest.mark.parametrize(
    "head", ["~2~", "~4~", "~5~", "~9~", "~10~", "~0~", "~03~", "~-3~", "~3", "~", "~~", "~x~", "~³~", "~٣~"]
)
def test_a_head_that_lies_or_does_not_parse(head: str) -> None:
    factory = _factory("signed")
    cookies = three_pieces(factory)
    name, value = cookies[0]
    cookies[0] = (name, head + value[3:])
    assert fresh(factory, header(cookies)) == (True, {})


def test_pieces_longer_than_any_written_are_not_joined() -> None:
    factory = _factory("signed")
    too_long = [("session", "~4~" + "A" * MAX_HEADER)] + [
        (f"session.{i}", "A" * MAX_HEADER) for i in (1, 2, 3)
    ]
    assert fresh(factory, header(too_long)) == (True, {})


def test_a_hostile_header_of_many_pieces_is_a_fresh_session() -> None:
    # Each piece is found by one backward search of the header, at most max_cookies - 1 times.
    factory = _factory("signed")
    pieces = "; ".join(f"session.{i % 4}=" + "A" * 50 for i in range(20000))
    assert fresh(factory, f"session=~4~AAAA; {pieces}") == (True, {})


def _bomb_in_pieces(signer: Signer) -> list[tuple[str, str]]:
    # A payload signed with the real secret (as only a holder of it could) that
    # inflates far beyond the limit, spread over four cookies.
    huge = b'[1700000000, 1700000000, {"a": "' + b"x" * (40 * MAX_INFLATED) + b'"}]'
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    token = signer.sign(MARK + packer.compress(huge) + packer.flush())
    size = len(token) // 4 + 1
    parts = [token[i : i + size] for i in range(0, len(token), size)]
    assert len(parts) == 4
    return [("session", "~4~" + parts[0])] + [(f"session.{i}", part) for i, part in enumerate(parts[1:], 1)]


def test_a_decompression_bomb_across_pieces_is_refused_without_inflating_it() -> None:
    factory = _factory("signed", compress=True)
    bomb = header(_bomb_in_pieces(Signer(SECRET, SALT)))
    tracemalloc.start()
    try:
        outcome = fresh(factory, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (outcome, peak < 4 * MAX_INFLATED) == ((True, {}), True)


_MUTATIONS = st.sampled_from(["drop", "swap", "cut", "flip", "duplicate", "rename"])


@settings(max_examples=40, deadline=None)
@given(mutation=_MUTATIONS, index=st.integers(0, 2), other=st.integers(0, 2), at=st.integers(0, 4000))
def test_any_change_to_the_pieces_gives_a_fresh_session_or_the_same_one(
    mutation: str, index: int, other: int, at: int
) -> None:
    factory = _factory("signed")
    original = three_pieces(factory)
    cookies = list(original)
    name, value = cookies[index]
    if mutation == "drop":
        del cookies[index]
    elif mutation == "swap":
        cookies[index], cookies[other] = (name, cookies[other][1]), (cookies[other][0], value)
    elif mutation == "cut":
        cookies[index] = (name, value[: at % len(value)])
    elif mutation == "flip":
        position = at % len(value)
        flipped = "B" if value[position] == "A" else "A"
        cookies[index] = (name, value[:position] + flipped + value[position + 1 :])
    elif mutation == "duplicate":  # an earlier copy of the same name: the last one wins
        cookies.insert(0, (cookies[other][0], value))
    else:
        cookies[index] = (f"session.{MAX_COOKIES + index}", value)
    joined = {n: v for n, v in cookies}  # what the reader sees: the last of each name
    unchanged = joined == dict(original)
    expected = (False, {"big": noise(9000)}) if unchanged else (True, {})
    assert fresh(factory, header(cookies)) == expected


_PIECE_TEXT = st.text(alphabet='~0123456789AB-_;=, .\t"\\', max_size=40)


@settings(max_examples=200, deadline=None)
@given(head=_PIECE_TEXT, others=st.lists(st.tuples(st.integers(0, 12), _PIECE_TEXT), max_size=6))
def test_no_cookie_header_of_pieces_raises(head: str, others: list[tuple[int, str]]) -> None:
    factory = _factory("signed")
    pieces = "; ".join(f"session.{index}={value}" for index, value in others)
    for cookie_header in (f"session=~{head}; {pieces}", f"session={head}; {pieces}"):
        session = factory.from_cookie_header(cookie_header)
        assert (session.new, stored_state(session)) == (True, {})
        assert factory.from_cookie_value(f"~{head}", {"session.1": head}).new is True
