"""Calling an application of ``apps.py`` in this process: a WSGI environ or an ASGI
scope made by hand, the response's status and headers collected, no server."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any

import apps


def environ(path: str, query: str = "", cookie: str | None = None) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if cookie is not None:
        env["HTTP_COOKIE"] = f"{apps.COOKIE_NAME}={cookie}"
    return env


def scope(path: str, query: str = "", cookie: str | None = None) -> dict[str, Any]:
    headers = [(b"host", b"localhost")]
    if cookie is not None:
        headers.append((b"cookie", f"{apps.COOKIE_NAME}={cookie}".encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
        "state": {},
    }


class Caller:
    """Calls one application in this process; ``call(path, ...)`` returns the
    response's status and headers (names lower-case)."""

    def __init__(self, framework: str, kind: str) -> None:
        self.framework = framework
        self.kind = kind
        self.app = apps.BUILDERS[framework](kind)
        self.asgi = framework == "starlette"

    def request(self, path: str, query: str = "", cookie: str | None = None) -> Callable[[], Any]:
        """A callable making the request (a new environ or scope each time)."""
        if self.asgi:
            return self._asgi_request(path, query, cookie)
        return self._wsgi_request(path, query, cookie)

    def _wsgi_request(self, path: str, query: str, cookie: str | None) -> Callable[[], Any]:
        template = environ(path, query, cookie)
        app = self.app
        box: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            box["status"] = status
            box["headers"] = headers
            return None

        def call() -> Any:
            env = template.copy()
            env["wsgi.input"] = io.BytesIO(b"")
            body = app(env, start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return box["status"], [(name.lower(), value) for name, value in box["headers"]]

        return call

    def _asgi_request(self, path: str, query: str, cookie: str | None) -> Callable[[], Any]:
        template = scope(path, query, cookie)
        app = self.app
        box: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                box["status"] = message["status"]
                box["headers"] = message["headers"]

        def call() -> Any:
            coroutine = app(dict(template, state={}), receive, send)
            try:
                coroutine.send(None)
            except StopIteration:
                pass
            else:  # it suspended: finish it on the event loop
                raise RuntimeError("the application suspended; it cannot be called synchronously")
            return box["status"], [(n.decode("latin-1"), v.decode("latin-1")) for n, v in box["headers"]]

        return call

    def mint(self, state: str) -> str:
        """A cookie holding ``state``, written by this application's own session."""
        _status, headers = self.request("/fill", f"state={state}")()
        header = apps.set_cookie_of(headers)
        if header is not None:
            return header[len(apps.COOKIE_NAME) + 1 :].split(";", 1)[0].strip('"')
        raise AssertionError(f"{self.framework}/{self.kind} wrote no cookie for {state}")
