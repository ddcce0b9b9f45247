"""Sessions for any ASGI application: Starlette, FastAPI, or bare ASGI.

::

    from starlette.applications import Starlette
    from cookiesession import SignedCookieSessionFactory
    from cookiesession.asgi import SessionMiddleware

    app = Starlette(routes=...)
    app.add_middleware(SessionMiddleware, session_factory=SignedCookieSessionFactory(secret))
    # in an endpoint: request.session['user'] = 'alice'

``scope['session']`` holds the request's :class:`CookieSession`, a dict with the
whole state, so Starlette's and FastAPI's ``request.session`` work unchanged and
can be returned or serialized as they are.  A request that never reads or writes
its session gets no ``Set-Cookie`` and no ``Vary: Cookie``.

The work done here (one HMAC, one JSON parse or dump, a few string joins) is pure
CPU and takes microseconds, so it runs inline on the event loop: handing it to a
thread would cost more than it saves.  The revocation store (with
``revocation=``) is awaited, never called blocking.  Every connection gets its
own session object; the middleware holds only the (immutable) factory.
"""

# Importing Starlette is not needed: the middleware speaks bare ASGI 3.
from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from itertools import islice
from typing import Any

from .factory import check_session_factory
from .session import CookieSession

__all__ = ["SessionMiddleware", "cookie_header"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Messages that open a response and carry its headers: the HTTP response, the
# accepted websocket handshake, and a websocket denial response.
_HEADER_MESSAGES = frozenset({"http.response.start", "websocket.accept", "websocket.http.response.start"})


#: The most ``Cookie`` header lines read from one request; any after them are ignored.
#: Browsers keep at most about 180 cookies per site, and HTTP/2 and HTTP/3 may send
#: each in a line of its own, so no browser comes near; a client that sends more is
#: not a browser, and only its own cookies past the limit go unread.
MAX_COOKIE_LINES = 1000


def cookie_header(scope: Scope) -> str:
    """The ``Cookie`` header of the request ``scope``, its lines joined ("" without one),
    for an :meth:`SessionMiddleware.open_session` that picks its factory per request.

    Args:
        scope: the ASGI connection scope.
    """
    # HTTP/2 and HTTP/3 may split the Cookie header; RFC 9113 section 8.2.3 says to
    # join the pieces with "; ".  Header bytes are latin-1 by the ASGI spec.  One
    # join, not repeated concatenation: the work stays linear in the header's size.
    found = (value for name, value in scope.get("headers", ()) if name.lower() == b"cookie")
    lines = list(islice(found, MAX_COOKIE_LINES))  # no more are kept, however many come
    if len(lines) == 1:  # the usual request: no join
        return lines[0].decode("latin-1")  # type: ignore[no-any-return]
    return b"; ".join(lines).decode("latin-1")


def _with_session_headers(message: Message, session: CookieSession) -> Message:
    headers: list[tuple[bytes, bytes]] = list(message.get("headers", ()))
    session.add_response_headers(headers, binary=True)
    return {**message, "headers": headers}


class SessionMiddleware:
    """Give every HTTP request and websocket a cookie session at ``scope['session']``.

    When the application raises before it starts its response, there is no
    response here to add a cookie to (the server or Starlette's error middleware
    answers), so nothing is sent, whatever ``set_on_exception`` says.

    Args:
        app: the ASGI application to wrap.
        session_factory: a factory such as ``SignedCookieSessionFactory(secret)``.

    Raises:
        ConfigurationTypeError: ``session_factory`` is not one of ours.
    """

    __slots__ = ("app", "session_factory")

    def __init__(self, app: ASGIApp, session_factory: type[CookieSession]) -> None:
        self.app = app
        self.session_factory = check_session_factory(session_factory)

    async def open_session(self, scope: Scope) -> CookieSession:
        """The session of the connection ``scope``, from the cookie its request carries.

        A subclass may override it to choose the factory per request, without
        changing the middleware that every request shares::

            async def open_session(self, scope):
                factory = current_factory()  # say, after a key rotation
                return await factory.from_cookie_header_async(cookie_header(scope))

        Args:
            scope: the ASGI connection scope.
        """
        return await self.session_factory.from_cookie_header_async(cookie_header(scope))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan and any other extension
            return
        session = await self.open_session(scope)
        # In place, as Starlette's own SessionMiddleware does, so an outer error
        # handler that builds a Request from this scope sees the session too.
        scope["session"] = session

        async def send_with_session(message: Message) -> None:
            # A logout is recorded before the next message leaves: before the
            # response's headers, and also after them (a streaming body, a
            # websocket's messages after accept()).  A failure to record it does
            # not stop the headers that delete the cookie (see revocation_error).
            if session._pending_revocations:  # checked here: a coroutine per message costs
                await session.revoke_pending_async()
            if message["type"] in _HEADER_MESSAGES and session._used:  # session.used
                message = _with_session_headers(message, session)
            await send(message)

        try:
            await self.app(scope, receive, send_with_session)
        finally:
            # A logout after the last message, or in an endpoint that then raised.
            if session._pending_revocations:
                await session.revoke_pending_async()
        # A logout the store could not record: the response deleted the cookie
        # already; the failure is raised now (on_error='closed'), for the server's log.
        if session._revocation_error is not None:
            session.raise_revocation_error()
