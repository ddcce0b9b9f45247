"""``local_view=True``: each server answers checks from memory, kept current by pub/sub
(a real redis-server; two stores stand for two servers).  A revocation on one reaches
the other; a view that stops hearing from Redis stops answering, and checks then ask
Redis and follow ``on_error``."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cookiesession import SignedCookieSessionFactory, revoke_user
from cookiesession.exceptions import ConfigurationError
from cookiesession.factory import SessionFactory
from cookiesession.redis_store import RedisRevocationStore
from tests.redis_harness import RedisServer, server
from tests.session_harness import SECRET, mint

pytestmark = pytest.mark.redis

__all__ = ["server"]  # a fixture

STALENESS = 0.4
#: How long a test waits for something that takes milliseconds (a busy CI box is slow).
PATIENCE = 10.0


@pytest.fixture
def stores() -> Iterator[list[RedisRevocationStore]]:
    """The stores a test made (with _store), closed after it."""
    made: list[RedisRevocationStore] = []
    yield made
    for store in made:
        store.close()


PREFIX = f"view:{uuid.uuid4().hex}:"


def _store(stores: list[RedisRevocationStore], server: RedisServer, **options: Any) -> RedisRevocationStore:
    store = RedisRevocationStore(
        server.url, prefix=PREFIX, timeout=0.5, local_view=True, staleness=STALENESS, **options
    )
    stores.append(store)
    return store


def _until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _trusting(store: RedisRevocationStore) -> bool:
    return store._trusted_view() is not None


def _factory(store: RedisRevocationStore) -> SessionFactory:
    return SignedCookieSessionFactory(SECRET, revocation=store, user_key="user_id")


def test_a_revocation_on_one_server_reaches_the_others_view(
    stores: list[RedisRevocationStore], server: RedisServer
) -> None:
    first, second = _store(stores, server), _store(stores, server)
    assert (_until(lambda: _trusting(first)), _until(lambda: _trusting(second))) == (True, True)
    first.revoke("sid-a", 60)
    first.revoke_user("bob", 1000.0, 60)
    reached = _until(lambda: second.is_revoked("sid-a") and second.is_refused("x", "bob", 999.0))
    assert (reached, first.is_revoked("sid-a"), second.is_refused("x", "bob", 1000.0)) == (True, True, False)


def test_a_trusted_view_answers_without_asking_redis(
    stores: list[RedisRevocationStore], server: RedisServer
) -> None:
    store = _store(stores, server)
    assert _until(lambda: _trusting(store)) is True
    client = server.client()
    client.config_resetstat()
    answers = [store.is_revoked("nope"), store.is_refused("nope", "u", 0.0)]
    answers.append(asyncio.run(store.is_refused_async("nope", "u", 0.0)))
    stats = client.info("commandstats")
    client.close()
    assert (answers, "cmdstat_exists" in stats, "cmdstat_mget" in stats) == ([False] * 3, False, False)


def test_records_written_before_the_view_started_are_loaded(
    stores: list[RedisRevocationStore], server: RedisServer
) -> None:
    writer = RedisRevocationStore(server.url, prefix=PREFIX, timeout=0.5)
    writer.revoke("old-sid", 60)
    writer.revoke_user("old user", 500.0, 60)  # a user id with a space
    writer.close()
    reader = _store(stores, server)
    assert _until(lambda: _trusting(reader)) is True
    client = server.client()
    client.config_resetstat()
    answers = (reader.is_revoked("old-sid"), reader.is_refused("s", "old user", 499.0))
    calls = client.info("commandstats").get("cmdstat_exists", {}).get("calls", 0)
    client.close()
    assert (answers, calls) == ((True, True), 0)


def test_sign_out_everywhere_across_two_servers(
    stores: list[RedisRevocationStore], server: RedisServer
) -> None:
    first, second = _factory(_store(stores, server)), _factory(_store(stores, server))
    token = mint(first, {"user_id": 5})
    time.sleep(0.01)
    revoke_user(first, 5)
    assert _until(lambda: second.from_cookie_value(token).new) is True


@pytest.mark.parametrize(("on_error", "refused"), [("closed", True), ("open", False)])
@pytest.mark.parametrize("outage", ["paused", "stopped"])
def test_when_the_view_cannot_be_trusted_checks_follow_on_error(
    stores: list[RedisRevocationStore], server: RedisServer, on_error: str, refused: bool, outage: str
) -> None:
    store = _store(stores, server, on_error=on_error)
    factory = _factory(store)
    token = mint(factory, {"user_id": 1})
    assert (_until(lambda: _trusting(store)), factory.from_cookie_value(token).new) == (True, False)
    if outage == "paused":
        server.pause()
    else:
        server.stop()
    distrusted = _until(lambda: not _trusting(store))
    assert (distrusted, factory.from_cookie_value(token).new, store.available) == (True, refused, False)


@pytest.mark.parametrize("silence", [0.0, 12 * STALENESS], ids=["brief", "long-enough-to-reconnect"])
def test_the_view_comes_back_after_redis_does(
    stores: list[RedisRevocationStore], server: RedisServer, silence: float
) -> None:
    store = _store(stores, server)
    assert _until(lambda: _trusting(store)) is True
    server.pause()
    assert _until(lambda: not _trusting(store)) is True
    time.sleep(silence)
    server.resume()
    other = RedisRevocationStore(server.url, prefix=PREFIX, timeout=0.5)
    other.revoke("after", 60)
    other.close()
    assert _until(lambda: _trusting(store) and store.is_revoked("after")) is True


def test_local_view_needs_a_url_and_a_sane_staleness() -> None:
    import redis

    with pytest.raises(ConfigurationError, match="local_view=True needs"):
        RedisRevocationStore(client=redis.Redis(), local_view=True)
    with pytest.raises(ConfigurationError, match="staleness"):
        RedisRevocationStore("redis://127.0.0.1:1/0", local_view=True, staleness=0)


def test_a_forked_worker_starts_a_view_of_its_own(
    stores: list[RedisRevocationStore], server: RedisServer
) -> None:
    import os

    store = _store(stores, server)
    assert _until(lambda: _trusting(store)) is True
    parents_view = store._view
    pid = os.fork()
    if pid == 0:  # the child: the parent's view (whose thread stayed behind) is not trusted
        inherited_distrusted = parents_view is not None and not parents_view.trusted()
        own = _until(lambda: _trusting(store)) and store._view is not parents_view
        os._exit(0 if inherited_distrusted and own else 1)
    _, status = os.waitpid(pid, 0)
    assert (os.waitstatus_to_exitcode(status), _trusting(store)) == (0, True)


def test_the_pyramid_setting_turns_the_view_on(server: RedisServer) -> None:
    from cookiesession.pyramid import session_factory_from_settings

    settings = {
        "cookiesession.secret": SECRET,
        "cookiesession.revocation": server.url,
        "cookiesession.revocation_local_view": "true",
        "cookiesession.user_key": "user_id",
    }
    store = session_factory_from_settings(settings)._revocation
    assert isinstance(store, RedisRevocationStore)
    assert (store.local_view, _until(lambda: _trusting(store))) == (True, True)
    store.close()


def test_a_user_record_that_is_not_a_time_refuses_every_session(
    stores: list[RedisRevocationStore], server: RedisServer
) -> None:
    client = server.client()
    client.set(PREFIX + "user:mallory", "not a time", px=60_000)
    client.set(PREFIX + "user:trent", "1000.5", px=60_000)
    client.close()
    cold = RedisRevocationStore(server.url, prefix=PREFIX, timeout=0.5)
    warm = _store(stores, server)
    assert _until(lambda: _trusting(warm)) is True
    answers = [
        (
            store.is_refused("s", "mallory", 1e12),
            store.is_refused("s", "trent", 1000.0),
            store.is_refused("s", "trent", 1001.0),
        )
        for store in (cold, warm)
    ]
    cold.close()
    assert answers == [(True, True, False)] * 2
