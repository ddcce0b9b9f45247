"""Flask's ``session`` and ``flash()`` on a cookiesession cookie.

::

    from flask import Flask
    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.config["SECRET_KEY"] = secret
    app.session_interface = CookieSessionInterface()   # or CookieSessionInterface(factory)

With no factory, one is built from the app's config on the first request:

=============================  ===============================================================
Flask config                   cookiesession
=============================  ===============================================================
``SECRET_KEY``                 ``secret`` (none set: Flask's null session, as Flask does)
``SECRET_KEY_FALLBACKS``       ``fallback_secrets``
``SESSION_COOKIE_NAME``        ``cookie_name``
``SESSION_COOKIE_DOMAIN``      ``domain``
``SESSION_COOKIE_PATH``        ``path`` (unset: ``APPLICATION_ROOT``, as Flask does)
``SESSION_COOKIE_SECURE``      ``secure``
``SESSION_COOKIE_HTTPONLY``    ``httponly``
``SESSION_COOKIE_SAMESITE``    ``samesite``
``SESSION_COOKIE_PARTITIONED`` ``partitioned``
``PERMANENT_SESSION_LIFETIME`` ``timeout`` (idle timeout, for every session), and the cookie's
                               ``Max-Age`` when ``session.permanent`` is true (otherwise the
                               cookie lasts as long as the browser session, as in Flask)
``SESSION_REFRESH_EACH_REQUEST`` true: ``reissue_time=0`` (a used session is re-sent, so the
                               idle timeout slides); false: ``reissue_time=None``
``COOKIESESSION_SALT``         ``salt`` (default ``'pyramid.session.'``, as in Pyramid)
``COOKIESESSION_REVOCATION``   ``revocation``: ``'memory'``, a Redis URL or a store (logout that
                               holds: end sessions with ``session.invalidate()``, which
                               records the revocation; ``session.clear()`` does not)
=============================  ===============================================================

Given an explicit factory, its options are used as they are, and ``permanent`` is
only the ``'_permanent'`` key Flask keeps in the session.

``flask.session`` is then a :class:`FlaskCookieSession`: a :class:`CookieSession`
(with ``flash``, ``get_csrf_token``, ``invalidate``, ``new``, ``created``) that is
also Flask's ``SessionMixin``.  Two attribute names mean different things in the
two worlds: ``modified`` is Flask's (it reads and sets the "write the cookie"
flag, like ``changed()``), while ``accessed`` keeps Pyramid's meaning, the time
of last use; Flask's "was accessed" flag, which Flask sets by assigning
``session.accessed = True``, is recorded separately and decides ``Vary: Cookie``.
Flashed messages live under Flask's ``'_flashes'`` key; being JSON, the
``(category, message)`` pairs come back as two-item lists.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any, ClassVar

from flask import Flask
from flask.sessions import SessionInterface, SessionMixin
from flask.wrappers import Request, Response

from .cookies import CookieSpec
from .factory import SignedCookieSessionFactory, check_session_factory, seconds_option
from .session import CookieSession

__all__ = ["CookieSessionInterface", "FlaskCookieSession"]

# The slot that holds Pyramid's `accessed` timestamp, reached past the property below.
_ACCESSED_SLOT: Any = CookieSession.__dict__["accessed"]


class FlaskCookieSession(CookieSession, SessionMixin):
    """A :class:`CookieSession` that Flask can use as its ``session``."""

    __slots__ = ()

    # Set per factory (see _flask_session_class): the cookie for a session that
    # is not permanent, and, for config-built factories, the one for a permanent one.
    _browser_cookie: ClassVar[CookieSpec]
    _permanent_cookie: ClassVar[CookieSpec | None] = None
    # Flask's "the request looked at the session" flag, and whether the request changed
    # its data (not only re-issued it): instance attributes once set.
    _flask_accessed = False
    _flask_modified = False

    @property
    def _cookie(self) -> CookieSpec:  # type: ignore[override]
        permanent = self._permanent_cookie
        if permanent is not None and dict.get(self, "_permanent"):
            return permanent
        return self._browser_cookie

    @property  # type: ignore[override]
    def accessed(self) -> float:
        """When the session was last used (Pyramid's meaning)."""
        return _ACCESSED_SLOT.__get__(self, type(self))  # type: ignore[no-any-return]

    @accessed.setter
    def accessed(self, value: float) -> None:
        # Flask (3.1.3+) assigns True whenever `flask.session` is touched; the
        # session core assigns timestamps.  Keep both, apart.
        if type(value) is bool:
            self._flask_accessed = self._flask_accessed or value
        else:
            _ACCESSED_SLOT.__set__(self, value)

    @property
    def modified(self) -> bool:
        """Whether the cookie will be written (Flask's meaning); set it after changing nested data."""
        return bool(self._dirty)

    @modified.setter
    def modified(self, value: bool) -> None:
        if value:
            self.changed()
        else:
            self._dirty = False
        self._flask_modified = bool(value)

    # Older Flask versions do not assign `accessed`; any read or write counts.
    def _touch(self) -> None:
        self._flask_accessed = True
        super()._touch()

    def _modify(self) -> None:
        self._flask_accessed = self._flask_modified = True
        super()._modify()

    def __setitem__(self, key: str, value: Any) -> None:
        self._flask_accessed = self._flask_modified = True
        super().__setitem__(key, value)

    def pop(self, key: str, *default: Any) -> Any:
        # As with Flask's own session, popping a key that is not there changes
        # nothing (`session.pop("user", None)` to sign out an anonymous visitor).
        if not dict.__contains__(self, key):
            self._flask_accessed = True
            return dict.pop(self, key, *default)
        return super().pop(key, *default)


def _flask_session_class(
    factory: type[CookieSession], permanent_cookie: CookieSpec | None = None
) -> type[FlaskCookieSession]:
    attrs = {
        "__slots__": (),
        "_browser_cookie": factory._cookie,
        "_permanent_cookie": permanent_cookie,
    }
    return type("FlaskCookieSession", (FlaskCookieSession, factory), attrs)


def _class_from_config(app: Flask) -> type[FlaskCookieSession] | None:
    config = app.config
    secret = config.get("SECRET_KEY")
    if not secret:
        return None  # Flask's own interface also falls back to the null session here
    name = config.get("SESSION_COOKIE_NAME") or "session"
    domain = config.get("SESSION_COOKIE_DOMAIN") or None
    path = config.get("SESSION_COOKIE_PATH") or config.get("APPLICATION_ROOT") or "/"
    secure = bool(config.get("SESSION_COOKIE_SECURE", False))
    httponly = bool(config.get("SESSION_COOKIE_HTTPONLY", True))
    samesite = config.get("SESSION_COOKIE_SAMESITE")
    partitioned = bool(config.get("SESSION_COOKIE_PARTITIONED", False))
    lifetime = seconds_option("PERMANENT_SESSION_LIFETIME", config.get("PERMANENT_SESSION_LIFETIME"))
    refresh = bool(config.get("SESSION_REFRESH_EACH_REQUEST", True))
    factory = SignedCookieSessionFactory(
        secret,
        cookie_name=name,
        max_age=None,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        timeout=lifetime,
        reissue_time=0 if refresh else None,
        salt=config.get("COOKIESESSION_SALT", "pyramid.session."),
        fallback_secrets=tuple(config.get("SECRET_KEY_FALLBACKS") or ()),
        partitioned=partitioned,
        revocation=config.get("COOKIESESSION_REVOCATION"),
    )
    permanent_cookie = CookieSpec(
        name,
        max_age=lifetime,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        partitioned=partitioned,
    )
    return _flask_session_class(factory, permanent_cookie)


class CookieSessionInterface(SessionInterface):
    """A Flask ``SessionInterface`` storing ``flask.session`` in a cookiesession cookie."""

    pickle_based = False

    def __init__(self, session_factory: type[CookieSession] | None = None) -> None:
        self._fixed: type[FlaskCookieSession] | None = None
        if session_factory is not None:
            self._fixed = _flask_session_class(check_session_factory(session_factory))
        # Config-built classes, one per app; weak so a discarded app is not kept alive.
        self._per_app: weakref.WeakKeyDictionary[Flask, type[FlaskCookieSession] | None] = (
            weakref.WeakKeyDictionary()
        )

    def session_class(self, app: Flask) -> type[FlaskCookieSession] | None:
        """The session class ``app`` uses (None: no ``SECRET_KEY``, so Flask's null session).

        Built from the config on the first call and kept; call it at start-up to
        have a bad config value raise ``ConfigurationError`` before any request.
        """
        if self._fixed is not None:
            return self._fixed
        try:
            return self._per_app[app]
        except KeyError:
            cls = self._per_app[app] = _class_from_config(app)
            return cls

    def open_session(self, app: Flask, request: Request) -> FlaskCookieSession | None:
        cls = self.session_class(app)
        if cls is None:
            return None
        # Reads request.environ['HTTP_COOKIE']; a bad cookie is a fresh session, never an error.
        return cls(request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, FlaskCookieSession):
            return  # not ours (a null session is filtered out by Flask already)
        # Flask calls this while handling an unhandled exception (its 500 response)
        # inside the `except` block: that is set_on_exception's case.
        failed = sys.exc_info()[1] is not None
        if not dict.__len__(session) and (session._set_on_exception or not failed):
            # As Flask does with an empty session: delete the cookie if the request
            # emptied it (session.clear(), the last flashed message read), else write
            # nothing (not even a re-issue of "{}").
            cookie: str | None = session._cookie.delete_cookie() if session._flask_modified else None
        else:
            cookie = session.set_cookie_header(failed)
        if session._vary and (session._flask_accessed or cookie is not None):
            response.vary.add("Cookie")
        if cookie is not None:
            response.headers.add("Set-Cookie", cookie)
