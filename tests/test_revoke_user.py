"""``user_key=`` and ``revoke_user()``: every session of one user, created before the call,
is refused; sessions started afterwards (``regenerate()`` at sign-in) are not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory, revoke_user, revoke_user_async
from cookiesession.exceptions import ConfigurationError, ConfigurationTypeError
from cookiesession.factory import SessionFactory
from cookiesession.loading import DEFAULT_CLOCK_SKEW as SKEW
from cookiesession.revocation import MemoryRevocationStore, UserRevocationStore, user_text
from cookiesession.session import CookieSession
from tests.django_support import project
from tests.session_harness import SECRET, FakeClock, cookie_value, mint

__all__ = ["project"]  # fixtures


def _token(session: CookieSession) -> str:
    header = session.set_cookie_header()
    assert header is not None
    return cookie_value(header)


def _factory(clock: FakeClock, store: Any = None, **options: Any) -> SessionFactory:
    store = store if store is not None else MemoryRevocationStore(clock=clock)
    return SignedCookieSessionFactory(SECRET, clock=clock, revocation=store, user_key="user_id", **options)


def test_revoke_user_refuses_every_session_of_that_user_only(clock: FakeClock) -> None:
    factory = _factory(clock)
    laptop = mint(factory, {"user_id": 7, "device": "laptop"})
    phone = mint(factory, {"user_id": "7", "device": "phone"})  # 7 and "7": one user
    other = mint(factory, {"user_id": 8})
    anonymous = mint(factory, {"cart": [1]})
    clock.advance(1)
    revoke_user(factory, 7)
    assert [factory.from_cookie_value(t).copy() for t in (laptop, phone)] == [{}, {}]
    assert factory.from_cookie_value(other).get("user_id") == 8
    assert factory.from_cookie_value(anonymous).get("cart") == [1]


def test_a_session_started_after_the_call_is_accepted(clock: FakeClock) -> None:
    factory = _factory(clock)
    old = mint(factory, {"user_id": 7})
    clock.advance(1)
    revoke_user(factory, 7)
    # Signing in again: a fresh session, or regenerate() of an older anonymous one.
    fresh = factory.from_cookie_value(None)
    fresh["user_id"] = 7
    signed_in = _token(fresh)
    assert (factory.from_cookie_value(signed_in).get("user_id"), factory.from_cookie_value(old).new) == (
        7,
        True,
    )


def test_sign_in_without_regenerate_into_an_older_session_is_refused(clock: FakeClock) -> None:
    factory = _factory(clock)
    anonymous = factory.from_cookie_value(mint(factory, {"cart": [1]}))
    clock.advance(1)
    revoke_user(factory, 7)
    anonymous["user_id"] = 7  # no regenerate(): the session still dates from before the call
    without = _token(anonymous)
    regenerated = factory.from_cookie_value(without)
    kept = factory.from_cookie_value(mint(factory, {"cart": [2]}))
    kept.regenerate()
    kept["user_id"] = 7
    assert (factory.from_cookie_value(without).copy(), factory.from_cookie_value(_token(kept))["cart"]) == (
        {},
        [2],
    )
    assert regenerated.new is True


def test_sign_out_everywhere_else_keeps_the_current_session(clock: FakeClock) -> None:
    factory = _factory(clock)
    other_device = mint(factory, {"user_id": 7})
    session = factory.from_cookie_value(mint(factory, {"user_id": 7, "here": True}))
    clock.advance(5)
    revoke_user(factory, 7)
    session.regenerate()
    assert (
        factory.from_cookie_value(_token(session)).get("here"),
        factory.from_cookie_value(other_device).new,
    ) == (
        True,
        True,
    )


def test_the_user_record_outlives_every_cookie_of_a_refused_session(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(clock, store, timeout=600, absolute_timeout=3600)
    token = mint(factory, {"user_id": "u"})
    revoke_user(factory, "u")
    clock.advance(600 + SKEW - 1)
    assert (len(store), store.is_refused("x", "u", clock.now - 1000)) == (1, True)
    clock.advance(2)
    store.purge()
    assert (len(store), factory.from_cookie_value(token).copy()) == (0, {})  # the cookie timed out


def test_async_check_and_revoke_user_async(clock: FakeClock) -> None:
    factory = _factory(clock)
    token = mint(factory, {"user_id": "alice"})

    async def scenario() -> tuple[bool, bool]:
        before = await factory.from_cookie_value_async(token)
        clock.advance(1)
        await revoke_user_async(factory, "alice")
        after = await factory.from_cookie_value_async(token)
        return before.new, after.new

    assert asyncio.run(scenario()) == (False, True)


def test_the_sid_check_still_works_with_user_key(clock: FakeClock) -> None:
    factory = _factory(clock)
    ended, kept = mint(factory, {"user_id": 1}), mint(factory, {"user_id": 1})
    factory.from_cookie_value(ended).invalidate()
    assert (factory.from_cookie_value(ended).new, factory.from_cookie_value(kept).new) == (True, False)


@pytest.mark.parametrize(
    ("value", "text"),
    [("42", "42"), (42, "42"), (True, None), (4.2, None), (None, None), (["42"], None), ("", "")],
)
def test_user_text(value: object, text: str | None) -> None:
    assert user_text(value) == text


def test_unusable_user_values_are_checked_by_session_id_only(clock: FakeClock) -> None:
    factory = _factory(clock)
    token = mint(factory, {"user_id": [7]})
    clock.advance(1)
    revoke_user(factory, 7)
    assert factory.from_cookie_value(token)["user_id"] == [7]


def test_options_are_checked_at_start_up(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="needs a revocation store"):
        SignedCookieSessionFactory(SECRET, user_key="user_id")
    with pytest.raises(ConfigurationTypeError, match="user_key must be"):
        SignedCookieSessionFactory(SECRET, revocation="memory", user_key="")

    class SessionsOnly:
        unbounded_ttl = 60.0

        def is_revoked(self, session_id: str) -> bool:
            return False

        def revoke(self, session_id: str, ttl: float | None = None) -> None:
            pass

        async def is_revoked_async(self, session_id: str) -> bool:
            return False

        async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
            pass

    with pytest.raises(ConfigurationTypeError, match="also revokes users"):
        SignedCookieSessionFactory(SECRET, revocation=SessionsOnly(), user_key="user_id")
    assert isinstance(MemoryRevocationStore(), UserRevocationStore) is True


def test_revoke_user_needs_a_factory_with_user_key_and_a_user(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="does not check users"):
        revoke_user(SignedCookieSessionFactory(SECRET, revocation="memory"), 7)
    with pytest.raises(ValueError, match="user_id must be"):
        revoke_user(_factory(clock), "")
    with pytest.raises(ValueError, match="user_id must be"):
        revoke_user(_factory(clock), True)


def test_memory_store_keeps_the_later_time_and_expiry(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    store.revoke_user("u", 100.0, 50)
    store.revoke_user("u", 90.0, 10)  # an earlier time, a shorter life: neither shortens the record
    clock.advance(20)
    assert (store.is_refused("s", "u", 95.0), store.is_refused("s", "u", 100.0)) == (True, False)
    with pytest.raises(ValueError, match="revoked_at"):
        store.revoke_user("u", float("nan"))


def test_settings_of_each_adapter_pass_user_key() -> None:
    from cookiesession.pyramid import session_factory_from_settings

    pyramid_factory = session_factory_from_settings(
        {
            "cookiesession.secret": SECRET,
            "cookiesession.revocation": "memory",
            "cookiesession.user_key": "uid",
        }
    )
    none_factory = session_factory_from_settings(
        {"cookiesession.secret": SECRET, "cookiesession.user_key": "none"}
    )
    assert (pyramid_factory._user_key, none_factory._user_key) == ("uid", None)


def test_starlette_drop_in_takes_user_key() -> None:
    from cookiesession.starlette import SessionMiddleware

    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    middleware = SessionMiddleware(app, SECRET, revocation="memory", user_key="uid")
    assert middleware.session_factory._user_key == "uid"


def test_flask_config_takes_user_key() -> None:
    from flask import Flask

    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, COOKIESESSION_REVOCATION="memory", COOKIESESSION_USER_KEY="_user_id")
    interface = CookieSessionInterface()
    cls = interface.session_class(app)
    assert cls is not None
    assert cls._user_key == "_user_id"


def test_django_sign_out_everywhere_with_auth_user_id(project: Any) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from cookiesession.django import session_factory
    from tests.django_support import using

    with using(COOKIESESSION={"secret": SECRET, "revocation": "memory", "user_key": "_auth_user_id"}):
        laptop, phone = Client(), Client()
        for client in (laptop, phone):
            client.get("/login", {"user": "alice", "password": project.PASSWORD})
        before = [client.get("/whoami").content for client in (laptop, phone)]
        revoke_user(session_factory(), User.objects.get(username="alice").pk)
        after = [client.get("/whoami").content for client in (laptop, phone)]
        phone.get("/login", {"user": "alice", "password": project.PASSWORD})  # login() cycles the key
        assert (before, after, phone.get("/whoami").content) == ([b"alice"] * 2, [b""] * 2, b"alice")
