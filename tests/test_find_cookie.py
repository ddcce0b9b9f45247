"""Finding our cookie in a ``Cookie`` header: find_cookie, and the sessions made from a header."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory
from cookiesession.cookies import find_cookie
from cookiesession.session import CookieSession

from .session_harness import SECRET, FakeClock, FakeRequest, mint

_pieces = st.sampled_from(["session=", "session", "=", ";", ",", " ", "\t", '"', "a", "-_", "x=1"])


@given(st.lists(_pieces, max_size=12).map("".join))
def test_the_value_found_does_not_depend_on_cookies_before_ours(header: str) -> None:
    # A header holding our cookie alone is read without looking for separators;
    # another cookie in front makes find_cookie look for them.
    assert find_cookie(header, "session") == find_cookie("z=0; " + header, "session")


def test_named_cases() -> None:
    assert find_cookie("session=abc", "session") == "abc"
    assert find_cookie('session="abc"', "session") == "abc"
    assert find_cookie("session=a=b", "session") == "a=b"
    assert find_cookie("session=abc; session=def", "session") == "def"
    assert find_cookie("session=abc,session=def", "session") == "def"
    assert find_cookie("xsession=abc", "session") is None
    assert find_cookie("a=1; session= abc ", "session") == "abc"


_factory = SignedCookieSessionFactory(SECRET, clock=FakeClock())
_A, _B = mint(_factory, {"a": 1}), mint(_factory, {"b": 2})


def _from_request(header: str | None) -> CookieSession:
    return _factory(FakeRequest(header))


@pytest.mark.parametrize("load", [_factory.from_cookie_header, _from_request], ids=["header", "request"])
def test_named_headers_for_a_session(load: Callable[[str | None], CookieSession]) -> None:
    assert dict(load(f"session={_A}")) == {"a": 1}
    assert dict(load(f"session={_A}; x=1")) == {"a": 1}
    assert dict(load(f"session={_A}; session={_B}")) == {"b": 2}
    assert dict(load(f'session="{_A}"')) == {"a": 1}
    assert dict(load(f"x=1; session={_A}")) == {"a": 1}
    assert dict(load(f"session={_A},x=1")) == {"a": 1}
    assert load(f"session={_A}x").new is True
    assert load("").new is True
    assert load(None).new is True
