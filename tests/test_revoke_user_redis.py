"""``revoke_user()`` on the Redis store (a real redis-server): two servers share the store,
the sid and the user are checked by one MGET, and an outage follows ``on_error``."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory, revoke_user, revoke_user_async
from cookiesession.exceptions import RevocationUnavailable
from cookiesession.factory import SessionFactory
from cookiesession.loading import DEFAULT_CLOCK_SKEW as SKEW
from cookiesession.redis_store import RedisRevocationStore
from tests.redis_harness import RedisServer, server
from tests.session_harness import SECRET, cookie_value, mint

pytestmark = pytest.mark.redis

__all__ = ["server"]  # a fixture


def _servers(url: str, **options: Any) -> tuple[SessionFactory, SessionFactory]:
    """Two "servers": each its own store and factory, one Redis."""
    prefix = f"test:{uuid.uuid4().hex}:"
    return tuple(  # type: ignore[return-value]
        SignedCookieSessionFactory(
            SECRET,
            revocation=RedisRevocationStore(url, prefix=prefix, **{"timeout": 1, **options}),
            user_key="user_id",
        )
        for _ in range(2)
    )


def test_revoke_user_on_one_server_is_refused_by_the_other(server: RedisServer) -> None:
    first, second = _servers(server.url)
    token = mint(first, {"user_id": 42})
    other = mint(first, {"user_id": 43})
    time.sleep(0.01)  # `created` is the real clock's here
    revoke_user(first, 42)
    fresh = second.from_cookie_value(None)
    fresh["user_id"] = 42
    header = fresh.set_cookie_header()
    assert header is not None
    assert (
        second.from_cookie_value(token).new,
        second.from_cookie_value(other).new,
        second.from_cookie_value(cookie_value(header)).get("user_id"),
    ) == (True, False, 42)


def test_the_user_record_and_its_expiry_in_redis(server: RedisServer) -> None:
    factory = SignedCookieSessionFactory(
        SECRET,
        timeout=600,
        revocation=RedisRevocationStore(server.url, prefix="p:", timeout=1),
        user_key="user_id",
    )
    before = time.time()
    revoke_user(factory, "alice")
    client = server.client()
    recorded = float(client.get("p:user:alice"))
    ttl_ms = client.pttl("p:user:alice")
    client.close()
    assert (
        before <= recorded <= time.time(),
        (600 + SKEW) * 1000 - 5000 < ttl_ms <= (600 + SKEW) * 1000,
    ) == (
        True,
        True,
    )


def test_a_second_revocation_keeps_the_later_time_and_expiry(server: RedisServer) -> None:
    store = RedisRevocationStore(server.url, prefix="q:", timeout=1)
    store.revoke_user("u", 2000.0, 100)
    store.revoke_user("u", 1000.0, 10)
    client = server.client()
    recorded, ttl_ms = float(client.get("q:user:u")), client.pttl("q:user:u")
    client.close()
    assert (
        recorded,
        ttl_ms > 90_000,
        store.is_refused("s", "u", 1999.0),
        store.is_refused("s", "u", 2000.0),
    ) == (
        2000.0,
        True,
        True,
        False,
    )


def test_one_mget_checks_the_session_and_its_user(server: RedisServer) -> None:
    store = RedisRevocationStore(server.url, prefix="m:", timeout=1)
    store.revoke("sid-1", 60)
    store.revoke_user("u", 1000.0, 60)
    client = server.client()
    client.config_resetstat()
    answers = [
        store.is_refused(s, u, c)
        for s, u, c in [("sid-1", None, 0), ("sid-2", "u", 999), ("sid-2", "u", 1001), ("sid-2", "v", 0)]
    ]
    stats = client.info("commandstats")
    client.close()
    assert (answers, stats["cmdstat_mget"]["calls"], stats["cmdstat_exists"]["calls"]) == (
        [True, True, False, False],
        3,
        1,
    )


def test_async_forms(server: RedisServer) -> None:
    first, second = _servers(server.url)
    token = mint(first, {"user_id": "bob"})

    async def scenario() -> tuple[bool, bool]:
        before = (await second.from_cookie_value_async(token)).new
        await asyncio.sleep(0.01)
        await revoke_user_async(first, "bob")
        return before, (await second.from_cookie_value_async(token)).new

    assert asyncio.run(scenario()) == (False, True)


@pytest.mark.parametrize(("on_error", "refused"), [("closed", True), ("open", False)])
def test_an_outage_follows_on_error(server: RedisServer, on_error: str, refused: bool) -> None:
    factory, _ = _servers(server.url, on_error=on_error, timeout=0.2)
    token = mint(factory, {"user_id": 1})
    server.stop()
    with pytest.raises(RevocationUnavailable):
        revoke_user(factory, 1)
    assert factory.from_cookie_value(token).new is refused


def test_cli_revoke_user(
    server: RedisServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cookiesession.cli import main

    first, _ = _servers(server.url)
    prefix = first._revocation.prefix  # type: ignore[union-attr]
    token = mint(first, {"user_id": "carol"})
    monkeypatch.setenv("COOKIESESSION_REDIS_URL", server.url)
    time.sleep(0.01)
    code = main(["revoke", "--user", "carol", "--prefix", prefix, "--timeout", "1200"])
    out = capsys.readouterr().out
    both = main(["revoke", "--user", "carol", "--", token])
    neither = main(["revoke"])
    assert (code, out.startswith("revoked every session of user carol created before "), both, neither) == (
        0,
        True,
        2,
        2,
    )
    assert first.from_cookie_value(token).new is True
