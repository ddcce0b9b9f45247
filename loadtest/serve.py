"""Serve the counter app on 127.0.0.1: ``python -m loadtest.serve {waitress|uvicorn} PORT``."""

from __future__ import annotations

import sys

from loadtest.apps import pyramid_app, starlette_app

HOST = "127.0.0.1"  # loopback only


def main(server: str, port: int) -> None:
    if server == "waitress":
        import logging

        import waitress

        # "Task queue depth is N" is waitress noting that 50 clients share 8 threads: expected.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        waitress.serve(pyramid_app(), host=HOST, port=port, threads=8, _quiet=True)
    elif server == "uvicorn":
        import uvicorn

        uvicorn.run(starlette_app(), host=HOST, port=port, log_level="warning", access_log=False)
    else:
        raise SystemExit(f"unknown server {server!r}: waitress or uvicorn")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
