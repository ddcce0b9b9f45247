"""``empty_deletes_cookie``: a session that is empty when its cookie would be written
deletes the cookie instead of storing ``{}`` (Starlette's and Flask's way); off by
default, where an emptied session is stored as Pyramid stores it."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, cookie_value, mint, payload_of

DELETE = "session=; Max-Age=0; Path=/; expires=Wed, 31-Dec-97 23:59:59 GMT; SameSite=Lax"

EMPTYING: list[Callable[[Any], object]] = [
    lambda s: s.clear(),
    lambda s: s.pop("user"),
    lambda s: s.__delitem__("user"),
    lambda s: s.popitem(),
]


@pytest.mark.parametrize("empty", EMPTYING)
def test_an_emptied_session_deletes_the_cookie_it_came_in(
    clock: FakeClock, empty: Callable[[Any], object]
) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, empty_deletes_cookie=True)
    session = factory.from_cookie_value(mint(factory, {"user": "ann"}))
    empty(session)
    assert session.set_cookie_header() == DELETE


@pytest.mark.parametrize("empty", EMPTYING)
def test_by_default_an_emptied_session_is_stored_as_in_pyramid(
    clock: FakeClock, empty: Callable[[Any], object]
) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    session = factory.from_cookie_value(mint(factory, {"user": "ann"}))
    empty(session)
    header = session.set_cookie_header()
    assert header is not None
    assert payload_of(cookie_value(header))[2] == {}


def test_a_new_session_emptied_again_sends_nothing(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, empty_deletes_cookie=True)
    session = factory.from_cookie_value(None)
    session["user"] = "ann"
    del session["user"]
    assert session.set_cookie_header() is None


def test_a_session_that_holds_something_is_written_as_usual(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, empty_deletes_cookie=True)
    session = factory.from_cookie_value(mint(factory, {"user": "ann", "theme": "dark"}))
    del session["theme"]
    header = session.set_cookie_header()
    assert header is not None
    assert payload_of(cookie_value(header))[2] == {"user": "ann"}


def test_an_empty_state_re_issued_on_a_read_deletes_the_cookie(clock: FakeClock) -> None:
    # reissue_time=0 re-issues on every read; an empty state is still never stored.
    factory = SignedCookieSessionFactory(SECRET, clock=clock, empty_deletes_cookie=True)
    session = factory.from_cookie_value(mint(SignedCookieSessionFactory(SECRET, clock=clock), {}))
    clock.advance(5)
    assert (session.get("user"), session.set_cookie_header()) == (None, DELETE)


def test_an_unchanged_empty_session_without_reissue_sends_nothing(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, reissue_time=None, empty_deletes_cookie=True)
    session = factory.from_cookie_value(mint(SignedCookieSessionFactory(SECRET, clock=clock), {}))
    assert (len(session), session.set_cookie_header()) == (0, None)


def test_pyramid_setting() -> None:
    require(importlib.util.find_spec("pyramid") is not None, "Pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    factory = session_factory_from_settings(
        {"cookiesession.secret": SECRET, "cookiesession.empty_deletes_cookie": "true"}
    )
    session = factory.from_cookie_value(mint(factory, {"user": "ann"}))
    session.clear()
    assert session.set_cookie_header() == DELETE
