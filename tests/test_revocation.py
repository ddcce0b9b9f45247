"""Revocation with the in-memory store: logout that holds for copies of the cookie.

The Redis store, and real Pyramid apps sharing it, are in test_revocation_redis.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiesession import (
    BaseCookieSessionFactory,
    ConfigurationError,
    ConfigurationTypeError,
    JSONSerializer,
    SignedCookieSessionFactory,
)
from cookiesession.exceptions import RevocationUnavailable
from cookiesession.factory import SessionFactory, revoke
from cookiesession.loading import DEFAULT_CLOCK_SKEW as SKEW
from cookiesession.revocation import (
    DEFAULT_UNBOUNDED_TTL,
    MemoryRevocationStore,
    RevocationStore,
    check_revocation_option,
    store_from_setting,
)
from cookiesession.session import CookieSession
from tests.conftest import require
from tests.session_harness import SECRET, FakeClock, cookie_value, signed_state, stored_state


def _factory(
    store: RevocationStore | None, clock: FakeClock, *, timeout: int | None = 1200, **options: object
) -> SessionFactory:
    return SignedCookieSessionFactory(SECRET, timeout=timeout, clock=clock, revocation=store, **options)  # type: ignore[arg-type]


def _token(session: CookieSession) -> str:
    header = session.set_cookie_header()
    assert header is not None
    return cookie_value(header)


def _logged_in(factory: SessionFactory) -> tuple[CookieSession, str]:
    session = factory.from_cookie_value(None)
    session["user"] = "alice"
    return session, _token(session)


# -- the in-memory store ----------------------------------------------------------------


def test_memory_store_revokes_until_ttl_runs_out(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    store.revoke("abc", 10)
    assert store.is_revoked("abc") is True
    assert store.is_revoked("other") is False
    clock.advance(9.5)
    assert store.is_revoked("abc") is True
    clock.advance(0.5)
    assert store.is_revoked("abc") is False


def test_memory_store_purges_expired_entries_on_revoke(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    for i in range(100):
        store.revoke(f"old-{i}", 5)
    assert len(store) == 100
    clock.advance(6)
    store.revoke("new", 5)
    assert len(store) == 1
    assert store.is_revoked("new") is True


def test_memory_store_purge_drops_expired_entries(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    store.revoke("a", 1)
    store.revoke("b", 100)
    clock.advance(2)
    store.purge()
    assert len(store) == 1
    assert store.is_revoked("b") is True


def test_memory_store_keeps_the_later_of_two_expiries(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    store.revoke("a", 100)
    store.revoke("a", 10)  # a shorter second revocation must not shorten the first
    clock.advance(50)
    store.revoke("unrelated", 1)  # purges
    assert store.is_revoked("a") is True
    store.revoke("a", 200)
    clock.advance(100)
    store.purge()  # the heap still holds the first expiry of "a": it must not delete "a"
    assert store.is_revoked("a") is True
    assert len(store) == 1


def test_memory_store_without_ttl_uses_unbounded_ttl(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock, unbounded_ttl=1000)
    store.revoke("a")
    clock.advance(999)
    assert store.is_revoked("a") is True
    clock.advance(1)
    assert store.is_revoked("a") is False
    assert MemoryRevocationStore().unbounded_ttl == DEFAULT_UNBOUNDED_TTL


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), float("inf"), True, "10"])
def test_memory_store_refuses_a_bad_ttl(ttl: object) -> None:
    store = MemoryRevocationStore()
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        store.revoke("a", ttl)  # type: ignore[arg-type]
    assert len(store) == 0


@pytest.mark.parametrize("value", [0, -5, float("inf"), float("nan"), True])
def test_memory_store_refuses_a_bad_unbounded_ttl(value: float) -> None:
    with pytest.raises(ConfigurationError, match="unbounded_ttl"):
        MemoryRevocationStore(unbounded_ttl=value)


def test_memory_store_is_thread_safe() -> None:
    store = MemoryRevocationStore()
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        barrier.wait()
        for i in range(500):
            store.revoke(f"{n}-{i}", 60)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 4000
    assert [store.is_revoked(f"{n}-499") for n in range(8)] == [True] * 8


def test_memory_store_async_methods(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)

    async def run() -> tuple[bool, bool]:
        await store.revoke_async("a", 5)
        return await store.is_revoked_async("a"), await store.is_revoked_async("b")

    assert asyncio.run(run()) == (True, False)


def test_memory_store_repr_names_no_session_id() -> None:
    store = MemoryRevocationStore()
    store.revoke("secret-session-id", 5)
    assert repr(store) == "<MemoryRevocationStore 1 entries>"


def test_memory_store_is_a_revocation_store() -> None:
    assert isinstance(MemoryRevocationStore(), RevocationStore) is True


# -- configuration ------------------------------------------------------------------------


def test_factory_takes_a_store_a_setting_string_or_none() -> None:
    store = MemoryRevocationStore()
    assert SignedCookieSessionFactory(SECRET, revocation=store)._revocation is store
    assert type(SignedCookieSessionFactory(SECRET, revocation="memory")._revocation) is MemoryRevocationStore
    assert SignedCookieSessionFactory(SECRET)._revocation is None
    base = BaseCookieSessionFactory(JSONSerializer(), revocation=store)
    assert base._revocation is store


def test_factory_refuses_what_is_not_a_store() -> None:
    with pytest.raises(ConfigurationTypeError, match="revocation must be None, 'memory', a Redis URL"):
        SignedCookieSessionFactory(SECRET, revocation=object())


def test_setting_string_must_be_memory_or_a_redis_url() -> None:
    with pytest.raises(ConfigurationError, match="revocation must be 'memory', a Redis URL"):
        store_from_setting("memcached://x")
    assert type(store_from_setting(" memory ")) is MemoryRevocationStore
    assert check_revocation_option(None) is None


def test_redis_url_needs_redis_py() -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    store = store_from_setting("redis://127.0.0.1:1/0", on_error="closed", prefix="p:")
    assert repr(store) == "<RedisRevocationStore prefix='p:' on_error='closed'>"


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:notaport/0",
        "redis://127.0.0.1:99999/0",
        "redis://127.0.0.1:6379/0?socket_timeout=abc",
        "redis://user:s3cr/et@127.0.0.1:6379/0",  # an unescaped "/" in the password
    ],
)
def test_a_redis_url_redis_py_cannot_use_is_refused_at_start_up(url: str) -> None:
    # Not at the first request that loads a session, whatever on_error says.
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    with pytest.raises(ConfigurationError, match="not one redis-py can use") as caught:
        SignedCookieSessionFactory("k" * 64, revocation=url)
    assert "s3cr" not in str(caught.value)


# -- the session id -------------------------------------------------------------------------


def test_no_session_id_until_the_session_is_written(clock: FakeClock) -> None:
    factory = _factory(MemoryRevocationStore(clock=clock), clock)
    session = factory.from_cookie_value(None)
    assert session.get("user") is None
    assert session.set_cookie_header() is None  # an anonymous visitor gets no cookie
    assert dict(session) == {}


def test_written_session_carries_a_random_session_id(clock: FakeClock) -> None:
    factory = _factory(MemoryRevocationStore(clock=clock), clock)
    first, token = _logged_in(factory)
    second, _ = _logged_in(factory)
    sid = stored_state(first)["_sid_"]
    assert (type(sid), len(sid)) == (str, 22)
    assert sid != stored_state(second)["_sid_"]
    again = factory.from_cookie_value(token)
    assert dict(again) == {"user": "alice", "_sid_": sid}
    assert again.session_id == sid


def test_session_id_without_revocation_is_none(clock: FakeClock) -> None:
    session = _factory(None, clock).from_cookie_value(None)
    session["user"] = "alice"
    _token(session)
    assert session.session_id is None
    assert dict(session) == {"user": "alice"}


def test_asking_for_the_session_id_assigns_it_and_stores_the_session(clock: FakeClock) -> None:
    factory = _factory(MemoryRevocationStore(clock=clock), clock)
    session = factory.from_cookie_value(None)
    sid = session.session_id
    assert sid == dict.get(session, "_sid_")
    token = _token(session)
    assert factory.from_cookie_value(token).session_id == sid


def test_session_id_is_kept_across_reissues(clock: FakeClock) -> None:
    factory = _factory(MemoryRevocationStore(clock=clock), clock, reissue_time=10)
    session, token = _logged_in(factory)
    clock.advance(20)
    later = factory.from_cookie_value(token)
    assert later["user"] == "alice"
    new_token = _token(later)
    assert new_token != token
    assert factory.from_cookie_value(new_token).session_id == session.session_id


def test_cookie_without_id_gets_one_when_next_written(clock: FakeClock) -> None:
    # Sessions stored before revocation was enabled carry no id.
    _, token = _logged_in(_factory(None, clock))
    factory = _factory(MemoryRevocationStore(clock=clock), clock)
    session = factory.from_cookie_value(token)
    assert dict(session) == {"user": "alice"}
    session["n"] = 1
    assert "_sid_" in factory.from_cookie_value(_token(session))


def test_real_pyramid_reads_a_cookie_with_a_session_id(clock: FakeClock) -> None:
    require(importlib.util.find_spec("pyramid") is not None, "pyramid")
    from pyramid.request import Request
    from pyramid.session import SignedCookieSessionFactory as PyramidFactory

    session, token = _logged_in(_factory(MemoryRevocationStore(clock=clock), clock, timeout=None))
    request = Request.blank("/", headers={"Cookie": f"session={token}"})
    pyramid_session = PyramidFactory(SECRET, timeout=None)(request)
    assert dict(pyramid_session) == {"user": "alice", "_sid_": session.session_id}


# -- invalidate and revoked sessions -------------------------------------------------------


def test_invalidated_session_is_refused_when_presented_again(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock)
    _, token = _logged_in(factory)
    tab = factory.from_cookie_value(token)
    tab.invalidate()
    assert tab.set_cookie_header() == factory._cookie.delete_cookie()
    copy = factory.from_cookie_value(token)  # a stolen copy, or a second tab
    assert dict(copy) == {}
    assert copy.new is True
    assert copy.created == clock.now
    assert copy.set_cookie_header() is None


def test_other_sessions_stay_valid(clock: FakeClock) -> None:
    factory = _factory(MemoryRevocationStore(clock=clock), clock)
    _, mine = _logged_in(factory)
    _, yours = _logged_in(factory)
    factory.from_cookie_value(mine).invalidate()
    assert dict(factory.from_cookie_value(yours))["user"] == "alice"


def test_two_factory_instances_share_one_store(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    server_a = _factory(store, clock)
    server_b = _factory(store, clock)
    _, token = _logged_in(server_a)
    assert server_b.from_cookie_value(token)["user"] == "alice"
    server_b.from_cookie_value(token).invalidate()
    assert dict(server_a.from_cookie_value(token)) == {}


def test_data_written_after_invalidate_starts_a_new_session_with_a_new_id(clock: FakeClock) -> None:
    factory = _factory(MemoryRevocationStore(clock=clock), clock)
    _, token = _logged_in(factory)
    session = factory.from_cookie_value(token)
    old_sid = session.session_id
    session.invalidate()
    session["user"] = "bob"
    new_token = _token(session)
    fresh = factory.from_cookie_value(new_token)
    assert fresh["user"] == "bob"
    assert fresh.session_id not in (None, old_sid)
    assert dict(factory.from_cookie_value(token)) == {}


def test_revocation_lasts_until_the_idle_timeout(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock, timeout=600)
    _, token = _logged_in(factory)
    session = factory.from_cookie_value(token)
    sid = session.session_id
    assert sid is not None
    clock.advance(300)
    session.invalidate()
    assert store._expiry[sid] == clock.now + 600 + SKEW


def test_revocation_lasts_until_the_absolute_timeout(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock, timeout=None, absolute_timeout=3600)
    first, token = _logged_in(factory)
    created = first.created
    session = factory.from_cookie_value(token)
    sid = session.session_id
    assert sid is not None
    clock.advance(1000)
    session.invalidate()
    assert store._expiry[sid] == created + 3600 + SKEW
    # Until then the copy is refused; after that it would have expired anyway.
    clock.advance(2599)
    assert dict(factory.from_cookie_value(token)) == {}
    clock.advance(SKEW + 2)
    assert store.is_revoked(sid) is False
    assert dict(factory.from_cookie_value(token)) == {}


def test_revocation_takes_the_sooner_of_both_timeouts(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock, timeout=1200, absolute_timeout=3600)
    _, token = _logged_in(factory)
    session = factory.from_cookie_value(token)
    sid = session.session_id
    assert sid is not None
    clock.advance(3000)  # 600 s of the absolute timeout left, less than the idle timeout
    session.invalidate()
    assert store._expiry[sid] == clock.now + 600 + SKEW


def test_session_without_server_expiry_uses_the_store_bound(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock, unbounded_ttl=86400)
    factory = _factory(store, clock, timeout=None, max_age=600)
    _, token = _logged_in(factory)
    session = factory.from_cookie_value(token)
    sid = session.session_id
    assert sid is not None
    session.invalidate()
    assert store._expiry[sid] == clock.now + 86400


def test_revocation_expires_with_the_ttl(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock, timeout=100)
    _, token = _logged_in(factory)
    factory.from_cookie_value(token).invalidate()
    clock.advance(99)
    assert dict(factory.from_cookie_value(token)) == {}
    clock.advance(SKEW + 2)
    store.purge()
    assert len(store) == 0  # and the cookie has timed out by itself:
    assert dict(factory.from_cookie_value(token)) == {}


def test_session_without_id_is_looked_up_by_its_digest(clock: FakeClock) -> None:
    class CountingStore(MemoryRevocationStore):
        lookups = 0

        def is_revoked(self, session_id: str) -> bool:
            CountingStore.lookups += 1
            return super().is_revoked(session_id)

    store = CountingStore(clock=clock)
    _, old_token = _logged_in(_factory(None, clock))
    factory = _factory(store, clock)
    assert factory.from_cookie_value(None).new is True
    assert CountingStore.lookups == 0
    assert factory.from_cookie_value(old_token)["user"] == "alice"
    assert CountingStore.lookups == 1
    _, token = _logged_in(factory)
    factory.from_cookie_value(token)
    assert CountingStore.lookups == 2


def test_module_revoke_signs_out_a_session_by_id(clock: FakeClock) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock, timeout=900, absolute_timeout=7200)
    session, token = _logged_in(factory)
    sid = session.session_id
    assert sid is not None
    revoke(factory, sid)  # "sign out everywhere", from an admin tool
    assert store._expiry[sid] == clock.now + 900 + SKEW
    assert dict(factory.from_cookie_value(token)) == {}


def test_module_revoke_needs_a_factory_with_a_store(clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="no revocation store"):
        revoke(_factory(None, clock), "abc")
    with pytest.raises(ValueError, match="non-empty str"):
        revoke(_factory(MemoryRevocationStore(), clock), "")


def test_failed_revocation_empties_the_session_deletes_the_cookie_and_keeps_the_error(
    clock: FakeClock,
) -> None:
    class DownStore(MemoryRevocationStore):
        def revoke(self, session_id: str, ttl: float | None = None) -> None:
            raise RevocationUnavailable("down")

    factory = _factory(DownStore(clock=clock), clock)
    _, token = _logged_in(factory)
    session = factory.from_cookie_value(token)
    session.invalidate()
    assert (dict(session), type(session.revocation_error)) == ({}, RevocationUnavailable)
    assert session.set_cookie_header() == factory._cookie.delete_cookie()
    # A store without on_error fails closed: the adapter raises it after the response.
    with pytest.raises(RevocationUnavailable, match="down"):
        session.raise_revocation_error()


# -- the asyncio path ------------------------------------------------------------------------


class _AsyncOnlyStore(MemoryRevocationStore):
    """Fails the test if the asyncio path makes a blocking call."""

    def is_revoked(self, session_id: str) -> bool:
        raise AssertionError("blocking is_revoked() called on the asyncio path")

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        raise AssertionError("blocking revoke() called on the asyncio path")

    async def is_revoked_async(self, session_id: str) -> bool:
        return MemoryRevocationStore.is_revoked(self, session_id)

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
        MemoryRevocationStore.revoke(self, session_id, ttl)


def test_async_loading_awaits_the_check(clock: FakeClock) -> None:
    store = _AsyncOnlyStore(clock=clock)
    factory = _factory(store, clock)
    _, token = _logged_in(factory)

    async def run() -> tuple[dict[str, object], dict[str, object], bool]:
        session = await factory.from_cookie_header_async(f"session={token}")
        before = dict(session)
        await session.invalidate_async()
        again = await factory.from_cookie_header_async(f"session={token}")
        return before, dict(again), again.new

    before, after, new = asyncio.run(run())
    assert before["user"] == "alice"
    assert (after, new) == ({}, True)


def test_async_invalidate_waits_for_revoke_pending(clock: FakeClock) -> None:
    store = _AsyncOnlyStore(clock=clock)
    factory = _factory(store, clock)
    _, token = _logged_in(factory)

    async def run() -> tuple[int, int, str | None]:
        session = await factory.from_cookie_header_async(f"session={token}")
        session.invalidate()  # an endpoint's plain call: no I/O yet
        pending = len(store)
        await session.revoke_pending_async()
        return pending, len(store), session.set_cookie_header()

    assert asyncio.run(run()) == (0, 1, factory._cookie.delete_cookie())


def test_pending_revocation_is_recorded_by_set_cookie_header_as_a_last_resort(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock)
    _, token = _logged_in(factory)

    async def run() -> CookieSession:
        session = await factory.from_cookie_header_async(f"session={token}")
        session.invalidate()
        return session

    session = asyncio.run(run())
    assert len(store) == 0
    with caplog.at_level(logging.WARNING, logger="cookiesession.revocation"):
        assert session.set_cookie_header() == factory._cookie.delete_cookie()
    assert len(store) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "recording a revocation with a blocking call; await revoke_pending_async() first"
    ]


def test_async_loading_without_revocation(clock: FakeClock) -> None:
    factory = _factory(None, clock)
    _, token = _logged_in(factory)
    session = asyncio.run(factory.from_cookie_header_async(f"session={token}"))
    assert dict(session) == {"user": "alice"}


# -- properties ----------------------------------------------------------------------------

_states = st.dictionaries(
    st.text(min_size=1, max_size=8).filter(lambda k: k != "_sid_"),
    st.one_of(st.integers(), st.text(max_size=20), st.lists(st.booleans(), max_size=3)),
    max_size=5,
)


@given(state=_states)
def test_any_invalidated_session_is_refused_and_others_are_not(state: dict[str, object]) -> None:
    clock = FakeClock()
    factory = _factory(MemoryRevocationStore(clock=clock), clock)
    kept = factory.from_cookie_value(None)
    kept.update(state)
    kept["k"] = 1
    ended = factory.from_cookie_value(None)
    ended.update(state)
    ended["k"] = 2
    kept_token, ended_token = _token(kept), _token(ended)
    factory.from_cookie_value(ended_token).invalidate()
    assert dict(factory.from_cookie_value(ended_token)) == {}
    assert dict(factory.from_cookie_value(kept_token)) == {**state, "k": 1, "_sid_": kept.session_id}


# -- Pyramid settings --------------------------------------------------------------------------


def test_pyramid_settings_memory_store() -> None:
    require(importlib.util.find_spec("pyramid") is not None, "pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    factory = session_factory_from_settings(
        {"cookiesession.secret": SECRET, "cookiesession.revocation": "memory"}
    )
    assert type(factory._revocation) is MemoryRevocationStore
    none = session_factory_from_settings({"cookiesession.secret": SECRET, "cookiesession.revocation": "none"})
    assert none._revocation is None


def test_pyramid_settings_redis_store_options() -> None:
    require(importlib.util.find_spec("pyramid") is not None, "pyramid")
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    from cookiesession.pyramid import session_factory_from_settings
    from cookiesession.redis_store import RedisRevocationStore

    factory = session_factory_from_settings(
        {
            "cookiesession.secret": SECRET,
            "cookiesession.revocation": "redis://127.0.0.1:6390/2",
            "cookiesession.revocation_on_error": "closed",
            "cookiesession.revocation_timeout": "0.02",
        }
    )
    store = factory._revocation
    assert isinstance(store, RedisRevocationStore)
    assert (store.on_error, store.timeout, store.connect_timeout) == ("closed", 0.02, 0.02)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("revocation", "mongodb://x", r"cookiesession\.revocation: revocation must be 'memory'"),
        (
            "revocation_on_error",
            "maybe",
            r"cookiesession\.revocation_on_error='maybe' must be open or closed",
        ),
        ("revocation_timeout", "fast", r"cookiesession\.revocation_timeout='fast' is not a number"),
    ],
)
def test_pyramid_settings_refuse_bad_revocation_values(name: str, value: str, message: str) -> None:
    require(importlib.util.find_spec("pyramid") is not None, "pyramid")
    from cookiesession.pyramid import session_factory_from_settings

    settings = {"cookiesession.secret": SECRET, "cookiesession.revocation": "memory"}
    settings[f"cookiesession.{name}"] = value
    with pytest.raises(ConfigurationError, match=message):
        session_factory_from_settings(settings)


def test_memory_store_clock_must_be_callable() -> None:
    with pytest.raises(ConfigurationTypeError, match="clock must be a callable"):
        MemoryRevocationStore(clock=5)  # type: ignore[arg-type]


def test_two_flask_apps_share_a_store_through_their_config() -> None:
    require(importlib.util.find_spec("flask") is not None, "Flask")
    from flask import Flask, session

    from cookiesession.flask import CookieSessionInterface

    store = MemoryRevocationStore()

    def make_app() -> Flask:
        app = Flask(__name__)
        app.config.update(SECRET_KEY=SECRET, COOKIESESSION_REVOCATION=store)
        app.session_interface = CookieSessionInterface()

        @app.route("/login")
        def login() -> str:
            session["user"] = "alice"
            return "ok"

        @app.route("/whoami")
        def whoami() -> str:
            return str(session.get("user", "anonymous"))

        @app.route("/logout")
        def logout() -> str:
            session.invalidate()  # type: ignore[attr-defined]
            return "bye"

        return app

    app_a, app_b = make_app(), make_app()
    token = cookie_value(app_a.test_client().get("/login").headers["Set-Cookie"])

    def get(app: Flask, path: str) -> str:
        client = app.test_client()  # a fresh cookie jar holding a copy of the old cookie
        client.set_cookie("session", token)
        return client.get(path).text

    assert [get(app_b, "/whoami"), get(app_b, "/logout"), get(app_a, "/whoami")] == [
        "alice",
        "bye",
        "anonymous",
    ]
    assert len(store) == 1


def test_encrypted_sessions_are_revoked_too(clock: FakeClock) -> None:
    require(importlib.util.find_spec("cryptography") is not None, "cryptography (cookiesession[crypto])")
    from cookiesession import EncryptedCookieSessionFactory

    store = MemoryRevocationStore(clock=clock)
    factory = EncryptedCookieSessionFactory(SECRET, clock=clock, revocation=store)
    _, token = _logged_in(factory)
    session = factory.from_cookie_value(token)
    assert session["user"] == "alice"
    session.invalidate()
    assert dict(factory.from_cookie_value(token)) == {}


def test_pyramid_settings_encrypted_with_revocation() -> None:
    require(importlib.util.find_spec("pyramid") is not None, "pyramid")
    require(importlib.util.find_spec("cryptography") is not None, "cryptography (cookiesession[crypto])")
    from cookiesession.pyramid import session_factory_from_settings

    factory = session_factory_from_settings(
        {
            "cookiesession.secret": SECRET,
            "cookiesession.encrypt": "true",
            "cookiesession.revocation": "memory",
        }
    )
    assert type(factory._revocation) is MemoryRevocationStore


def test_a_factory_without_revocation_ends_a_session_that_carries_an_id(clock: FakeClock) -> None:
    # A cookie written by a server with revocation=, read by one without: logout
    # still empties the session and deletes the cookie, with nothing to record.
    factory = SignedCookieSessionFactory(SECRET, clock=clock)
    session = factory.from_cookie_value(signed_state({"_sid_": "abc", "user": "alice"}, accessed=clock()))
    assert session["user"] == "alice"
    session.invalidate()
    header = session.set_cookie_header()
    assert header is not None
    assert header.startswith("session=; Max-Age=0")


def test_a_revoked_cookie_past_its_idle_timeout_is_refused_not_kept_as_an_empty_session(
    clock: FakeClock,
) -> None:
    # Past the idle timeout a cookie keeps its `created` in an empty session (as in
    # Pyramid); a revoked one is refused outright: a new session, with a new `created`.
    store = MemoryRevocationStore(clock=clock)
    factory = _factory(store, clock, timeout=600)
    _, token = _logged_in(factory)
    clock.advance(10)
    ended = factory.from_cookie_value(token)
    ended.invalidate()
    clock.advance(630)  # past the idle timeout, within the record's life
    replayed = factory.from_cookie_value(token)
    assert (replayed.new, replayed.created, dict(replayed)) == (True, clock.now, {})
    # The same cookie, never revoked, past the same timeout: empty, but its `created` stays.
    clock.advance(-630)
    _, kept_token = _logged_in(factory)
    clock.advance(630)
    idle = factory.from_cookie_value(kept_token)
    assert (idle.new, idle.created, dict(idle)) == (False, clock.now - 630, {})
