"""Cookies without a session id: every session is revocable once ``revocation=`` is on.

A validly signed cookie that carries no ``_sid_`` (issued before revocation was turned on,
or by a server without it, such as ``pyramid.session``) is revoked by a digest of its value:
``invalidate()`` records that digest, so the very cookie (and any copy of it) is refused
afterwards, and a session written again carries the digest as its id.
"""

from __future__ import annotations

import asyncio

from cookiesession import SignedCookieSessionFactory
from cookiesession._revocable import SID_KEY, token_session_id
from cookiesession.factory import SessionFactory
from cookiesession.revocation import MemoryRevocationStore
from cookiesession.session import CookieSession
from tests.session_harness import (
    NOW,
    SECRET,
    FakeClock,
    FakeRequest,
    cookie_value,
    signed_state,
    stored_state,
)


def _factory(store: MemoryRevocationStore, clock: FakeClock, **options: object) -> SessionFactory:
    return SignedCookieSessionFactory(SECRET, clock=clock, revocation=store, **options)  # type: ignore[arg-type]


def _stores(clock: FakeClock) -> tuple[MemoryRevocationStore, SessionFactory]:
    store = MemoryRevocationStore(clock=clock)
    return store, _factory(store, clock)


def _written(session: CookieSession) -> str:
    header = session.set_cookie_header()
    assert header is not None
    return cookie_value(header)


def test_a_cookie_without_an_id_is_refused_after_its_logout(clock: FakeClock) -> None:
    store, factory = _stores(clock)
    old = signed_state({"user": "alice"})  # as pyramid.session, or a server without revocation=, writes it
    session = factory.from_cookie_value(old)
    assert session["user"] == "alice"
    session.invalidate()
    again = factory.from_cookie_value(old)
    assert (again.new, stored_state(again), store.is_revoked(token_session_id(old))) == (True, {}, True)


def test_its_id_is_the_digest_of_its_value(clock: FakeClock) -> None:
    _, factory = _stores(clock)
    old = signed_state({"user": "alice"})
    other = signed_state({"user": "alice"}, accessed=NOW - 1)
    ids = (factory.from_cookie_value(old).session_id, factory.from_cookie_value(other).session_id)
    assert ids == (token_session_id(old), token_session_id(other))
    assert (len(ids[0] or ""), ids[0] != ids[1]) == (22, True)


def test_a_session_written_again_keeps_that_id_so_one_logout_refuses_both_cookies(clock: FakeClock) -> None:
    store, factory = _stores(clock)
    old = signed_state({"user": "alice"})
    session = factory.from_cookie_value(old)
    session["page"] = 2
    new = _written(session)
    reread = factory.from_cookie_value(new)
    assert stored_state(reread)[SID_KEY] == token_session_id(old)
    reread.invalidate()
    refused = (factory.from_cookie_value(old).new, factory.from_cookie_value(new).new)
    assert (refused, len(store)) == ((True, True), 1)


def test_data_written_after_the_logout_is_a_new_session_with_a_random_id(clock: FakeClock) -> None:
    _, factory = _stores(clock)
    old = signed_state({"user": "alice"})
    session = factory.from_cookie_value(old)
    session.invalidate()
    session["user"] = "bob"
    state = stored_state(factory.from_cookie_value(_written(session)))
    assert (state["user"], state[SID_KEY] != token_session_id(old), len(state[SID_KEY])) == ("bob", True, 22)


def test_an_id_that_is_not_text_is_replaced_by_the_digest(clock: FakeClock) -> None:
    _, factory = _stores(clock)
    odd = signed_state({"user": "alice", SID_KEY: 7})
    session = factory.from_cookie_value(odd)
    session.invalidate()
    assert factory.from_cookie_value(odd).new is True


def test_through_a_pyramid_request(clock: FakeClock) -> None:
    _, factory = _stores(clock)
    old = signed_state({"user": "alice"})
    request = FakeRequest(f"session={old}")
    factory(request).invalidate()
    deleted = request.respond().set_cookies()
    assert (len(deleted), factory(FakeRequest(f"session={old}")).new) == (1, True)


def test_on_the_asyncio_path(clock: FakeClock) -> None:
    _, factory = _stores(clock)
    old = signed_state({"user": "alice"})

    async def sign_out_then_return() -> bool:
        session = await factory.from_cookie_value_async(old)
        await session.invalidate_async()
        return (await factory.from_cookie_value_async(old)).new

    assert asyncio.run(sign_out_then_return()) is True


def test_a_factory_without_revocation_leaves_the_cookie_alone(clock: FakeClock) -> None:
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    old = signed_state({"user": "alice"})
    session = factory.from_cookie_value(old)
    session["page"] = 2
    assert (session.session_id, SID_KEY in stored_state(session)) == (None, False)
