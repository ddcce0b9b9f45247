"""Remember the raw ``Set-Cookie`` that wrote each session cookie, so a page can show it.

The browser never shows a page the response headers it came with.  Each app is
wrapped (WSGI or ASGI) by a recorder that notes every ``Set-Cookie`` of the
session cookie it sends, keyed by the value it sets: the next request brings
that value back, and the page shows the header that set it, whichever app sent it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = ["Recorder"]

_KEPT = 2000  # headers remembered, the oldest forgotten first

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


class Recorder:
    def __init__(self, cookie_name: str) -> None:
        self._prefix = cookie_name + "="
        self._headers: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def header_for(self, value: str | None) -> str | None:
        """The ``Set-Cookie`` header value that gave the browser the cookie ``value``."""
        if not value:
            return None
        with self._lock:
            return self._headers.get(value)

    def note(self, header: str) -> None:
        if not header.startswith(self._prefix):
            return
        value = header[len(self._prefix) :].split(";", 1)[0]
        with self._lock:
            self._headers[value] = header
            self._headers.move_to_end(value)
            while len(self._headers) > _KEPT:
                self._headers.popitem(last=False)

    def wsgi(self, app: WSGIApp) -> WSGIApp:
        def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                for name, value in headers:
                    if name.lower() == "set-cookie":
                        self.note(value)
                return start_response(status, headers, *exc_info)

            return app(environ, start)

        return recorded

    def asgi(self, app: ASGIApp) -> ASGIApp:
        async def recorded(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            async def sending(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    for name, value in message.get("headers", ()):
                        if name.lower() == b"set-cookie":
                            self.note(value.decode("latin-1"))
                await send(message)

            await app(scope, receive, sending)

        return recorded
