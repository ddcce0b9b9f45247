"""Hostile ``Cookie`` headers cost work in proportion to what a cookie can carry.

Each shape has a budget in work done, never in time: the characters ``find_cookie`` unescapes
(a spy on its escape pattern counts them) and the bytes copied while the ASGI adapter joins
``Cookie`` header lines (a spy on concatenation counts them), and the size of what is handed on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory, cookies
from cookiesession.asgi import MAX_COOKIE_LINES, SessionMiddleware, cookie_header
from cookiesession.cookies import LONGEST_ESCAPED_VALUE, find_cookie, quote_cookie_value
from cookiesession.session import CookieSession
from cookiesession.signing import MAX_TOKEN_LENGTH
from tests.session_harness import SECRET, FakeClock, mint

MEGABYTE = 1024 * 1024


class _CountingEscapes:
    """Stands in for ``cookies._ESCAPE``: counts the characters given to ``sub``."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.characters = 0

    def sub(self, replace: Callable[[re.Match[str]], str], text: str) -> str:
        self.characters += len(text)
        return self.pattern.sub(replace, text)


@pytest.fixture
def escapes(monkeypatch: pytest.MonkeyPatch) -> _CountingEscapes:
    spy = _CountingEscapes(cookies._ESCAPE)
    monkeypatch.setattr(cookies, "_ESCAPE", spy)
    return spy


def _factory() -> type[CookieSession]:
    return SignedCookieSessionFactory(SECRET, clock=FakeClock())


# -- escapes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        'session="' + "\\001" * (MEGABYTE // 4) + '"',  # one quoted megabyte of octal escapes
        "session=" + "\\\\" * (MEGABYTE // 2),  # unquoted, two characters an escape
        'a=1; session="' + "\\101" * (MEGABYTE // 4) + '"; b=2',  # among neighbours
    ],
    ids=["quoted-octal", "unquoted-backslashes", "among-neighbours"],
)
def test_a_megabyte_of_escapes_is_not_unescaped(escapes: _CountingEscapes, header: str) -> None:
    session = _factory().from_cookie_header(header)
    # Not one character unescaped: the value is longer than any escaped cookie can be.
    assert (session.new, dict(session), escapes.characters) == (True, {}, 0)


def test_the_longest_escaped_value_a_cookie_can_have_is_still_unescaped(escapes: _CountingEscapes) -> None:
    # 4064 characters, every one of which WebOb writes as a 4-character octal escape.
    longest = "\x01" * MAX_TOKEN_LENGTH
    quoted = quote_cookie_value(longest)
    assert len(quoted) == LONGEST_ESCAPED_VALUE + 2  # the escapes and the two quotes
    assert find_cookie(f"session={quoted}", "session") == longest
    assert escapes.characters == LONGEST_ESCAPED_VALUE
    # One more escape is more than a cookie can hold: returned as it is, and refused.
    longer = '"' + "\\001" * (MAX_TOKEN_LENGTH + 1) + '"'
    assert find_cookie(f"session={longer}", "session") == longer[1:-1]
    assert escapes.characters == LONGEST_ESCAPED_VALUE
    assert _factory().from_cookie_header(f"session={longer}").new is True


@given(st.text(st.characters(max_codepoint=255), max_size=MAX_TOKEN_LENGTH))
def test_every_value_webob_writes_within_the_limit_reads_back(value: str) -> None:
    # quote_cookie_value writes values as WebOb's set_cookie does (tests/test_vectors.py).
    assert find_cookie(f"a=1; session={quote_cookie_value(value)}; b=2", "session") == value


def test_the_worst_webob_escaping_within_the_limit_reads_back() -> None:
    # Every character escaped, at the longest value: the bound is exactly what it needs.
    value = "".join(chr(c) for c in range(256) if chr(c) not in cookies._ATTR_CHARS) * 40
    value = value[:MAX_TOKEN_LENGTH]
    assert (len(value), find_cookie(f"session={quote_cookie_value(value)}", "session")) == (
        MAX_TOKEN_LENGTH,
        value,
    )


# -- many Cookie header lines (ASGI) -------------------------------------------------------------


_COPIED: list[int] = []


class _Line(bytes):
    """A header value that counts the bytes each concatenation ending with it copies."""

    def __radd__(self, other: bytes) -> bytes:
        _COPIED.append(len(other) + len(self))
        return bytes(other) + bytes(self)


def _cookie_lines(count: int) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", _Line(b"c%d=v%d" % (i, i))) for i in range(count)]


def test_many_cookie_lines_are_joined_without_copying_them_again_and_again() -> None:
    _COPIED.clear()
    headers = _cookie_lines(MAX_COOKIE_LINES)
    header = cookie_header({"headers": headers})
    # One join: each byte copied once, not once per later line.
    assert (sum(_COPIED), len(header)) == (0, sum(len(v) + 2 for _, v in headers) - 2)


def test_cookie_lines_past_the_limit_are_not_read() -> None:
    factory = _factory()
    token = mint(factory, {"n": 1})
    junk = _cookie_lines(MAX_COOKIE_LINES - 1)
    ours = [(b"cookie", f"session={token}".encode())]
    # A later line would win (the last cookie of a name does), were it read.
    beyond = [(b"cookie", b"session=bad%d" % i) for i in range(10 * MAX_COOKIE_LINES)]
    scope = {"type": "http", "headers": [(b"host", b"x"), *junk, *ours, *beyond]}
    header = cookie_header(scope)
    expected = "; ".join([*(v.decode() for _, v in junk), f"session={token}"])
    assert header == expected

    async def read() -> dict[str, Any]:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            pass

        session = await SessionMiddleware(app, factory).open_session(scope)
        return dict(session)

    assert asyncio.run(read()) == {"n": 1}


def test_fewer_lines_than_the_limit_are_all_read_in_order() -> None:
    headers = [(b"Cookie", b"a=1"), (b"host", b"x"), (b"COOKIE", b"b=2")]
    assert cookie_header({"headers": headers}) == "a=1; b=2"
