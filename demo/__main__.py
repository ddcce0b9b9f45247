"""``python -m demo [--port 6543] [--asgi-port 6544]``: serve both demo apps on 127.0.0.1.

waitress serves the Pyramid app from a background thread; uvicorn serves the
Starlette app from the main thread, so Ctrl-C (or SIGTERM) stops both.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
import threading
from collections.abc import Sequence

import uvicorn
import waitress

from cookiesession import SignedCookieSessionFactory

from . import pyramid_app, starlette_app

HOST = "127.0.0.1"
SECRET_ENV = "COOKIESESSION_DEMO_SECRET"
TIMEOUT = 15 * 60  # idle: a session not used for 15 minutes ends
ABSOLUTE_TIMEOUT = 8 * 60 * 60  # and none lasts more than a working day


def _secret() -> str:
    secret = os.environ.get(SECRET_ENV)
    if secret:
        return secret
    print(
        f"demo: {SECRET_ENV} is not set, so this run signs cookies with a random secret; "
        "sessions end when the demo stops.",
        flush=True,
    )
    return secrets.token_urlsafe(64)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=6543, help="the Pyramid app's port (default: %(default)s)"
    )
    parser.add_argument(
        "--asgi-port", type=int, default=6544, help="the Starlette app's port (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    # One factory, so both apps speak the same cookie: same secret, same attributes.
    factory = SignedCookieSessionFactory(
        _secret(),
        httponly=True,
        samesite="Lax",
        path="/",
        timeout=TIMEOUT,
        absolute_timeout=ABSOLUTE_TIMEOUT,
    )
    pyramid_url = f"http://{HOST}:{args.port}/"
    starlette_url = f"http://{HOST}:{args.asgi_port}/"
    wsgi = pyramid_app.make_app(factory, other_app_url=starlette_url)
    asgi = starlette_app.make_app(factory, other_app_url=pyramid_url)

    try:
        server = waitress.create_server(wsgi, host=HOST, port=args.port, threads=4)
    except OSError as exc:
        print(f"demo: cannot listen on {HOST}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    busy = _cannot_listen(args.asgi_port)
    if busy is not None:
        server.close()
        print(f"demo: cannot listen on {HOST}:{args.asgi_port}: {busy}", file=sys.stderr)
        return 1
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    print(f"demo: Pyramid app (waitress)   on {pyramid_url}", flush=True)
    print(f"demo: Starlette app (uvicorn) on {starlette_url}  (Ctrl-C stops both)", flush=True)
    try:
        uvicorn.run(asgi, host=HOST, port=args.asgi_port, log_level="warning")
    finally:
        server.close()
    return 0


def _cannot_listen(port: int) -> str | None:
    """Why uvicorn could not listen on ``port`` (checked before saying where it serves), or None."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


if __name__ == "__main__":
    sys.exit(main())
