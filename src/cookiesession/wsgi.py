"""Sessions for any WSGI application (PEP 3333).

::

    from cookiesession import SignedCookieSessionFactory
    from cookiesession.wsgi import SessionMiddleware, get_session

    app = SessionMiddleware(app, SignedCookieSessionFactory(secret))

    def app(environ, start_response):
        session = get_session(environ)        # or environ['cookiesession.session']
        session['visits'] = session.get('visits', 0) + 1

``environ['cookiesession.session']`` holds the request's :class:`CookieSession`,
a dict with the whole state.  ``Set-Cookie`` and ``Vary: Cookie`` are added in
``start_response``, and only when the application read or wrote the session.
A logout the revocation store could not record still deletes the cookie; the
failure is raised when the server closes the response (``on_error='closed'``).
The response body is returned untouched (the very iterable the application
returned, so the server calls its ``close()``), which means changes made to the
session while the body streams, after ``start_response``, do not reach the cookie.
"""

# WebOb and webtest are not imported here: the middleware speaks bare PEP 3333.
from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from ._request import RaiseWhenClosed
from .factory import check_session_factory
from .session import CookieSession

__all__ = ["ENVIRON_KEY", "SessionMiddleware", "get_session"]

#: Where the session waits for the application in the WSGI environ.
ENVIRON_KEY = "cookiesession.session"

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApplication = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def get_session(environ: dict[str, Any]) -> CookieSession:
    """The session of the request whose WSGI ``environ`` this is.

    Raises:
        LookupError: the application is not wrapped in :class:`SessionMiddleware`.
    """
    session = environ.get(ENVIRON_KEY)
    if not isinstance(session, CookieSession):
        raise LookupError(f"environ[{ENVIRON_KEY!r}] is missing: wrap the application in SessionMiddleware")
    return session


class SessionMiddleware:
    """Give every request a cookie session at ``environ['cookiesession.session']``.

    ``Set-Cookie`` and ``Vary: Cookie`` are added in ``start_response``, only when the
    application used the session (so change it before calling ``start_response``).

    Args:
        app: the WSGI application to wrap.
        session_factory: a factory such as ``SignedCookieSessionFactory(secret)``.

    Raises:
        ConfigurationTypeError: ``session_factory`` is not one of ours.
    """

    __slots__ = ("app", "session_factory")

    def __init__(self, app: WSGIApplication, session_factory: type[CookieSession]) -> None:
        self.app = app
        self.session_factory = check_session_factory(session_factory)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        session = self.session_factory.from_cookie_header(environ.get("HTTP_COOKIE"))
        environ[ENVIRON_KEY] = session

        def session_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            if session.used:
                headers = list(headers)  # the application may reuse its list; do not grow it
                # exc_info means the application is answering an error, which is what
                # set_on_exception=False refers to.
                session.add_response_headers(headers, failed=exc_info is not None)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        body = self.app(environ, session_start_response)
        if session.revocation_error is not None:
            # The response deletes the cookie; the failed logout is raised after it.
            return RaiseWhenClosed(body, session)
        return body
