"""Sessions for any ASGI application: Starlette, FastAPI, or bare ASGI.

::

    from starlette.applications import Starlette
    from cookiesession import SignedCookieSessionFactory
    from cookiesession.asgi import SessionMiddleware

    app = Starlette(routes=...)
    app.add_middleware(SessionMiddleware, session_factory=SignedCookieSessionFactory(secret))
    # in an endpoint: request.session['user'] = 'alice'

``scope['session']`` holds a :class:`~cookiesession._lazy.LazySession`, a mutable
mapping that reads the cookie the first time the endpoint uses it, so Starlette's
and FastAPI's ``request.session`` work unchanged, and a request that never looks at
its session costs no signature check and gets no ``Set-Cookie`` or ``Vary: Cookie``.
``scope['session'].load()`` gives the real :class:`CookieSession`.

The work done here (one HMAC, one JSON parse or dump, a few string joins) is pure
CPU and takes microseconds, so it runs inline on the event loop: handing it to a
thread would cost more than it saves.  Every connection gets its own session
object; the middleware holds only the (immutable) factory.
"""

# Importing Starlette is not needed: the middleware speaks bare ASGI 3.
from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._lazy import LazySession, check_session_factory
from .session import CookieSession

__all__ = ["SessionMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Messages that open a response and carry its headers: the HTTP response, the
# accepted websocket handshake, and a websocket denial response.
_HEADER_MESSAGES = frozenset({"http.response.start", "websocket.accept", "websocket.http.response.start"})


def _cookie_header(scope: Scope) -> str:
    # HTTP/2 and HTTP/3 may split the Cookie header; RFC 9113 section 8.2.3 says to
    # join the pieces with "; ".  Header bytes are latin-1 by the ASGI spec.
    cookie = None
    for name, value in scope.get("headers", ()):
        if name.lower() == b"cookie":
            cookie = value if cookie is None else cookie + b"; " + value
    return "" if cookie is None else cookie.decode("latin-1")


def _with_session_headers(message: Message, session: CookieSession) -> Message:
    headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
    if session._vary:
        _merge_vary(headers)
    cookie = session.set_cookie_header(failed=False)
    if cookie is not None:
        headers.append((b"set-cookie", cookie.encode("latin-1")))
    message = dict(message)
    message["headers"] = headers
    return message


def _merge_vary(headers: list[tuple[bytes, bytes]]) -> None:
    # cookies.merge_vary, for ASGI's byte headers: every Vary header is looked at,
    # so Cookie is never listed twice.
    first = None
    for i, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            tokens = {token.strip().lower() for token in value.split(b",")}
            if b"cookie" in tokens or b"*" in tokens:
                return
            if first is None:
                first = i
    if first is None:
        headers.append((b"vary", b"Cookie"))
        return
    name, value = headers[first]
    headers[first] = (name, value + b", Cookie" if value.strip() else b"Cookie")


class SessionMiddleware:
    """Give every HTTP request and websocket a cookie session at ``scope['session']``.

    When the application raises before it starts its response, there is no
    response here to add a cookie to (the server or Starlette's error middleware
    answers), so nothing is sent, whatever ``set_on_exception`` says.
    """

    __slots__ = ("app", "session_factory")

    def __init__(self, app: ASGIApp, session_factory: type[CookieSession]) -> None:
        self.app = app
        self.session_factory = check_session_factory(session_factory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan and any other extension
            return
        lazy = LazySession(self.session_factory, _cookie_header(scope))
        # With revocation=, the store is asked (and told of a logout) with awaits
        # here, never with a blocking call from the endpoint.
        revocation = self.session_factory._revocation is not None
        if revocation:
            await lazy.prefetch_async()
        # In place, as Starlette's own SessionMiddleware does, so an outer error
        # handler that builds a Request from this scope sees the session too.
        scope["session"] = lazy

        async def send_with_session(message: Message) -> None:
            session = lazy.loaded_session
            if session is not None:
                if revocation and session._pending_revocations:
                    # A logout is recorded before the next message leaves: before the
                    # response's headers, and also after them (a streaming body, a
                    # websocket's messages after accept()).
                    await session.revoke_pending_async()
                if message["type"] in _HEADER_MESSAGES:
                    message = _with_session_headers(message, session)
            await send(message)

        try:
            await self.app(scope, receive, send_with_session)
        finally:
            # A logout after the last message, or in an endpoint that then raised.
            session = lazy.loaded_session
            if revocation and session is not None and session._pending_revocations:
                await session.revoke_pending_async()
