"""How a session made by ``factory(request)`` talks to its request, as Pyramid's does.

The request is a duck type: the incoming cookie comes from
``request.environ['HTTP_COOKIE']`` (or a ``cookies`` mapping, as test doubles
such as ``pyramid.testing.DummyRequest`` have), the response from
``add_response_callback``, and the failure that ``set_on_exception`` refers to
from ``request.exception``.  Objects without ``add_response_callback`` (Flask's
request) leave the response to their adapter.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .cookies import find_cookie

if TYPE_CHECKING:
    from .session import CookieSession

__all__ = ["RaiseWhenClosed", "bind", "incoming_cookie", "respond"]

_NO_ATTRIBUTES: dict[str, Any] = {}  # the __dict__ of an object that has none


def incoming_cookie(request: Any, name: str) -> str | None:
    """The value of cookie ``name`` that ``request`` carries, or None."""
    environ = getattr(request, "environ", None)
    header = environ.get("HTTP_COOKIE") if environ is not None else None
    if header is not None:
        return find_cookie(header, name)
    cookies = getattr(request, "cookies", None) if environ is None else None
    if cookies is None:
        # No Cookie header.  A test double keeps cookies in an attribute of its own,
        # where Pyramid's session reads them; WebOb's request.cookies, a property,
        # would parse the missing header instead (5 µs on a first visit).
        cookies = getattr(request, "__dict__", _NO_ATTRIBUTES).get("cookies")
    value = cookies.get(name) if cookies else None
    if isinstance(value, bytes):  # as Pyramid's own tests give it
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


def bind(session: CookieSession, request: Any) -> Callable[[], Any]:
    """Have ``request``'s response carry ``session``'s cookie; return a reference
    to the request (weak where the request allows, so the two make no cycle)."""
    try:
        ref: Callable[[], Any] = weakref.ref(request)
    except TypeError:  # an object without weakref support: hold it, as Pyramid does
        ref = _StrongRef(request)
    register = getattr(request, "add_response_callback", None)
    if register is not None:
        register(session._on_response)  # which calls respond() below
    return ref


class _StrongRef:
    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __call__(self) -> Any:
        return self._obj


def respond(session: CookieSession, request: Any, response: Any) -> None:
    """The response callback: add ``Vary`` and ``Set-Cookie`` to the response, after
    the callbacks that may still change the session."""
    # Unless the response will write (or delete) the cookie whatever else happens:
    if not (session._deferred or session._dirty or session._invalidated):
        pending = getattr(request, "response_callbacks", None)
        if pending and _others_pending(session, pending):
            # Nothing to write yet, and callbacks registered after ours still to
            # run: one of them may make the session's first change, which Pyramid
            # saves (it registers its callback at the first change).  Answer after
            # them, once (so no two callbacks that wait can wait for each other).
            session._deferred = True
            request.add_response_callback(session._on_response)
            return
    session.add_response_headers(response.headerlist, getattr(request, "exception", None) is not None)
    if session._revocation_error is not None and hasattr(response, "app_iter"):
        # A logout that could not be recorded: raised once the server has sent the
        # response, which deletes the cookie (raising here would lose the response).
        response.app_iter = RaiseWhenClosed(response.app_iter, session)


class RaiseWhenClosed:
    """A WSGI response body that, when the server closes it (after the last byte is
    sent), has ``session`` raise its :attr:`~CookieSession.revocation_error` (as
    its store's ``on_error`` says): the error reaches the server's log and error
    reporting, and the response that deleted the cookie has gone out already."""

    __slots__ = ("_body", "_session")

    def __init__(self, body: Iterable[bytes], session: CookieSession) -> None:
        self._body = body
        self._session = session

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._session.raise_revocation_error()


def _others_pending(session: CookieSession, pending: Iterable[Any]) -> bool:
    """Whether ``pending`` (the request's queue of response callbacks) holds other
    callbacks but not the session's: so the session's was taken off the queue to be
    called, as Pyramid's router does (a test that calls it while it is still queued
    gets the answer at once), and something may still change the session."""
    others = False
    for callback in pending:
        if getattr(callback, "__self__", None) is session:
            return False
        others = True
    return others
