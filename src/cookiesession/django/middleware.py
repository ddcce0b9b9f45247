"""Django's ``SessionMiddleware``, for sessions that may take several cookies.

::

    MIDDLEWARE = [
        ...,
        # "django.contrib.sessions.middleware.SessionMiddleware",
        "cookiesession.django.middleware.SessionMiddleware",
        ...,
    ]
    COOKIESESSION = {"secret": ..., "max_cookies": 3}

Django's middleware reads one cookie and writes one, whose value is the session
key; with ``max_cookies`` above 1 a session too large for one cookie is stored in
several (see docs/large-sessions.md).  This subclass joins the pieces a request
brings into one session key before the engine sees it, and cuts the one cookie
Django's middleware writes into pieces, each ``Set-Cookie`` value at most 4096
bytes with every attribute Django gives it; pieces no longer needed, and every
piece when Django deletes the session's cookie, are deleted by the same response.
With ``max_cookies`` at 1 it behaves exactly as Django's own.
"""

from __future__ import annotations

from http.cookies import Morsel

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponseBase

from .._pieces import MAX_HEADER, piece_name
from ..exceptions import SessionTooLarge
from ._config import session_factory

__all__ = ["SessionMiddleware"]

# Where the request keeps how many cookies it brought for the session.
_CARRIED = "_cookiesession_cookies"


class SessionMiddleware(DjangoSessionMiddleware):  # type: ignore[misc]  # Django has no type hints
    """``django.contrib.sessions``' middleware, reading and writing sessions in pieces."""

    def process_request(self, request: HttpRequest) -> None:
        """Django calls this: give ``request`` its session, from every piece of the
        session's cookie it brought (Django's own behaviour for another ``SESSION_ENGINE``)."""
        if settings.SESSION_ENGINE != "cookiesession.django":
            super().process_request(request)
            return
        session_key, carried = session_factory().whole_token(request.COOKIES)
        setattr(request, _CARRIED, carried)
        request.session = self.SessionStore(session_key)

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        """Django calls this: let Django's middleware save the session of ``request`` on
        ``response``, then cut the cookie it wrote into pieces and delete the pieces no
        longer needed.

        Raises:
            SessionTooLarge: the session does not fit in ``max_cookies`` cookies.
        """
        response = super().process_response(request, response)
        if settings.SESSION_ENGINE != "cookiesession.django":
            return response  # another engine's cookie: Django's middleware alone, as on the way in
        carried = getattr(request, _CARRIED, 1)
        name = settings.SESSION_COOKIE_NAME
        morsel = response.cookies.get(name)
        if morsel is None:
            return response  # the cookie is neither written nor deleted
        written = 1
        if morsel["max-age"] != 0:  # Django's delete_cookie() gives Max-Age=0
            written = _cut(response, morsel, name)
        for index in range(written, carried):
            response.delete_cookie(
                piece_name(name, index),
                path=settings.SESSION_COOKIE_PATH,
                domain=settings.SESSION_COOKIE_DOMAIN,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response


def _cut(response: HttpResponseBase, morsel: Morsel[str], name: str) -> int:
    """Store the session cookie Django wrote in as many cookies as it needs, each with
    the first's attributes; return how many."""
    token = morsel.value

    def piece(index: int, value: str) -> Morsel[str]:
        made: Morsel[str] = Morsel()
        made.set(piece_name(name, index), value, value)
        made.update(dict(morsel.items()))
        return made

    def room(index: int) -> int:
        return MAX_HEADER - len(piece(index, "").OutputString())

    values = session_factory().token_pieces(token, room)
    if values is None:
        raise SessionTooLarge(
            f"Cookie value is too long to store ({len(token)} bytes): COOKIESESSION['max_cookies'] "
            "cookies with Django's cookie attributes cannot hold it; raise max_cookies, set "
            "'compress': True, or store less in the session"
        )
    if len(values) > 1:  # else Django's own cookie stays as it is
        for index, value in enumerate(values):
            response.cookies[piece_name(name, index)] = piece(index, value)
    return len(values)
