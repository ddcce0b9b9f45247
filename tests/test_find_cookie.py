"""The fast paths of cookie lookup agree with the general scan: find_cookie's (our
cookie alone in the header) and the session's (our cookie first in the header)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory
from cookiesession.cookies import _last_pair_value, find_cookie

from .conftest import FakeClock
from .session_harness import FakeRequest


def _general(header: str, name: str) -> str | None:
    value = _last_pair_value(header, name + "=")
    if value is not None and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    return value


_pieces = st.sampled_from(["session=", "session", "=", ";", ",", " ", "\t", '"', "a", "-_", "x=1"])


@given(st.lists(_pieces, max_size=12).map("".join))
def test_fast_path_agrees_with_the_general_scan(header: str) -> None:
    assert find_cookie(header, "session") == _general(header, "session")


def test_named_cases() -> None:
    assert find_cookie("session=abc", "session") == "abc"
    assert find_cookie('session="abc"', "session") == "abc"
    assert find_cookie("session=a=b", "session") == "a=b"
    assert find_cookie("session=abc; session=def", "session") == "def"
    assert find_cookie("session=abc,session=def", "session") == "def"
    assert find_cookie("xsession=abc", "session") is None
    assert find_cookie("a=1; session= abc ", "session") == "abc"


_factory = SignedCookieSessionFactory("k" * 64, clock=FakeClock())


def _token(state: dict[str, int]) -> str:
    session = _factory.from_cookie_value(None)
    session.update(state)
    header = session.set_cookie_header()
    assert header is not None
    return header.split(";", 1)[0].split("=", 1)[1]


_A, _B = _token({"a": 1}), _token({"b": 2})
_header_pieces = st.sampled_from(
    [
        *("session=" + _A, "session=" + _B, f'session="{_A}"', "session=", "session=x", _A),
        *(";", "; ", ",", " ", "x=1"),
    ]
)


@given(st.lists(_header_pieces, max_size=6).map("".join))
def test_a_session_read_from_the_header_is_the_one_its_cookie_gives(header: str) -> None:
    # from_cookie_header (as factory(request)) first tries the rest of the header
    # as the value when it starts with "session=": never with another outcome.
    direct = _factory.from_cookie_header(header)
    found = _factory.from_cookie_value(find_cookie(header, "session"))
    assert (direct.new, dict(direct)) == (found.new, dict(found))


def test_named_headers_for_a_session() -> None:
    assert dict(_factory.from_cookie_header(f"session={_A}")) == {"a": 1}
    assert dict(_factory.from_cookie_header(f"session={_A}; x=1")) == {"a": 1}
    assert dict(_factory.from_cookie_header(f"session={_A}; session={_B}")) == {"b": 2}
    assert dict(_factory.from_cookie_header(f'session="{_A}"')) == {"a": 1}
    assert dict(_factory.from_cookie_header(f"x=1; session={_A}")) == {"a": 1}
    assert _factory.from_cookie_header("").new is True
    assert _factory.from_cookie_header(None).new is True


def test_other_cookies_after_ours_are_not_tried_as_part_of_its_value() -> None:
    # "session=<token>; x=1" is the common header of a site with more cookies.
    # The guess at the value (the rest of the header) would be refused, but only
    # after base64-decoding most of it: the cookie is looked up instead.
    tried: list[str] = []

    class Counting(_factory):  # type: ignore[misc,valid-type]
        __slots__ = ()

        @staticmethod
        def _unseal(token: str) -> tuple[bytes, int]:
            tried.append(token)
            return _factory._unseal(token)

    for load in (Counting.from_cookie_header, lambda header: Counting(FakeRequest(header))):
        tried.clear()
        assert dict(load(f"session={_A}; x=1")) == {"a": 1}
        assert tried == [_A]
        tried.clear()
        assert dict(load(f"session={_A}")) == {"a": 1}
        assert tried == [_A]
