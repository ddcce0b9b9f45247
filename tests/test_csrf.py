from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory, check_csrf_token
from cookiesession.session import CookieSession
from tests.session_harness import SECRET, FakeClock


def _session() -> CookieSession:
    return SignedCookieSessionFactory(SECRET, clock=FakeClock()).from_cookie_value(None)


def test_the_session_token_matches_as_str_and_bytes() -> None:
    session = _session()
    token = session.get_csrf_token()
    assert check_csrf_token(session, token) is True
    assert check_csrf_token(session, token.encode("ascii")) is True


def test_a_different_or_shortened_token_does_not_match() -> None:
    session = _session()
    token = session.get_csrf_token()
    assert check_csrf_token(session, token[:-1]) is False
    assert check_csrf_token(session, token + "0") is False
    assert check_csrf_token(session, session.new_csrf_token()) is True
    assert check_csrf_token(session, token) is False  # the old one after a new token


def test_no_token_in_the_session_matches_nothing_and_creates_none() -> None:
    session = _session()
    assert check_csrf_token(session, "") is False
    assert check_csrf_token(session, "anything") is False
    assert (dict(session.items()), session.set_cookie_header()) == ({}, None)


def test_missing_empty_and_odd_supplied_tokens_are_false() -> None:
    session = _session()
    session.get_csrf_token()
    assert check_csrf_token(session, None) is False
    assert check_csrf_token(session, "") is False
    assert check_csrf_token(session, "tok\u20acen") is False
    assert check_csrf_token(session, 12345) is False  # type: ignore[arg-type]


def test_a_plain_mapping_works_too() -> None:
    assert check_csrf_token({"_csrft_": "abc"}, "abc") is True
    assert check_csrf_token({"_csrft_": 7}, "7") is False


@given(st.one_of(st.none(), st.text(), st.binary()))
def test_any_supplied_token_gives_a_bool_and_never_raises(supplied: str | bytes | None) -> None:
    session = {"_csrft_": "0123456789abcdef0123456789abcdef01234567"}
    expected = supplied in (
        "0123456789abcdef0123456789abcdef01234567",
        b"0123456789abcdef0123456789abcdef01234567",
    )
    assert check_csrf_token(session, supplied) is expected
