"""``absolute_timeout``: a session ends this many seconds after ``created``, however active it is
(an absolute timeout, which Pyramid lacks), for cookies we write and cookies real Pyramid wrote."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory
from tests.conftest import require
from tests.pyramid_fleet import ACCOUNT_VIEWS, HAVE_PYRAMID, User, pyramid_app
from tests.session_harness import (
    NOW,
    SECRET,
    FakeClock,
    FakeRequest,
    cookie_value,
    payload_of,
    signed_state,
    stored_state,
)

HOUR = 3600


def _cookie(accessed: float, created: float, state: dict[str, Any]) -> str:
    """The Cookie header Pyramid sends for ``[accessed, created, state]``."""
    return "session=" + signed_state(state, accessed, created)


def _factory(clock: FakeClock, **options: Any) -> Any:
    return SignedCookieSessionFactory(SECRET, clock=clock, absolute_timeout=HOUR, **options)


@pytest.mark.parametrize(
    ("age", "alive"),
    [(0, True), (HOUR - 0.5, True), (HOUR, True), (HOUR + 0.25, False), (10 * HOUR, False)],
)
def test_a_session_ends_when_it_is_older_than_the_absolute_timeout(
    clock: FakeClock, age: float, alive: bool
) -> None:
    # The cookie was used a second ago: only its age since `created` matters.
    factory = _factory(clock, timeout=None)
    session = factory(FakeRequest(_cookie(int(NOW) - 1, NOW - age, {"user": "ann"})))
    expected = (False, {"user": "ann"}, NOW - age) if alive else (True, {}, NOW)
    assert (session.new, stored_state(session), session.created) == expected


def test_none_means_no_absolute_timeout(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock, timeout=None, absolute_timeout=None)
    session = factory(FakeRequest(_cookie(int(NOW) - 1, NOW - 1000 * HOUR, {"user": "ann"})))
    assert (session.new, stored_state(session)) == (False, {"user": "ann"})


def test_an_expired_session_is_not_written_back_by_a_read(clock: FakeClock) -> None:
    request = FakeRequest(_cookie(int(NOW) - 1, NOW - 2 * HOUR, {"user": "ann"}))
    # reissue_time=None: with 0, Pyramid writes even a new, empty session read a second later.
    session = _factory(clock, reissue_time=None)(request)
    clock.advance(5)
    assert session.get("user") is None
    assert request.respond().set_cookies() == []


def test_a_write_after_expiry_starts_a_session_with_a_new_created(clock: FakeClock) -> None:
    request = FakeRequest(_cookie(int(NOW) - 1, NOW - 2 * HOUR, {"user": "ann"}))
    _factory(clock)(request)["user"] = "bob"
    (header,) = request.respond().set_cookies()
    assert payload_of(cookie_value(header)) == [int(NOW), NOW, {"user": "bob"}]


def test_reading_every_minute_does_not_keep_a_session_alive(clock: FakeClock) -> None:
    # Idle timeout 20 minutes and a reissue on every read: without the absolute timeout this
    # session would live for ever.  With it, it ends one hour after it began.
    factory = _factory(clock, timeout=1200, reissue_time=0)
    request = FakeRequest()
    factory(request)["user"] = "ann"
    cookie = request.respond().set_cookies()[0].split(";")[0]
    minutes_alive = 0
    for minute in range(1, 91):
        clock.now = NOW + 60 * minute
        request = FakeRequest(cookie)
        session = factory(request)
        if session.get("user") != "ann":
            break
        minutes_alive = minute
        (header,) = request.respond().set_cookies()  # re-issued: `accessed` moves on
        assert payload_of(cookie_value(header))[:2] == [int(NOW) + 60 * minute, NOW]
        cookie = header.split(";")[0]
    assert (minutes_alive, session.new, session.created) == (60, True, NOW + 61 * 60)


def test_the_idle_timeout_still_applies_within_the_absolute_timeout(clock: FakeClock) -> None:
    factory = _factory(clock, timeout=600)
    session = factory(FakeRequest(_cookie(int(NOW) - 601, NOW - 700, {"user": "ann"})))
    # Pyramid's idle timeout: empty, but not new, and `created` is kept.
    assert (session.new, stored_state(session), session.created) == (False, {}, NOW - 700)


def test_created_survives_an_idle_timeout_so_the_absolute_timeout_still_counts_from_it(
    clock: FakeClock,
) -> None:
    # Pyramid keeps `created` across an idle timeout; the absolute timeout counts from it, so
    # signing in again into that session does not restart the clock.  invalidate() does.
    factory = _factory(clock, timeout=600)
    old_cookie = _cookie(int(NOW) - 1000, NOW - 1800, {"user": "ann"})
    request = FakeRequest(old_cookie)
    factory(request)["user"] = "ann again"
    (kept,) = request.respond().set_cookies()
    request = FakeRequest(old_cookie)
    session = factory(request)
    session.invalidate()
    session["user"] = "ann again"
    (restarted,) = request.respond().set_cookies()
    assert (payload_of(cookie_value(kept))[1], payload_of(cookie_value(restarted))[1]) == (NOW - 1800, NOW)
    cookies = [kept.split(";")[0], restarted.split(";")[0]]
    seen = []
    for clock.now in (NOW + 500, NOW + 1000, NOW + 1500, NOW + 1801):  # active within the idle timeout
        for i, cookie in enumerate(cookies):
            request = FakeRequest(cookie)
            seen.append(factory(request).get("user"))
            cookies[i] = (request.respond().set_cookies() or [cookie])[0].split(";")[0]
    # The session kept from before the idle timeout ends 1 hour after its first sign-in.
    assert seen == ["ann again"] * 6 + [None, "ann again"]


def test_a_created_time_ten_hours_ahead_is_refused(clock: FakeClock) -> None:
    session = _factory(clock, timeout=None)(FakeRequest(_cookie(int(NOW), NOW + 10 * HOUR, {"user": "ann"})))
    assert (session.new, stored_state(session)) == (True, {})


def test_a_future_created_within_the_clock_skew_counts_as_now(clock: FakeClock) -> None:
    # A cookie from a server whose clock runs ahead cannot outlive the absolute timeout here.
    factory = _factory(clock, timeout=None)
    request = FakeRequest(_cookie(int(NOW), NOW + 200, {"user": "ann"}))
    session = factory(request)
    assert (session.new, session.created) == (False, NOW)
    clock.advance(1)
    assert session.get("user") == "ann"  # re-issued: with the `created` it had here
    (header,) = request.respond().set_cookies()
    assert payload_of(cookie_value(header))[1] == NOW
    clock.advance(HOUR)
    session = factory(FakeRequest(header.split(";")[0]))
    assert (session.new, stored_state(session)) == (True, {})


def test_the_adapter_api_applies_the_absolute_timeout(clock: FakeClock) -> None:
    factory = _factory(clock)
    token = signed_state({"user": "ann"}, int(NOW) - 1, NOW - 2 * HOUR)
    session = factory.from_cookie_value(token)
    assert (session.new, stored_state(session), session.created) == (True, {}, NOW)


def test_absolute_timeout_accepts_a_timedelta(clock: FakeClock) -> None:
    from datetime import timedelta

    factory = SignedCookieSessionFactory(SECRET, clock=clock, absolute_timeout=timedelta(hours=1))
    assert factory(FakeRequest(_cookie(int(NOW) - 1, NOW - HOUR, {"user": "ann"}))).new is False
    session = factory(FakeRequest(_cookie(int(NOW) - 1, NOW - HOUR - 1, {"user": "ann"})))
    assert (session.new, stored_state(session)) == (True, {})


# -- end to end, and with cookies written by real Pyramid -----------------------------------


@pytest.fixture
def _pyramid() -> None:
    require(HAVE_PYRAMID, "Pyramid, WebOb and WebTest")


@pytest.mark.usefixtures("_pyramid")
def test_a_pyramid_app_signs_its_user_out_after_the_absolute_timeout(clock: FakeClock) -> None:
    app = pyramid_app(_factory(clock, timeout=1200), ACCOUNT_VIEWS)
    user = User("ann")
    user.get(app, "/login", params={"user": "ann"})
    seen = []
    for _ in range(8):  # every 10 minutes for 80 minutes
        clock.advance(600)
        seen.append(user.whoami(app)["user"])
    assert seen == ["ann"] * 6 + ["", ""]


@pytest.mark.usefixtures("_pyramid")
def test_cookies_written_by_real_pyramid_end_at_their_created_plus_the_timeout(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyramid.session

    # Real Pyramid reads time.time(); it gets the same fake clock as ours.
    monkeypatch.setattr(time, "time", clock)
    theirs = pyramid_app(pyramid.session.SignedCookieSessionFactory(SECRET), ACCOUNT_VIEWS)
    ours = pyramid_app(_factory(clock, timeout=1200), ACCOUNT_VIEWS)
    user = User("ann")
    user.get(theirs, "/login", params={"user": "ann"})
    assert payload_of(user.cookie() or "")[1] == NOW  # Pyramid's own `created`
    seen = []
    for step in range(8):  # a mixed fleet: both re-issue the cookie every 10 minutes
        clock.advance(600)
        answer = user.whoami(ours if step % 2 else theirs)
        seen.append((answer["user"], answer["created"]))
    # Both keep Pyramid's `created`; Pyramid has no absolute timeout (70 minutes: still
    # signed in), ours ends the session once it is older than an hour (80 minutes).
    assert seen == [("ann", NOW)] * 7 + [("", NOW + 4800)]
