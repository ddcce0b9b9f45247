"""Real servers for the tests that need one: uvicorn serving an ASGI app on loopback, and
what the tests that run a server in a subprocess share (a free port, a clean stop)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from typing import Any


def free_port() -> int:
    """A loopback port free right now, for a server about to be started."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask ``process`` to end (SIGTERM), and kill it if it has not within ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ServedByUvicorn:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread, for the length of a ``with`` block,
    which gives the server's base URL."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
