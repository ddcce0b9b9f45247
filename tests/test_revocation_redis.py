"""Revocation against a real redis-server, started and stopped by these tests.

A session-scoped server serves most tests (each test uses its own key prefix);
the outage tests start their own server so they can stop it mid-run.  Under
CI=true a missing redis-server or redis-py fails the tests instead of skipping.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory, revoke
from cookiesession.exceptions import MissingDependency, RevocationUnavailable
from cookiesession.factory import SessionFactory
from cookiesession.loading import DEFAULT_CLOCK_SKEW as SKEW
from cookiesession.redis_store import RedisRevocationStore
from cookiesession.revocation import DEFAULT_TIMEOUT
from cookiesession.session import CookieSession
from tests.conftest import require
from tests.redis_harness import RedisServer, running_server, server
from tests.session_harness import SECRET, cookie_value, signed_state, stored_state

pytestmark = pytest.mark.redis

__all__ = ["server"]  # a fixture


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One server for the tests that only read and write (each under its own prefix)."""
    yield from running_server()


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex}:"


@pytest.fixture
def store(redis_server: RedisServer, prefix: str) -> Iterator[RedisRevocationStore]:
    # A generous timeout: the test suite shares two CPUs with other work.
    redis_store = RedisRevocationStore(redis_server.url, prefix=prefix, timeout=1)
    yield redis_store
    redis_store.close()


@pytest.fixture
def cli(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[str]], int]:
    """The command line's ``main``, with the secret and this server's URL in its environment."""
    from cookiesession.cli import main

    monkeypatch.setenv("COOKIESESSION_SECRET", SECRET)
    monkeypatch.setenv("COOKIESESSION_REDIS_URL", redis_server.url)
    return main


def _factory(store: RedisRevocationStore, **options: Any) -> SessionFactory:
    return SignedCookieSessionFactory(SECRET, revocation=store, **options)


def _token(session: CookieSession) -> str:
    header = session.set_cookie_header()
    assert header is not None
    return cookie_value(header)


def _logged_in(factory: SessionFactory) -> tuple[CookieSession, str]:
    session = factory.from_cookie_value(None)
    session["user"] = "alice"
    return session, _token(session)


# -- the store ------------------------------------------------------------------------------


def test_revoke_sets_a_key_with_a_ttl(store: RedisRevocationStore, redis_server: RedisServer) -> None:
    store.revoke("sid-1", 1260)
    client = redis_server.client()
    key = store.prefix + "sid-1"
    assert client.get(key) == "1"
    ttl_ms = client.pttl(key)
    assert 1_250_000 < ttl_ms <= 1_260_000
    assert store.is_revoked("sid-1") is True
    assert store.is_revoked("sid-2") is False
    client.close()


def test_revoke_without_ttl_uses_unbounded_ttl(redis_server: RedisServer, prefix: str) -> None:
    store = RedisRevocationStore(redis_server.url, prefix=prefix, timeout=1, unbounded_ttl=5000)
    store.revoke("sid")
    client = redis_server.client()
    assert 4_990_000 < client.pttl(prefix + "sid") <= 5_000_000
    client.close()
    store.close()


def test_short_ttl_expires_in_redis(store: RedisRevocationStore) -> None:
    store.revoke("short", 0.05)  # 50 ms
    deadline = time.monotonic() + 5
    while store.is_revoked("short") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.is_revoked("short") is False


def test_key_prefix_is_configurable(redis_server: RedisServer) -> None:
    store = RedisRevocationStore(redis_server.url, prefix="myapp:logout:", timeout=1)
    store.revoke("abc", 60)
    client = redis_server.client()
    assert client.exists("myapp:logout:abc") == 1
    client.delete("myapp:logout:abc")
    client.close()
    store.close()


def test_async_client(store: RedisRevocationStore) -> None:
    async def run() -> tuple[bool, bool, bool]:
        await store.revoke_async("async-sid", 60)
        result = (
            await store.is_revoked_async("async-sid"),
            await store.is_revoked_async("other"),
            store.is_revoked("async-sid"),  # and the blocking client sees it too
        )
        await store.aclose()
        return result

    assert asyncio.run(run()) == (True, False, True)
    # A second event loop gets its own client.

    async def second_loop() -> bool:
        result = await store.is_revoked_async("async-sid")
        await store.aclose()
        return result

    assert asyncio.run(second_loop()) is True


def test_ready_clients_can_be_passed_in(redis_server: RedisServer, prefix: str) -> None:
    import redis
    import redis.asyncio

    client = redis.Redis(port=redis_server.port, socket_timeout=1)
    sync_store = RedisRevocationStore(client=client, prefix=prefix)
    sync_store.revoke("x", 60)
    assert sync_store.client is client

    async def run() -> bool:
        async_client = redis.asyncio.Redis(port=redis_server.port, socket_timeout=1)
        async_store = RedisRevocationStore(async_client=async_client, prefix=prefix)
        result = await async_store.is_revoked_async("x")
        await async_client.aclose()
        return result

    assert asyncio.run(run()) is True
    client.close()


def test_missing_redis_py_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis` fail
    with pytest.raises(MissingDependency, match=r"pip install 'cookiesession\[redis\]'"):
        RedisRevocationStore("redis://127.0.0.1:6379/0")


def test_store_options_are_checked() -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    with pytest.raises(ValueError, match="on_error must be 'open' or 'closed'"):
        RedisRevocationStore("redis://x", on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a url"):
        RedisRevocationStore()
    with pytest.raises(ValueError, match="timeout=0 must be above 0"):
        RedisRevocationStore("redis://x", timeout=0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": b"redis://x"}, "url must be a str"),
        ({"url": "redis://x", "timeout": "5"}, "timeout must be a number of seconds"),
        ({"url": "redis://x", "connect_timeout": 61}, "connect_timeout=61 must be above 0"),
        ({"url": "redis://x", "prefix": 1}, "prefix must be a str"),
    ],
)
def test_store_option_types_are_checked(options: dict[str, Any], message: str) -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    with pytest.raises(ValueError, match=message):
        RedisRevocationStore(**options)


def test_a_store_with_one_kind_of_client_refuses_the_other() -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    import redis
    import redis.asyncio

    sync_only = RedisRevocationStore(client=redis.Redis(port=1))
    async_only = RedisRevocationStore(async_client=redis.asyncio.Redis(port=1))
    with pytest.raises(ValueError, match="has only an async_client"):
        async_only.is_revoked("x")
    with pytest.raises(ValueError, match="has only a blocking client"):
        asyncio.run(sync_only.is_revoked_async("x"))


def test_default_timeouts_are_a_few_milliseconds_without_retries() -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    store = RedisRevocationStore("redis://:hunter2@127.0.0.1:1/0")
    kwargs = store.client.connection_pool.connection_kwargs
    assert (DEFAULT_TIMEOUT, kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (0.005,) * 3
    assert store.client.get_retry().get_retries() == 0
    assert "hunter2" not in repr(store)


# -- sessions across servers -----------------------------------------------------------------


def test_two_factories_share_one_redis(store: RedisRevocationStore, redis_server: RedisServer) -> None:
    other_store = RedisRevocationStore(redis_server.url, prefix=store.prefix, timeout=1)
    server_a, server_b = _factory(store), _factory(other_store)
    _, token = _logged_in(server_a)
    on_b = server_b.from_cookie_value(token)
    assert on_b["user"] == "alice"
    on_b.invalidate()
    refused = server_a.from_cookie_value(token)
    assert (dict(refused), refused.new) == ({}, True)
    client = redis_server.client()
    assert (1200 + SKEW - 10) * 1000 < client.pttl(store.prefix + _sid_in(token)) <= (1200 + SKEW) * 1000
    client.close()
    other_store.close()


def _sid_in(token: str) -> str:
    # The id inside a token, read without the store (the store now refuses it).
    plain = SignedCookieSessionFactory(SECRET)
    sid: str = stored_state(plain.from_cookie_value(token))["_sid_"]
    return sid


def test_module_revoke_through_redis(store: RedisRevocationStore, redis_server: RedisServer) -> None:
    factory = _factory(store, timeout=None, absolute_timeout=86400)
    session, token = _logged_in(factory)
    sid = session.session_id
    assert sid is not None
    revoke(factory, sid)
    assert dict(factory.from_cookie_value(token)) == {}
    client = redis_server.client()
    assert 86_400_000 < client.pttl(store.prefix + sid) <= (86_400 + SKEW) * 1000
    client.close()


def test_two_real_pyramid_apps_share_one_redis(redis_server: RedisServer, prefix: str) -> None:
    require(importlib.util.find_spec("pyramid") is not None, "pyramid")
    require(importlib.util.find_spec("webtest") is not None, "webtest")
    from pyramid.config import Configurator
    from pyramid.interfaces import ISessionFactory
    from pyramid.request import Request
    from pyramid.response import Response
    from webtest import TestApp

    stores: list[RedisRevocationStore] = []

    def make_app(from_settings: bool) -> TestApp:
        if from_settings:  # config.include("cookiesession.pyramid") and .ini-style settings
            settings = {
                "cookiesession.secret": SECRET,
                "cookiesession.revocation": redis_server.url,
                "cookiesession.revocation_timeout": "1",
            }
            config = Configurator(settings=settings)
            config.include("cookiesession.pyramid")
            config.commit()
            store = config.registry.queryUtility(ISessionFactory)._revocation
            store.prefix = prefix
        else:
            store = RedisRevocationStore(redis_server.url, prefix=prefix, timeout=1)
            config = Configurator()
            config.set_session_factory(SignedCookieSessionFactory(SECRET, revocation=store))
        stores.append(store)

        def login(request: Request) -> Response:
            request.session["user"] = request.params["user"]
            return Response("ok")

        def whoami(request: Request) -> Response:
            return Response(request.session.get("user", "anonymous"))

        def logout(request: Request) -> Response:
            request.session.invalidate()
            return Response("bye")

        for name, view in (("login", login), ("whoami", whoami), ("logout", logout)):
            config.add_route(name, f"/{name}")
            config.add_view(view, route_name=name)
        return TestApp(config.make_wsgi_app())

    app_a, app_b = make_app(from_settings=True), make_app(from_settings=False)
    login = app_a.get("/login", params={"user": "alice"})
    cookie = login.headers["Set-Cookie"].split(";", 1)[0]
    assert app_b.get("/whoami", headers={"Cookie": cookie}).text == "alice"
    logout = app_b.get("/logout", headers={"Cookie": cookie})
    assert logout.headers["Set-Cookie"].startswith("session=; Max-Age=0;")
    # The copy of the old cookie is refused by both apps.
    assert app_a.get("/whoami", headers={"Cookie": cookie}).text == "anonymous"
    assert app_b.get("/whoami", headers={"Cookie": cookie}).text == "anonymous"
    # Another user's session is untouched, and alice can sign in again.
    other = app_b.get("/login", params={"user": "bob"}).headers["Set-Cookie"].split(";", 1)[0]
    assert app_a.get("/whoami", headers={"Cookie": other}).text == "bob"
    again = app_a.get("/login", params={"user": "alice"}).headers["Set-Cookie"].split(";", 1)[0]
    assert app_b.get("/whoami", headers={"Cookie": again}).text == "alice"
    for store in stores:
        store.close()


# -- Redis unreachable -----------------------------------------------------------------------


def test_stopped_redis_fails_open_or_closed_as_configured(
    server: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.url
    fail_open = RedisRevocationStore(url, prefix=prefix, timeout=1, on_error="open")
    fail_closed = RedisRevocationStore(url, prefix=prefix, timeout=1, on_error="closed")
    open_factory, closed_factory = _factory(fail_open), _factory(fail_closed)
    ended, ended_token = _logged_in(open_factory)
    ended_sid = ended.session_id
    assert ended_sid is not None
    open_factory.from_cookie_value(ended_token).invalidate()
    _, alive_token = _logged_in(open_factory)
    assert dict(closed_factory.from_cookie_value(alive_token))["user"] == "alice"
    assert dict(closed_factory.from_cookie_value(ended_token)) == {}

    server.stop()

    with caplog.at_level(logging.ERROR, logger="cookiesession.revocation"):
        # Fail open: sessions are accepted, the ended one too (the documented cost).
        assert dict(open_factory.from_cookie_value(alive_token))["user"] == "alice"
        assert dict(open_factory.from_cookie_value(ended_token))["user"] == "alice"
        # Fail closed: every session with an id is refused, as if revoked.
        refused = closed_factory.from_cookie_value(alive_token)
        assert (dict(refused), refused.new) == ({}, True)
        # A logout while Redis is down still empties the session and deletes the
        # cookie; with on_error='open' the failure is logged, not raised.
        session = closed_factory.from_cookie_value(None)
        session["user"] = "carol"
        token = _token(session)
        down = open_factory.from_cookie_value(token)
        down.invalidate()
        down.raise_revocation_error()
        assert down.set_cookie_header() == open_factory._cookie.delete_cookie()
        assert str(down.revocation_error).startswith("the revocation store could not record the logout")

    address = f"127.0.0.1:{server.port}/0"
    messages = [record.getMessage() for record in caplog.records]
    # One line per store per outage (not per request), with the store's address.
    assert messages == [
        f"revocation store {address} unavailable (ConnectionError): on_error='open', so sessions are "
        "accepted unchecked until it answers; logouts made meanwhile are not recorded (the response "
        "still deletes the cookie)",
        f"revocation store {address} unavailable (ConnectionError): on_error='closed', so every session "
        "with an id is refused until it answers; logouts made meanwhile are not recorded (the response "
        "still deletes the cookie)",
        "a logout could not be recorded (RevocationUnavailable): copies of the old cookie stay valid "
        "until they expire; the response deletes the cookie",
    ]
    sid = session.session_id
    assert [m for m in messages if ended_sid in m or (sid is not None and sid in m)] == []
    counts = [(s.error_count, s.outage_count, s.available) for s in (fail_open, fail_closed)]
    assert counts == [(4, 1, False), (1, 1, False)]  # open: three checks and the logout

    # When Redis is back (empty: it persists nothing), checks work again.
    server.start()
    with caplog.at_level(logging.WARNING, logger="cookiesession.revocation"):
        assert fail_closed.is_revoked("nobody") is False
    assert (
        caplog.records[-1].getMessage() == f"revocation store {address} answers again, after 1 failed calls"
    )
    assert (fail_closed.error_count, fail_closed.outage_count, fail_closed.available) == (1, 1, True)
    fail_open.close()
    fail_closed.close()


def test_stopped_redis_on_the_asyncio_path(server: RedisServer, prefix: str) -> None:
    fail_open = RedisRevocationStore(server.url, prefix=prefix, timeout=1, on_error="open")
    fail_closed = RedisRevocationStore(server.url, prefix=prefix, timeout=1, on_error="closed")
    _, token = _logged_in(_factory(fail_open))
    server.stop()

    async def run() -> tuple[bool, bool, object]:
        opened = await _factory(fail_open).from_cookie_header_async(f"session={token}")
        closed = await _factory(fail_closed).from_cookie_header_async(f"session={token}")
        await opened.invalidate_async()  # does not raise: the failure is kept
        return opened.new, closed.new, type(opened.revocation_error)

    # opened: still logged in (then invalidated); closed: a fresh session.
    assert asyncio.run(run()) == (False, True, RevocationUnavailable)


def test_silent_redis_is_bounded_by_the_timeout() -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    # A server that accepts connections and never answers: without the socket
    # timeout these calls would hang.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        fail_open = RedisRevocationStore(url, on_error="open", timeout=0.05)
        fail_closed = RedisRevocationStore(url, on_error="closed", timeout=0.05)
        assert (fail_open.is_revoked("a"), fail_closed.is_revoked("a")) == (False, True)
        assert asyncio.run(fail_closed.is_revoked_async("a")) is True
        with pytest.raises(RevocationUnavailable):
            fail_open.revoke("a", 10)


class _AsyncOnlyRedisStore(RedisRevocationStore):
    """Fails the test if the ASGI path makes a blocking Redis call."""

    def is_revoked(self, session_id: str) -> bool:
        raise AssertionError("blocking is_revoked() on the event loop")

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        raise AssertionError("blocking revoke() on the event loop")


def test_two_starlette_apps_share_one_redis_without_blocking(redis_server: RedisServer, prefix: str) -> None:
    require(importlib.util.find_spec("starlette") is not None, "Starlette")
    require(importlib.util.find_spec("httpx") is not None, "httpx")
    import httpx
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from cookiesession.asgi import SessionMiddleware

    async def login(request: Request) -> PlainTextResponse:
        request.session["user"] = request.query_params["user"]
        return PlainTextResponse("ok")

    async def whoami(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.session.get("user", "anonymous"))

    async def logout(request: Request) -> PlainTextResponse:
        request.session.invalidate()  # type: ignore[attr-defined]  # no I/O here: the middleware awaits
        return PlainTextResponse("bye")

    async def untouched(request: Request) -> PlainTextResponse:
        return PlainTextResponse("no session")

    def make_app() -> tuple[Any, RedisRevocationStore]:
        store = _AsyncOnlyRedisStore(redis_server.url, prefix=prefix, timeout=1)
        factory = SignedCookieSessionFactory(SECRET, revocation=store)
        routes = [Route(f"/{view.__name__}", view) for view in (login, whoami, logout, untouched)]
        return Starlette(
            routes=routes, middleware=[Middleware(SessionMiddleware, session_factory=factory)]
        ), store

    (app_a, store_a), (app_b, store_b) = make_app(), make_app()

    async def run() -> list[str | None]:
        seen: list[str | None] = []
        a = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_a), base_url="http://a")
        b = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_b), base_url="http://b")
        async with a, b:
            cookie = (await a.get("/login", params={"user": "alice"})).headers["set-cookie"].split(";")[0]
            a.cookies.clear()
            seen.append((await b.get("/whoami", headers={"Cookie": cookie})).text)
            b.cookies.clear()
            untouched = await a.get("/untouched", headers={"Cookie": cookie})
            seen.append(untouched.headers.get("set-cookie"))
            logout = await b.get("/logout", headers={"Cookie": cookie})
            seen.append(logout.headers["set-cookie"].split(";")[0])
            b.cookies.clear()
            seen.append((await a.get("/whoami", headers={"Cookie": cookie})).text)
            seen.append((await b.get("/whoami", headers={"Cookie": cookie})).text)
            await store_a.aclose()
            await store_b.aclose()
        return seen

    assert asyncio.run(run()) == ["alice", None, "session=", "anonymous", "anonymous"]


# -- the command line --------------------------------------------------------------------------


def test_cli_revokes_a_cookie(
    store: RedisRevocationStore,
    redis_server: RedisServer,
    cli: Callable[[list[str]], int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    factory = _factory(store)
    session, token = _logged_in(factory)
    sid = session.session_id
    assert sid is not None
    # A token may start with '-', so it goes after '--'.
    argv = [
        "revoke",
        "--prefix",
        store.prefix,
        "--timeout",
        "1200",
        "--",
        token,
    ]
    assert cli(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"revoked session {sid} for {1200 + SKEW} s (until ")
    client = redis_server.client()
    assert (1200 + SKEW - 10) * 1000 < client.pttl(store.prefix + sid) <= (1200 + SKEW) * 1000
    client.close()
    assert dict(factory.from_cookie_value(token)) == {}


@pytest.mark.parametrize("by_user", [False, True], ids=["cookie", "user"])
def test_cli_revoke_keeps_the_record_for_the_factorys_clock_skew(
    store: RedisRevocationStore,
    redis_server: RedisServer,
    cli: Callable[[list[str]], int],
    capsys: pytest.CaptureFixture[str],
    by_user: bool,
) -> None:
    # A factory with clock_skew=900 accepts a cookie dated up to 900 s ahead: the record
    # must outlive the timeout by as much, or such a cookie would come back.
    now = time.time()
    target = (
        ["--user", "alice"]
        if by_user
        else ["--", signed_state({"_sid_": "abc"}, accessed=int(now), created=now)]
    )
    argv = ["revoke", "--prefix", store.prefix, "--timeout", "60", "--clock-skew", "900", *target]
    assert cli(argv) == 0
    assert f"for {60 + 900} s" in capsys.readouterr().out
    client = redis_server.client()
    keys = list(client.keys(store.prefix + "*"))
    assert len(keys) == 1, keys  # the one record this revoke wrote
    if not by_user:
        assert keys == [store.prefix + "abc"]
    assert (60 + 900 - 10) * 1000 < client.pttl(keys[0]) <= (60 + 900) * 1000
    client.close()


def test_cli_revoke_refuses_a_clock_skew_that_is_not_whole_seconds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cookiesession.cli import main

    assert main(["revoke", "--user", "alice", "--clock-skew", "-5"]) == 2
    assert "--clock-skew" in capsys.readouterr().err


@pytest.mark.parametrize("created", [1e15, 1e200, 1e308])
def test_cli_revoke_counts_a_created_time_in_the_future_as_now(
    store: RedisRevocationStore,
    redis_server: RedisServer,
    cli: Callable[[list[str]], int],
    capsys: pytest.CaptureFixture[str],
    created: float,
) -> None:
    # As the session does, so the record lasts as long as the session could: here
    # absolute_timeout + the clock skew allowance from now, not from a date centuries
    # away (or an overflow).
    now = time.time()
    token = signed_state({"_sid_": "abc"}, accessed=int(now), created=created)
    argv = ["revoke", "--prefix", store.prefix]
    assert cli([*argv, "--absolute-timeout", "10", "--", token]) == 0
    assert capsys.readouterr().out.startswith(f"revoked session abc for {10 + SKEW} s (until ") is True
    client = redis_server.client()
    assert SKEW * 1000 < client.pttl(store.prefix + "abc") <= (10 + SKEW) * 1000
    client.close()


def test_cli_revoke_refuses_what_it_cannot_revoke(
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from cookiesession.cli import main

    monkeypatch.setenv("COOKIESESSION_SECRET", SECRET)
    monkeypatch.delenv("COOKIESESSION_REDIS_URL", raising=False)
    plain = SignedCookieSessionFactory(SECRET).from_cookie_value(None)
    plain["user"] = "alice"
    without_id = _token(plain)
    url_file = tmp_path / "redis-url"
    url_file.write_text(redis_server.url + "\n", encoding="utf-8")
    url_file.chmod(0o600)
    url = ["--redis-url-file", str(url_file)]
    codes = [
        main(["revoke", *url, "--", without_id]),
        main(["revoke", *url, "--", without_id[:-2] + "AA"]),  # forged
        main(["revoke", "--", without_id]),  # no Redis URL
    ]
    errors = capsys.readouterr().err.splitlines()
    assert codes == [1, 1, 2]
    assert errors[0] == (
        "cookiesession: error: invalid cookie: the session has no id: it was stored by a factory "
        "without revocation=, so it cannot be revoked"
    )
    assert errors[2] == (
        "cookiesession: error: no Redis: set the COOKIESESSION_REDIS_URL environment variable or "
        "pass --redis-url-file FILE"
    )


def test_cli_revoke_when_redis_is_down(
    store: RedisRevocationStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cookiesession.cli import main

    monkeypatch.setenv("COOKIESESSION_SECRET", SECRET)
    _, token = _logged_in(_factory(store))
    expected = (
        "cookiesession: error: Redis did not record the revocation (unreachable, or it refused the "
        "command); nothing was revoked\n"
    )
    with socket.socket() as closed:  # held, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("COOKIESESSION_REDIS_URL", f"redis://127.0.0.1:{closed.getsockname()[1]}/0")
        code = main(["revoke", "--redis-timeout", "0.5", "--", token])
        assert (code, capsys.readouterr().err) == (3, expected)
        # In its own process, where no test captures the logging: still that one line.
        command = [sys.executable, "-m", "cookiesession", "revoke", "--redis-timeout", "0.5", "--", token]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (3, expected)
