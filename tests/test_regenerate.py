"""``session.regenerate()``: a new session id and a new ``created``, the data kept,
and (with ``revocation=``) the old id revoked, so the old cookie is refused."""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory
from cookiesession.exceptions import RevocationUnavailable
from cookiesession.factory import SessionFactory
from cookiesession.revocation import MemoryRevocationStore
from cookiesession.session import CookieSession
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, FakeRequest, cookie_value, mint, signed_state


def _token(session: CookieSession) -> str:
    header = session.set_cookie_header()
    assert header is not None
    return cookie_value(header)


def _revocable(clock: FakeClock, store: Any = None) -> SessionFactory:
    return SignedCookieSessionFactory(
        SECRET, clock=clock, revocation=store if store is not None else MemoryRevocationStore(clock=clock)
    )


def test_regenerate_gives_a_new_id_and_created_and_keeps_the_data(clock: FakeClock) -> None:
    factory = _revocable(clock)
    old_token = mint(factory, {"user": "alice", "cart": [1]})
    session = factory.from_cookie_value(old_token)
    old_id, old_created = session.session_id, session.created
    clock.advance(30)
    session.regenerate()
    new = factory.from_cookie_value(_token(session))
    assert new.copy() | {"_sid_": "-"} == {"user": "alice", "cart": [1], "_sid_": "-"}
    assert (new.session_id != old_id, new.created, old_created) == (True, clock.now, clock.now - 30)


@pytest.mark.parametrize("with_own_id", [True, False], ids=["own-id", "no-id-as-pyramid-writes-it"])
def test_the_old_cookie_is_refused_after_regenerate(clock: FakeClock, with_own_id: bool) -> None:
    factory = _revocable(clock)
    if with_own_id:
        old_token = mint(factory, {"user": "alice"})
    else:  # a cookie without an id of its own is revoked by its digest
        old_token = signed_state({"user": "alice"}, accessed=clock.now)
    session = factory.from_cookie_value(old_token)
    session.regenerate()
    new_token = _token(session)
    assert (
        factory.from_cookie_value(old_token).copy(),
        factory.from_cookie_value(new_token).get("user"),
    ) == ({}, "alice")


def test_regenerate_in_a_pyramid_request_writes_the_new_cookie(clock: FakeClock) -> None:
    factory = _revocable(clock)
    old_token = mint(factory, {"user": "alice"})
    request = FakeRequest(f"session={old_token}")
    factory(request).regenerate()
    (written,) = request.respond().set_cookies()
    assert (cookie_value(written) != old_token, factory.from_cookie_value(old_token).copy()) == (True, {})


def test_regenerate_without_revocation_renews_created_only(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    session = factory.from_cookie_value(mint(factory, {"user": "alice"}))
    clock.advance(30)
    session.regenerate()
    new = factory.from_cookie_value(_token(session))
    assert (new.copy(), new.created, new.session_id) == ({"user": "alice"}, clock.now, None)


def test_regenerate_under_asyncio_revokes_when_awaited(clock: FakeClock) -> None:
    factory = _revocable(clock)
    old_token = mint(factory, {"user": "alice"})

    async def sign_in() -> str:
        session = await factory.from_cookie_header_async(f"session={old_token}")
        session.regenerate()
        refused_before = factory.from_cookie_value(old_token).copy()
        await session.revoke_pending_async()
        return f"{refused_before.get('user')} {factory.from_cookie_value(old_token).get('user')}"

    assert asyncio.run(sign_in()) == "alice None"


def test_a_regenerate_whose_revocation_fails_keeps_the_error(clock: FakeClock) -> None:
    class RevokeFails(MemoryRevocationStore):
        def revoke(self, session_id: str, ttl: float | None = None) -> None:
            raise RevocationUnavailable("down")

    factory = _revocable(clock, RevokeFails(clock=clock))
    session = factory.from_cookie_value(mint(factory, {"user": "alice"}))
    session.regenerate()
    new = factory.from_cookie_value(_token(session))
    assert (type(session.revocation_error), new.get("user")) == (RevocationUnavailable, "alice")


def test_a_new_session_regenerated_revokes_nothing(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _revocable(clock, store)
    session = factory.from_cookie_value(None)
    session["user"] = "alice"
    session.regenerate()
    assert (factory.from_cookie_value(_token(session)).get("user"), len(store._expiry)) == ("alice", 0)


def test_regenerate_in_flask_writes_a_new_session_and_refuses_the_old(clock: FakeClock) -> None:
    require(importlib.util.find_spec("flask") is not None, "Flask")
    from flask import Flask, session

    from cookiesession.flask import CookieSessionInterface

    factory = _revocable(clock)
    old_token = mint(factory, {"user": "alice"})
    app = Flask("regenerating_app")
    app.config["SECRET_KEY"] = SECRET
    app.session_interface = CookieSessionInterface(factory)

    @app.get("/login")
    def login() -> str:
        session.regenerate()  # type: ignore[attr-defined]
        return str(session["user"])

    client = app.test_client()
    client.set_cookie("session", old_token)
    response = client.get("/login")
    (written,) = response.headers.getlist("Set-Cookie")
    new = factory.from_cookie_value(cookie_value(written))
    assert (
        response.get_data(as_text=True),
        new.get("user"),
        factory.from_cookie_value(old_token).copy(),
    ) == (
        "alice",
        "alice",
        {},
    )
