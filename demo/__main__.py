"""``python -m demo``: serve the demo's four apps on 127.0.0.1, sharing one cookie and one user.

One process, so that the apps share one board (keys and format) and one
in-memory revocation store (``$REDIS_URL`` selects Redis instead).  waitress
serves the Pyramid, Flask and Django apps from background threads; uvicorn
serves the Starlette app from the main thread, so Ctrl-C (or SIGTERM) stops all.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
import threading
from collections.abc import Sequence
from typing import Any

import uvicorn
import waitress

from cookiesession.revocation import MemoryRevocationStore, RevocationStore, store_from_setting

from . import django_app, flask_app, pyramid_app, starlette_app
from .board import COOKIE_NAME, Board
from .pages import Sites
from .panels import Demo
from .recorder import Recorder

HOST = "127.0.0.1"
SECRET_ENV = "COOKIESESSION_DEMO_SECRET"
REDIS_ENV = "REDIS_URL"
DEFAULT_PORTS = {"pyramid": 6543, "starlette": 6544, "flask": 6545, "django": 6546}
_OPTIONS = {
    "pyramid": "--port",
    "starlette": "--asgi-port",
    "flask": "--flask-port",
    "django": "--django-port",
}


def _secret() -> str:
    return os.environ.get(SECRET_ENV) or secrets.token_urlsafe(48)


def _store() -> tuple[RevocationStore, str]:
    url = os.environ.get(REDIS_ENV)
    if url:
        return store_from_setting(url), "in Redis (from $REDIS_URL)"
    return MemoryRevocationStore(), "in memory (this process; $REDIS_URL selects Redis)"


def _arguments(argv: Sequence[str] | None) -> dict[str, int]:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    for key, option in _OPTIONS.items():
        parser.add_argument(
            option,
            type=int,
            default=DEFAULT_PORTS[key],
            dest=key,
            help=f"the {key} app's port (default: %(default)s)",
        )
    args = parser.parse_args(argv)
    return {key: getattr(args, key) for key in _OPTIONS}


def _cannot_listen(port: int) -> str | None:
    """Why a server could not listen on ``port`` (checked before saying where it serves), or None."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    ports = _arguments(argv)
    for port in ports.values():
        busy = _cannot_listen(port)
        if busy is not None:
            print(f"demo: cannot listen on {HOST}:{port}: {busy}", file=sys.stderr)
            return 1
    secret = _secret()
    store, where = _store()
    demo = Demo(Board(secret, store), Recorder(COOKIE_NAME), Sites.on(HOST, ports))
    wsgi_apps: dict[str, Any] = {
        "pyramid": pyramid_app.make_app(demo),
        "flask": flask_app.make_app(demo),
        "django": django_app.make_app(demo),
    }
    servers = [
        waitress.create_server(demo.recorder.wsgi(app), host=HOST, port=ports[key], threads=4)
        for key, app in wsgi_apps.items()
    ]
    for server in servers:
        threading.Thread(target=server.run, name="waitress", daemon=True).start()
    print(f"demo: the secret is {secret}", flush=True)
    print("demo: (a demo, not production: never print or share a real secret)", flush=True)
    print(f"demo: revoked sessions are kept {where}", flush=True)
    for site in demo.sites.all():
        print(f"demo: {site.framework:<9} ({site.server:<8}) on {site.url}", flush=True)
    print("demo: Ctrl-C stops them all", flush=True)
    try:
        asgi = demo.recorder.asgi(starlette_app.make_app(demo))
        uvicorn.run(asgi, host=HOST, port=ports["starlette"], log_level="warning")
    finally:
        for server in servers:
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
