"""A throwaway redis-server for the tests that need a real one.

`new_server()` says what it needs with `tests.conftest.require`: outside CI a missing
redis-server or redis-py skips the test, under CI=true it fails it.  The `server` fixture
gives each test a server of its own, so the test may pause or stop it; a test module
imports the fixture by name.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import require, require_executable
from tests.served import free_port, stop_process


class RedisServer:
    """A throwaway redis-server on a loopback port: no persistence, no config file."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # fmt: off
        command = [
            self.executable, "--save", "", "--appendonly", "no",
            "--port", str(self.port), "--bind", "127.0.0.1",
        ]
        # fmt: on
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise RuntimeError(f"redis-server exited: {self._process.stderr!r}")
                try:
                    if client.ping():
                        return
                except redis.exceptions.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        stop_process(process)
        if process.stderr is not None:
            process.stderr.close()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open, nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:  # a stopped server has nothing to resume
            self._process.send_signal(signal.SIGCONT)

    def client(self) -> Any:
        import redis

        return redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)


def new_server() -> RedisServer:
    """A server not yet started, or skip/fail (as `require` does) without redis-server or redis-py."""
    executable = require_executable("redis-server")
    require(importlib.util.find_spec("redis") is not None, "redis-py (the cookiesession[redis] extra)")
    return RedisServer(executable)


def running_server() -> Iterator[RedisServer]:
    """The body of a fixture of any scope: a started server, stopped after."""
    redis_server = new_server()
    redis_server.start()
    try:
        yield redis_server
    finally:
        redis_server.resume()  # a test that paused it and failed must not leave it frozen
        redis_server.stop()


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A server this test alone uses, so it may pause or stop it."""
    yield from running_server()
