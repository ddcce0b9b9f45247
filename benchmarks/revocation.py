"""Per-request cost of the revocation check: none, in-memory, loopback Redis.

    .venv/bin/python benchmarks/revocation.py [--redis-url redis://127.0.0.1:6379/0]

Without --redis-url it starts a throwaway redis-server (no persistence) on a free
loopback port and stops it afterwards.  Each line is the median of several runs
of loading a session from a cookie that carries a session id (what every request
with a session pays), in microseconds per load, and the bare store lookups.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cookiesession import SignedCookieSessionFactory
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


def _token(factory: SessionFactory) -> str:
    session = factory.from_cookie_value(None)
    session["user"] = "alice"
    session.session_id  # noqa: B018 - a cookie with a session id, whatever the factory
    header = session.set_cookie_header()
    assert header is not None
    return header.split(";", 1)[0].split("=", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", help="an existing Redis (default: start a throwaway one)")
    parser.add_argument("--number", type=int, default=5000)
    args = parser.parse_args()
    number = args.number

    memory = MemoryRevocationStore()
    plain = SignedCookieSessionFactory(SECRET)
    with_memory = SignedCookieSessionFactory(SECRET, revocation=memory)
    token = _token(with_memory)  # carries _sid_; the plain factory reads it too
    cookie_header = f"session={token}"

    def rows(redis_url: str) -> list[tuple[str, float]]:
        redis_store = RedisRevocationStore(redis_url, timeout=0.1)
        with_redis = SignedCookieSessionFactory(SECRET, revocation=redis_store)
        redis_store.is_revoked("warm-up")  # connect outside the timing
        results = [
            ("load, no revocation (baseline)", _median_us(lambda: plain.from_cookie_value(token), number)),
            ("load, memory store", _median_us(lambda: with_memory.from_cookie_value(token), number)),
            ("load, Redis store (sync)", _median_us(lambda: with_redis.from_cookie_value(token), number)),
            (
                "load, Redis store (asyncio)",
                _median_us_async(lambda: with_redis.from_cookie_header_async(cookie_header), number),
            ),
            ("memory is_revoked() alone", _median_us(lambda: memory.is_revoked("x" * 22), number * 10)),
            ("Redis is_revoked() alone (sync)", _median_us(lambda: redis_store.is_revoked("x" * 22), number)),
        ]
        redis_store.close()
        return results

    if args.redis_url:
        results = rows(args.redis_url)
    else:
        with _redis_server() as url:
            results = rows(url)
    baseline = results[0][1]
    print(f"Python {sys.version.split()[0]}, {number} loads per run, median of 5 runs")
    for name, us in results:
        extra = (
            f"  ({us - baseline:+.2f} against the baseline)"
            if name.startswith("load,") and us != baseline
            else ""
        )
        print(f"{name:34s} {us:8.2f} µs{extra}")


if __name__ == "__main__":
    main()
