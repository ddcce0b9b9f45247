"""Clocks that cannot be trusted: a cookie dated in the future, and how long logout holds.

A cookie whose times lie within ``clock_skew`` seconds of the reader's future is read as
written now (as Pyramid would read it); one dated further ahead is refused as a bad cookie.
A revocation record lasts the session's timeout plus ``clock_skew``, so a copy written by a
server whose clock runs ahead by up to that much never outlives its record.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cookiesession import ConfigurationError, ConfigurationTypeError, SignedCookieSessionFactory
from cookiesession.factory import SessionFactory
from cookiesession.loading import DEFAULT_CLOCK_SKEW
from cookiesession.revocation import MemoryRevocationStore
from tests.conftest import require
from tests.session_harness import (
    NOW,
    SECRET,
    FakeClock,
    cookie_value,
    mint,
    payload_of,
    signed_state,
    stored_state,
)

TIMEOUT = 1200
YEAR = 365 * 24 * 3600


def _factory(clock: FakeClock, **options: Any) -> SessionFactory:
    return SignedCookieSessionFactory(SECRET, timeout=TIMEOUT, clock=clock, **options)


def test_the_default_allowance_is_five_minutes() -> None:
    assert DEFAULT_CLOCK_SKEW == 300


def test_a_cookie_from_a_server_a_year_ahead_is_refused() -> None:
    token = mint(_factory(FakeClock(NOW + YEAR)), {"user": "alice"})
    session = _factory(FakeClock(NOW)).from_cookie_value(token)
    assert (session.new, dict(session)) == (True, {})


def test_a_created_time_beyond_the_allowance_is_refused_on_its_own() -> None:
    token = signed_state({"user": "alice"}, accessed=NOW, created=NOW + DEFAULT_CLOCK_SKEW + 2)
    session = _factory(FakeClock(NOW)).from_cookie_value(token)
    assert (session.new, dict(session)) == (True, {})


def test_a_cookie_within_the_allowance_is_read_as_written_now() -> None:
    token = mint(_factory(FakeClock(NOW + DEFAULT_CLOCK_SKEW)), {"user": "alice"})
    clock = FakeClock(NOW)
    session = _factory(clock).from_cookie_value(token)
    assert (session.new, dict(session), session.renewed, session.created) == (
        False,
        {"user": "alice"},
        NOW,
        NOW,
    )


def test_a_cookie_just_beyond_the_allowance_is_refused() -> None:
    token = signed_state({"user": "alice"}, accessed=NOW + DEFAULT_CLOCK_SKEW + 1)
    assert _factory(FakeClock(NOW)).from_cookie_value(token).new is True


def test_the_allowance_is_a_factory_option() -> None:
    token = signed_state({"user": "alice"}, accessed=NOW + 3600)
    assert _factory(FakeClock(NOW), clock_skew=3600).from_cookie_value(token).new is False
    assert _factory(FakeClock(NOW), clock_skew=0).from_cookie_value(token).new is True
    exact = signed_state({"user": "alice"}, accessed=NOW)
    assert _factory(FakeClock(NOW), clock_skew=0).from_cookie_value(exact).new is False


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (None, ConfigurationTypeError, "clock_skew must be a number of seconds"),
        (-1, ConfigurationError, "clock_skew=-1 is negative"),
        (1.5, ConfigurationError, "clock_skew=1.5 is not a whole number of seconds"),
    ],
)
def test_the_allowance_is_checked(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        SignedCookieSessionFactory(SECRET, clock_skew=value)  # type: ignore[arg-type]


def test_a_cookie_within_the_allowance_is_written_back_on_our_clock() -> None:
    token = mint(_factory(FakeClock(NOW + 200)), {"user": "alice"})
    session = _factory(FakeClock(NOW)).from_cookie_value(token)
    session["n"] = 1
    header = session.set_cookie_header()
    assert header is not None
    accessed, created, _ = payload_of(cookie_value(header))
    assert (accessed, created) == (int(NOW), NOW)


# -- how long a revocation holds ------------------------------------------------------


@pytest.mark.parametrize("ahead", [0, 60, 299, DEFAULT_CLOCK_SKEW])
def test_a_revoked_cookie_from_a_server_ahead_never_comes_back(ahead: int) -> None:
    # Server A, whose clock runs `ahead` seconds fast, signs the user in; server B, on
    # time, signs them out; the copy of A's cookie must stay refused on B until it
    # would have timed out anyway.
    store = MemoryRevocationStore(clock=(clock := FakeClock(NOW)))
    copy = mint(_factory(FakeClock(NOW + ahead), revocation=store), {"user": "alice"})
    server_b = _factory(clock, revocation=store)
    session = server_b.from_cookie_value(copy)
    assert session["user"] == "alice"
    session.invalidate()
    seen: list[tuple[int, dict[str, Any]]] = []
    for later in (1, TIMEOUT, TIMEOUT + 61, TIMEOUT + 261, TIMEOUT + ahead - 1, TIMEOUT + ahead):
        clock.now = NOW + later
        seen.append((later, stored_state(server_b.from_cookie_value(copy))))
    assert seen == [(later, {}) for later, _ in seen]


def test_the_record_lasts_the_timeout_plus_the_allowance() -> None:
    clock = FakeClock(NOW)
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(clock, revocation=store, clock_skew=600)
    session = factory.from_cookie_value(mint(factory, {"user": "alice"}))
    session_id = session.session_id
    assert session_id is not None
    session.invalidate()
    clock.advance(TIMEOUT + 600 - 1)
    held = store.is_revoked(session_id)
    clock.advance(2)
    assert (held, store.is_revoked(session_id)) == (True, False)


def test_the_pyramid_setting() -> None:
    require(_has_pyramid(), "pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    factory = session_factory_from_settings(
        {"cookiesession.secret": SECRET, "cookiesession.clock_skew": "60"}
    )
    assert factory._limits.clock_skew == 60
    with pytest.raises(ConfigurationError, match=r"cookiesession\.clock_skew"):
        session_factory_from_settings({"cookiesession.secret": SECRET, "cookiesession.clock_skew": "none"})


def _has_pyramid() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyramid") is not None


def test_a_skewed_payload_is_still_the_one_pyramid_writes() -> None:
    # Within the allowance nothing changes on the wire: the token is Pyramid's format.
    token = mint(_factory(FakeClock(NOW + 100)), {"user": "alice"})
    assert json.loads(json.dumps(payload_of(token))) == [int(NOW + 100), NOW + 100, {"user": "alice"}]
