"""A Django session engine whose cookie is a cookiesession cookie.

::

    # settings.py
    INSTALLED_APPS = [..., "cookiesession.django"]     # checks COOKIESESSION at start-up
    SESSION_ENGINE = "cookiesession.django"
    COOKIESESSION = {"secret": env("SESSION_SECRET")}  # + fallback_secrets, salt, encrypt, ...

Django's ``SessionMiddleware`` drives :class:`SessionStore` as it drives its
``signed_cookies`` engine: the session key *is* the cookie value, here a token
``[accessed, created, state]`` signed as Pyramid signs it (or encrypted), which
the Pyramid, WSGI, ASGI and Flask adapters read and write too.  Django sets the
cookie with its own ``SESSION_COOKIE_*`` settings (see :mod:`._config`).

``COOKIESESSION`` also takes ``compress``, ``serializer`` (``RichJSONSerializer()``)
and ``max_cookies``; the last needs ``cookiesession.django.middleware.SessionMiddleware``
in place of Django's (see :mod:`.middleware`).

Differences from ``signed_cookies``, each on purpose: ending a session
(``flush()``, so ``logout()``) or cycling its key (``login()``) records the old
one as revoked when ``COOKIESESSION`` has ``revocation``, so copies of the old
cookie are refused on every server; a cookie that is refused (bad signature,
timed out, revoked) is deleted rather than re-issued empty; and a session too
large for a cookie raises ``SessionTooLarge`` instead of sending a cookie the
browser would drop.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from .._revocable import SID_KEY
from ..session import CookieSession
from ._config import session_factory

__all__ = ["SessionStore", "session_factory"]


class SessionStore(SessionBase):  # type: ignore[misc]  # Django has no type hints
    """Django's session API over a :class:`~cookiesession.CookieSession`.

    Once loaded, Django's session data (``_session_cache``) is the
    ``CookieSession`` itself, which knows the cookie it came from (its
    ``created`` time, its revocation id).

    Args:
        session_key: the session cookie's value, as Django's ``SessionMiddleware``
            passes it (None for a request without one).

    Raises:
        django.core.exceptions.ImproperlyConfigured: ``COOKIESESSION`` is missing or
            holds a value that cannot work (on first use; at start-up when
            ``"cookiesession.django"`` is in ``INSTALLED_APPS``).
    """

    # Django's property (a valid key, or None); annotated only, for the type checker.
    _session_key: str | None

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        # Validates COOKIESESSION on first use, and looks it up once per request.
        self._factory = session_factory()

    # -- loading -------------------------------------------------------------------

    def load(self) -> CookieSession:
        """The session the cookie holds (a fresh one for a bad, timed-out or revoked cookie)."""
        return self._adopt(self._factory.from_cookie_value(self.session_key, self._cookies()))

    async def aload(self) -> CookieSession:
        """:meth:`load`, with the revocation check awaited."""
        # The revocation check, if any, is awaited instead of blocking the event loop.
        return self._adopt(await self._factory.from_cookie_value_async(self.session_key, self._cookies()))

    def _cookies(self) -> dict[str, str] | None:
        # The one cookie an engine is given, under its name: read_also= readers of that
        # name (signed_cookies' own cookie) find it there.
        key = self.session_key
        return None if key is None else {settings.SESSION_COOKIE_NAME: key}

    def _adopt(self, session: CookieSession) -> CookieSession:
        if session.used:
            # Only a session read from another library's cookie (read_also=) is in use
            # before the application touched it: Django saves it in our format now.
            self.modified = True
            return session
        if session.new or not session:
            # Refused (bad signature, timed out, revoked) or empty: no session key, so
            # the middleware deletes the cookie unless the request stores something,
            # which then starts a new session (one past its idle timeout keeps its
            # old `created` in Pyramid's semantics; Django starts afresh).
            self._session_key = None
            if not session.new:
                return self._factory.from_cookie_value(None)
        return session

    def _core(self) -> CookieSession:
        """The ``CookieSession`` holding the data (made now for a new session,
        whose data Django keeps in a plain dict until then)."""
        data = self._session
        if isinstance(data, CookieSession):
            return data
        session = self._factory.from_cookie_value(None)
        session.update(data)
        self._session_cache = session
        return session

    # -- what SessionBase asks of an engine ------------------------------------------

    def exists(self, session_key: str | None = None) -> bool:
        """Always False: keys are cookie values, never stored, so ``session_key`` is never taken."""
        return False  # keys are cookie values, never stored here, so none is taken

    async def aexists(self, session_key: str | None = None) -> bool:
        """:meth:`exists`: always False, whatever ``session_key``."""
        return False

    def create(self) -> None:
        """Start a new session: it is written with the response."""
        self.modified = True

    async def acreate(self) -> None:
        """:meth:`create`."""
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        """Make the session's cookie value its key, which the middleware then sets.
        ``must_create`` is Django's, and means nothing here (no key is ever taken).

        Raises:
            SessionTooLarge: the state does not fit in a cookie.
            SessionNotSerializable: a value cannot be stored.
        """
        self._session_key = self._core().token()
        self.modified = True

    async def asave(self, must_create: bool = False) -> None:
        """:meth:`save` (no I/O); ``must_create`` as there."""
        self.save(must_create)  # no I/O: one HMAC and one JSON dump

    def flush(self) -> None:
        """End the session (``logout()`` calls it): emptied, its cookie deleted, and
        with ``revocation`` its id revoked."""
        # Django's flush() empties the data before delete(), which needs the
        # session's revocation id: delete() empties it too (invalidate()).
        self.delete()

    async def aflush(self) -> None:
        """:meth:`flush`, with the revocation awaited."""
        await self.adelete()

    def delete(self, session_key: str | None = None) -> None:
        """End this session, or with ``session_key`` (a cookie value) revoke that one.

        Raises:
            RevocationUnavailable: the revocation store could not record it.
        """
        if session_key is not None and session_key != self.session_key:
            self._factory.from_cookie_value(session_key).invalidate()
            return
        session = self._core()
        session.invalidate()
        session.revoke_pending()  # left by a session that aload() made
        self._ended()

    async def adelete(self, session_key: str | None = None) -> None:
        """:meth:`delete` of ``session_key``, with the revocation awaited."""
        if session_key is not None and session_key != self.session_key:
            other = await self._factory.from_cookie_value_async(session_key)
            await other.invalidate_async()
            return
        await (await self._acore()).invalidate_async()
        self._ended()

    def _ended(self) -> None:
        self._session_key = None
        self.accessed = self.modified = True

    def cycle_key(self) -> None:
        """A new session with the same data (``login()`` calls it, against session
        fixation); with ``revocation``, the old cookie is revoked.

        Raises:
            RevocationUnavailable: the revocation store could not record it.
        """
        session = self._core()
        data = _without_session_id(session)
        session.invalidate()
        session.revoke_pending()
        self._renewed(session, data)

    async def acycle_key(self) -> None:
        """:meth:`cycle_key`, with the revocation awaited."""
        session = await self._acore()
        data = _without_session_id(session)
        await session.invalidate_async()
        self._renewed(session, data)

    def _renewed(self, session: CookieSession, data: dict[str, Any]) -> None:
        # The same data in a new session (a new created time and revocation id); the
        # old key stops working, as with Django's database-backed engines.
        session.update(data)
        self._session_key = None
        self.modified = True

    async def _acore(self) -> CookieSession:
        await self._aget_session()
        return self._core()

    @classmethod
    def clear_expired(cls) -> None:
        """Nothing to do: nothing is stored on the server."""  # nothing is stored on the server

    @classmethod
    async def aclear_expired(cls) -> None:
        """Nothing to do: nothing is stored on the server."""


def _without_session_id(session: CookieSession) -> dict[str, Any]:
    return {key: value for key, value in session.items() if key != SID_KEY}
