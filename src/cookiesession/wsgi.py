"""Sessions for any WSGI application (PEP 3333).

::

    from cookiesession import SignedCookieSessionFactory
    from cookiesession.wsgi import SessionMiddleware, get_session

    app = SessionMiddleware(app, SignedCookieSessionFactory(secret))

    def app(environ, start_response):
        session = get_session(environ)        # or environ['cookiesession.session']
        session['visits'] = session.get('visits', 0) + 1

The environ must stay a plain dict, so ``environ['cookiesession.session']`` holds a
:class:`~cookiesession._lazy.LazySession`: a mutable mapping that reads and verifies
the cookie the first time the application uses it, and forwards the rest of the
session's API (``flash``, ``get_csrf_token``, ``invalidate``, ...).
``get_session(environ)`` returns the real :class:`CookieSession` (reading it then),
with its whole state parsed, for code that hands the object on; the mapping reads
only the keys asked for (see ``CookieSession._peek``), so it is the faster way in.

``Set-Cookie`` and ``Vary: Cookie`` are added in ``start_response``, and only when the
application used the session.  The response body is returned untouched (the very
iterable the application returned, so the server calls its ``close()``), which
means changes made to the session while the body streams, after
``start_response``, do not reach the cookie.
"""

# WebOb and webtest are not imported here: the middleware speaks bare PEP 3333.
from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from ._lazy import LazySession, check_session_factory
from .cookies import merge_vary
from .session import CookieSession

__all__ = ["ENVIRON_KEY", "SessionMiddleware", "get_session"]

#: Where the session waits for the application in the WSGI environ.
ENVIRON_KEY = "cookiesession.session"

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApplication = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def get_session(environ: dict[str, Any]) -> CookieSession:
    """The request's session, read from its cookie now if it was not read yet."""
    lazy = environ.get(ENVIRON_KEY)
    if not isinstance(lazy, LazySession):
        raise LookupError(f"environ[{ENVIRON_KEY!r}] is missing: wrap the application in SessionMiddleware")
    return lazy.load()


class SessionMiddleware:
    """Give every request a cookie session at ``environ['cookiesession.session']``."""

    __slots__ = ("app", "session_factory")

    def __init__(self, app: WSGIApplication, session_factory: type[CookieSession]) -> None:
        self.app = app
        self.session_factory = check_session_factory(session_factory)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        lazy = LazySession(self.session_factory, environ.get("HTTP_COOKIE", ""))
        environ[ENVIRON_KEY] = lazy

        def session_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            session = lazy.loaded_session
            if session is not None:
                headers = list(headers)  # the application may reuse its list; do not grow it
                if session._vary:
                    merge_vary(headers)
                # exc_info means the application is answering an error, which is what
                # set_on_exception=False refers to.
                cookie = session.set_cookie_header(failed=exc_info is not None)
                if cookie is not None:
                    headers.append(("Set-Cookie", cookie))
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        return self.app(environ, session_start_response)
