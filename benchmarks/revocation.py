"""Per-request cost of the revocation check, and how fast a revocation reaches another server.

    .venv/bin/python benchmarks/revocation.py [--redis-url redis://127.0.0.1:6379/0]

Without --redis-url it starts a throwaway redis-server (no persistence) on a free
loopback port and stops it afterwards.  Loading a session from a cookie that carries
a session id and a user id (what every signed-in request pays), per case: no
revocation, the memory store, Redis "cold" (each check a round trip: EXISTS for the
sid alone, one MGET for sid+user) and Redis "warm" (``local_view=True``: answered from
memory); blocking cases interleaved in random order round after round, asyncio ones
after.  Then the time from ``revoke_user()`` returning on one server to another server
refusing the user's cookie, without and with the local view.  Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cookiesession import SignedCookieSessionFactory, revoke_user
from cookiesession.factory import SessionFactory
from cookiesession.redis_store import RedisRevocationStore
from cookiesession.revocation import MemoryRevocationStore

SECRET = "benchmark-secret-" + "z" * 48


def _median_us(run: Callable[[], object], number: int, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            run()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times) * 1e6


def _median_us_async(run: Callable[[], object], number: int, repeat: int = 5) -> float:
    async def timed() -> list[float]:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(number):
                await run()  # type: ignore[misc]
            times.append((time.perf_counter() - start) / number)
        return times

    return statistics.median(asyncio.run(timed())) * 1e6


@contextmanager
def _redis_server() -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        sys.exit("redis-server not found: install it (scripts/system-deps.sh) or pass --redis-url")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # fmt: off
    process = subprocess.Popen(
        [executable, "--save", "", "--appendonly", "no", "--port", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    # fmt: on
    try:
        import redis

        client = redis.Redis(port=port, socket_timeout=1)
        for _ in range(500):
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.01)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()


def _token(factory: SessionFactory, user_id: str = "alice") -> str:
    session = factory.from_cookie_value(None)
    session["user_id"] = user_id
    session.session_id  # noqa: B018 - a cookie with a session id, whatever the factory
    header = session.set_cookie_header()
    assert header is not None
    return header.split(";", 1)[0].split("=", 1)[1]


def _interleaved(cases: dict[str, Callable[[], object]], number: int, rounds: int) -> dict[str, float]:
    """Median µs per call of each case; every round runs every case, in a fresh random
    order, so a noisy moment of the shared machine spreads over all of them."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    order = list(cases)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            run = cases[name]
            start = time.perf_counter()
            for _ in range(number):
                run()
            times[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(values) * 1e6 for name, values in times.items()}


def _wait_trusted(store: RedisRevocationStore) -> None:
    deadline = time.monotonic() + 10
    while store._trusted_view() is None:
        if time.monotonic() > deadline:
            sys.exit("the local view did not subscribe within 10 s")
        time.sleep(0.01)


def _propagation_ms(url: str, samples: int, local_view: bool, busy: bool) -> list[float]:
    """Milliseconds from revoke_user() returning on one server to the other refusing
    that user's cookie, checked again and again: ``busy``, by a thread that never lets
    go of the GIL (a CPU-bound server: the view's thread waits up to the interpreter's
    5 ms switch interval), else with a pause between checks, as a server's threads
    wait on sockets between requests."""
    prefix = f"bench:{time.time_ns()}:"
    options = {"prefix": prefix, "timeout": 0.1, "local_view": local_view}
    first = SignedCookieSessionFactory(
        SECRET, revocation=RedisRevocationStore(url, **options), user_key="user_id"
    )
    second_store = RedisRevocationStore(url, **options)
    second = SignedCookieSessionFactory(SECRET, revocation=second_store, user_key="user_id")
    if local_view:
        _wait_trusted(second_store)
    results = []
    for index in range(samples):
        user = f"user-{index}"
        token = _token(first, user)
        time.sleep(0.002)  # `created` strictly before the revocation
        revoke_user(first, user)
        start = time.perf_counter()
        while not second.from_cookie_value(token).new:
            if not busy:
                time.sleep(0)
        results.append((time.perf_counter() - start) * 1e3)
    for factory in (first, second):
        factory._revocation.close()  # type: ignore[union-attr]
    return results


def _asyncio_us(factory: SessionFactory, header: str, number: int) -> float:
    async def timed() -> list[float]:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(number):
                await factory.from_cookie_header_async(header)
            times.append((time.perf_counter() - start) / number)
        return times

    return statistics.median(asyncio.run(timed())) * 1e6


def run(url: str, number: int, rounds: int, samples: int) -> None:
    memory = MemoryRevocationStore()
    cold = RedisRevocationStore(url, timeout=0.1)
    warm = RedisRevocationStore(url, timeout=0.1, local_view=True)
    factories = {
        "no revocation (baseline)": SignedCookieSessionFactory(SECRET),
        "memory, sid": SignedCookieSessionFactory(SECRET, revocation=memory),
        "memory, sid+user": SignedCookieSessionFactory(SECRET, revocation=memory, user_key="user_id"),
        "Redis cold, sid (EXISTS)": SignedCookieSessionFactory(SECRET, revocation=cold),
        "Redis cold, sid+user (MGET)": SignedCookieSessionFactory(
            SECRET, revocation=cold, user_key="user_id"
        ),
        "Redis warm (local view), sid": SignedCookieSessionFactory(SECRET, revocation=warm),
        "Redis warm (local view), sid+user": SignedCookieSessionFactory(
            SECRET, revocation=warm, user_key="user_id"
        ),
    }
    token = _token(factories["memory, sid"])  # carries _sid_ and user_id; every factory reads it
    cold.is_revoked("warm-up")  # connect outside the timing
    _wait_trusted(warm)
    cases: dict[str, Callable[[], object]] = {
        name: (lambda f=factory: f.from_cookie_value(token)) for name, factory in factories.items()
    }
    sid, created = "x" * 22, time.time()
    cases |= {
        "store call alone: memory is_refused()": lambda: memory.is_refused(sid, "alice", created),
        "store call alone: warm is_refused()": lambda: warm.is_refused(sid, "alice", created),
        "store call alone: cold is_refused()": lambda: cold.is_refused(sid, "alice", created),
    }
    loads = _interleaved(cases, number, rounds)
    header = f"session={token}"
    async_loads = {
        "Redis cold, sid+user, asyncio": _asyncio_us(
            factories["Redis cold, sid+user (MGET)"], header, number
        ),
        "Redis warm, sid+user, asyncio": _asyncio_us(
            factories["Redis warm (local view), sid+user"], header, number
        ),
    }
    cold.close()
    warm.close()
    baseline = loads["no revocation (baseline)"]
    print(
        f"Python {sys.version.split()[0]}; loading a session: "
        f"median of {rounds} interleaved rounds of {number}"
    )
    for name, us in {**loads, **async_loads}.items():
        alone = name.startswith("store call")
        extra = f"  ({us - baseline:+7.2f} µs for the check)" if us != baseline and not alone else ""
        print(f"  {name:38s} {us:8.2f} µs{extra}")
    print(f"revoke_user() on one server -> refused on another ({samples} users each):")
    for local_view, busy in ((False, False), (True, False), (True, True)):
        found = sorted(_propagation_ms(url, samples, local_view, busy))
        label = "local view" if local_view else "cold (each check asks Redis)"
        label += ", busy checker" if busy else ""
        print(
            f"  {label:38s} median {statistics.median(found):7.3f} ms, "
            f"p95 {found[int(len(found) * 0.95) - 1]:7.3f} ms, max {found[-1]:7.3f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", help="an existing Redis (default: start a throwaway one)")
    parser.add_argument("--number", type=int, default=2000, help="loads per case per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--samples", type=int, default=100, help="revocations timed across servers")
    args = parser.parse_args()
    if args.redis_url:
        run(args.redis_url, args.number, args.rounds, args.samples)
    else:
        with _redis_server() as url:
            run(url, args.number, args.rounds, args.samples)


if __name__ == "__main__":
    main()
