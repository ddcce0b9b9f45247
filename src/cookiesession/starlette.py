"""Starlette's (and FastAPI's) ``SessionMiddleware``, storing a cookiesession cookie.

::

    # from starlette.middleware.sessions import SessionMiddleware
    from cookiesession.starlette import SessionMiddleware

    app.add_middleware(SessionMiddleware, secret_key=secret)

Starlette's parameters, names, defaults and meanings: ``max_age`` is both the
cookie's ``Max-Age`` and how long a cookie stays valid after it was last written
(None: a cookie for the browser session, valid as long as it is sent; negative:
every cookie has expired already), the cookie is written only when the session
was changed, an emptied session deletes it, and it is always ``HttpOnly``.  The
keyword-only options after them are cookiesession's (key rotation, encryption,
revocation, an absolute timeout).  The cookie is cookiesession's, so apps that
share the secret and salt (Pyramid, WSGI, Flask, other ASGI apps) share the
session.  Starlette's own cookies are read only with
``read_also=[readers.starlette(secret_key)]`` (see :mod:`cookiesession.readers`):
each is then replaced by ours, so switching logs nobody out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Literal

from starlette.datastructures import Secret

from . import asgi
from .exceptions import ConfigurationError
from .factory import EncryptedCookieSessionFactory, SignedCookieSessionFactory, seconds_option
from .loading import DEFAULT_CLOCK_SKEW
from .session import CookieSession

__all__ = ["SessionMiddleware", "StarletteSession"]

# The factories' option names, in their messages, and Starlette's names for them.
_STARLETTE_NAMES = {"secret": "secret_key", "cookie_name": "session_cookie", "samesite": "same_site"}
_FACTORY_NAME = re.compile(r"\b(secret|cookie_name|samesite)\b|\bsecure=True\b")


class StarletteSession(CookieSession):
    """The session Starlette's ``request.session`` gives: a :class:`CookieSession`
    that also follows Starlette's ``Session`` where the two differ."""

    __slots__ = ()

    def mark_accessed(self) -> None:
        """Starlette's ``request.session`` calls this: the response depends on the cookie."""
        self._touch()  # counted as a read: Vary: Cookie

    def mark_modified(self) -> None:
        """Starlette's name for :meth:`changed`."""
        self.changed()

    # As in Starlette, a call that changes nothing does not count as a change.
    def pop(self, key: str, *default: Any) -> Any:
        """``dict.pop`` of ``key`` (or ``default``); a change only when ``key`` was there.

        Raises:
            KeyError: ``key`` is not there and no ``default`` was given.
        """
        if key not in self:
            return dict.pop(self, key, *default)
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        """``dict.popitem``, saved with the response.

        Raises:
            KeyError: the session is empty.
        """
        if not len(self):
            return dict.popitem(self)  # raises KeyError, as dict does
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``dict.setdefault`` of ``key`` to ``default``; a change only when ``key`` was missing."""
        if key in self:
            return self[key]
        return super().setdefault(key, default)

    def clear(self) -> None:
        """Empty the session; a session that came in a cookie ends, as with
        :meth:`invalidate`: Starlette's logout idiom also records the revocation
        (with ``revocation=``) and starts anything written afterwards anew."""
        if self.new:
            super().clear()
        else:
            self.invalidate()


def _max_age(max_age: object) -> tuple[int | None, bool]:
    """The cookie's Max-Age, and whether every incoming cookie counts as expired.

    Starlette writes a negative ``max_age`` as it is, which browsers take as
    "expired already" (RFC 6265 section 5.2.2), as they take 0; and a cookie's age
    can never be below it, so no cookie is ever accepted.
    """
    seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds < 0:
        if not float(seconds).is_integer():
            raise ConfigurationError(f"max_age={max_age!r} is not a whole number of seconds")
        return 0, True
    return seconds_option("max_age", max_age), False


def _secret(secret_key: object) -> object:
    # Starlette takes its configuration's Secret wrapper too; the factory checks the rest.
    return str(secret_key) if isinstance(secret_key, Secret) else secret_key


def _in_starlette_terms(exc: ConfigurationError) -> ConfigurationError:
    message = _FACTORY_NAME.sub(
        lambda m: "https_only=True" if m[1] is None else _STARLETTE_NAMES[m[1]], str(exc)
    )
    return type(exc)(message)


class SessionMiddleware(asgi.SessionMiddleware):
    """Starlette's ``SessionMiddleware`` (same parameters), on a cookiesession cookie.

    Keyword-only options: ``encrypt`` (True: :func:`EncryptedCookieSessionFactory`,
    ``cookiesession[crypto]``), ``salt`` (default: the factory's own, so the cookie
    is shared with apps that use the factory's defaults), ``hashalg`` (signed
    cookies), ``fallback_secrets``, ``absolute_timeout``, ``clock_skew``, ``revocation``,
    ``detect_nested_changes``, ``clock``, ``read_also``, ``user_key``, ``compress``,
    ``max_cookies`` and ``serializer`` (for example ``RichJSONSerializer()``), as on the
    factories.  Every option is checked here, and a mistake raises :class:`ConfigurationError` naming it (an
    option it does not have raises ``TypeError``, as any call does).
    The factory built is ``self.session_factory``.

    Args:
        app: the ASGI application to wrap.
        secret_key: the secret (str, bytes or Starlette's ``Secret``).
        session_cookie: the cookie's name.
        max_age: the cookie's ``Max-Age``, and how long a cookie stays valid after it
            was last written (an idle timeout); None: a browser-session cookie with
            no expiry; negative: nothing is kept.
        path: the cookie's ``Path``.
        same_site: ``"lax"``, ``"strict"`` or ``"none"`` (which needs ``https_only``).
        https_only: the ``Secure`` attribute.
        domain: the cookie's ``Domain``.
        partitioned: the ``Partitioned`` attribute (needs ``https_only``).
        encrypt: True for an encrypted cookie (``cookiesession[crypto]``).
        salt: as on the factories (default: theirs).
        hashalg: as on ``SignedCookieSessionFactory``.
        fallback_secrets: as on the factories, like ``absolute_timeout``,
            ``clock_skew``, ``revocation``, ``detect_nested_changes``, ``clock`` and ``read_also``.

    Raises:
        ConfigurationError: an option that cannot work, named as Starlette names it.
        MissingDependency: ``encrypt=True`` without ``cryptography``.
    """

    __slots__ = ("refuses_every_cookie",)

    def __init__(
        self,
        app: asgi.ASGIApp,
        secret_key: str | bytes | Secret,
        session_cookie: str = "session",
        max_age: int | timedelta | None = 14 * 24 * 3600,
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
        *,
        encrypt: bool = False,
        salt: str | bytes | None = None,
        hashalg: str | None = None,
        fallback_secrets: Sequence[str | bytes] = (),
        absolute_timeout: int | timedelta | None = None,
        clock_skew: int | timedelta = DEFAULT_CLOCK_SKEW,
        revocation: object = None,
        detect_nested_changes: bool = True,
        clock: Callable[[], float] = time.time,
        read_also: Sequence[Any] = (),
        user_key: str | None = None,
        compress: bool = False,
        max_cookies: int = 1,
        serializer: Any = None,
    ) -> None:
        cookie_max_age, self.refuses_every_cookie = _max_age(max_age)
        options: dict[str, Any] = {
            "cookie_name": session_cookie,
            "max_age": cookie_max_age,
            "path": path,
            "domain": domain,
            "secure": https_only,
            "httponly": True,
            "samesite": same_site,
            "timeout": cookie_max_age,
            "reissue_time": None,
            "fallback_secrets": fallback_secrets,
            "absolute_timeout": absolute_timeout,
            "clock_skew": clock_skew,
            "partitioned": partitioned,
            "detect_nested_changes": detect_nested_changes,
            "empty_deletes_cookie": True,
            "clock": clock,
            "revocation": revocation,
            "read_also": read_also,
            "user_key": user_key,
            "compress": compress,
            "max_cookies": max_cookies,
            "serializer": serializer,
        }
        if salt is not None:
            options["salt"] = salt
        try:
            factory = _factory(_secret(secret_key), bool(encrypt), hashalg, options)
        except ConfigurationError as exc:
            raise _in_starlette_terms(exc) from exc
        session_class = type("StarletteSession", (StarletteSession, factory), {"__slots__": ()})
        super().__init__(app, session_class)

    async def open_session(self, scope: asgi.Scope) -> CookieSession:
        """The session of the connection ``scope`` (a fresh one when ``max_age`` is
        negative: Starlette keeps nothing then)."""
        header = None if self.refuses_every_cookie else asgi.cookie_header(scope)
        return await self.session_factory.from_cookie_header_async(header)


def _factory(secret: Any, encrypt: bool, hashalg: str | None, options: dict[str, Any]) -> type[CookieSession]:
    if encrypt:
        if hashalg is not None:
            raise ConfigurationError("hashalg applies to signed cookies; leave it out with encrypt=True")
        return EncryptedCookieSessionFactory(secret, **options)
    if hashalg is not None:
        options["hashalg"] = hashalg
    return SignedCookieSessionFactory(secret, **options)
