"""Flask's ``session`` and ``flash()`` on a cookiesession cookie.

::

    from flask import Flask
    from cookiesession.flask import CookieSessionInterface

    app = Flask(__name__)
    app.config["SECRET_KEY"] = secret
    app.session_interface = CookieSessionInterface()   # or CookieSessionInterface(factory)

With no factory, the session follows Flask's ``SecureCookieSessionInterface``,
reading the app's config on every request as Flask does (a session class is
built once per distinct configuration and kept, the last 16):

* ``SECRET_KEY`` signs (none set: Flask's null session), ``SECRET_KEY_FALLBACKS``
  still verify (a cookie only they verify is re-signed with ``SECRET_KEY``);
* the cookie's name and attributes come from the ``get_cookie_*`` methods, so from
  ``SESSION_COOKIE_NAME``, ``_DOMAIN``, ``_PATH`` (or ``APPLICATION_ROOT``),
  ``_SECURE``, ``_HTTPONLY``, ``_SAMESITE`` and ``_PARTITIONED`` (which implies
  ``Secure``, as in Werkzeug), unless a subclass overrides them;
* ``PERMANENT_SESSION_LIFETIME`` is every session's idle timeout and a permanent
  session's ``Max-Age``;
* the cookie is written when the session was modified, or when it is permanent and
  ``SESSION_REFRESH_EACH_REQUEST`` is on (``should_set_cookie``); a session modified
  to empty deletes it; ``Vary: Cookie`` goes with every response that accessed it;
* ``COOKIESESSION_SALT`` sets the salt (default ``'pyramid.session.'``, Pyramid's) and
  ``COOKIESESSION_REVOCATION`` a revocation store (``'memory'``, a Redis URL or a
  store; end sessions with ``session.invalidate()`` for logout that holds), and
  ``COOKIESESSION_READ_ALSO`` readers of other libraries' session cookies
  (:mod:`cookiesession.readers`), so that switching logs nobody out, and
  ``COOKIESESSION_USER_KEY`` the state key of the user's id (Flask-Login's is
  ``'_user_id'``), for :func:`~cookiesession.revoke_user`;
* ``COOKIESESSION_SERIALIZER`` (``'flask'``, the default: Flask's tags below;
  ``'rich'``: :class:`~cookiesession.RichJSONSerializer`'s exact values; or a
  serializer object), ``COOKIESESSION_COMPRESS`` (``compress=``) and
  ``COOKIESESSION_MAX_COOKIES`` (``max_cookies=``), as on the factories
  (docs/large-sessions.md);
* ``COOKIESESSION_ABSOLUTE_TIMEOUT`` (seconds or a ``timedelta``: how long a session
  lasts from its creation, however active), ``COOKIESESSION_CLOCK_SKEW`` (``clock_skew=``)
  and ``COOKIESESSION_ENCRYPT`` (True: an encrypted cookie, ``cookiesession[crypto]``,
  whose salt is then the encrypted factory's own unless ``COOKIESESSION_SALT`` is set).

Values are tagged as Flask's session tags them (tuples, bytes, datetimes, UUIDs,
``Markup``; :class:`TaggedStateSerializer`) inside the state of a cookie that
every cookiesession adapter reads, where they are plain JSON (a tuple is
``{" t": [...]}``).

Given an explicit factory, its options and serializer are used as they are, the
``SESSION_*`` settings are not read, and ``permanent`` is only the
``'_permanent'`` key Flask keeps in the session.

``flask.session`` is then a :class:`FlaskCookieSession`: Flask's ``SessionMixin``
(``permanent``, ``modified``, ``accessed`` and ``new``), and a
:class:`CookieSession` (``flash``, ``get_csrf_token``, ``invalidate``, ``created``).
"""

from __future__ import annotations

import contextlib
import re
import sys
from typing import Any, ClassVar, NamedTuple

from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin
from flask.wrappers import Request, Response

from ._flask_tags import TaggedStateSerializer
from .cookies import CookieSpec
from .exceptions import ConfigurationError
from .factory import EncryptedCookieSessionFactory, SignedCookieSessionFactory, check_session_factory
from .loading import DEFAULT_CLOCK_SKEW
from .serializers import RichJSONSerializer
from .session import CookieSession

__all__ = ["CookieSessionInterface", "FlaskCookieSession", "TaggedStateSerializer"]

_RICH = RichJSONSerializer()

# Session classes kept per interface; a config that keeps changing builds new ones,
# and the oldest are dropped past this many.
_CLASSES_KEPT = 16


# What makes Werkzeug's reading of a Cookie header more than "name=value": another
# pair, quoting, escapes, or whitespace it trims.
_NEEDS_PARSING = re.compile(r'[;"\\\s]')


class FlaskCookieSession(CookieSession, SessionMixin):
    """A :class:`CookieSession` that is Flask's ``session``.

    ``accessed`` and ``modified`` are Flask's flags, ``permanent`` Flask's
    ``'_permanent'`` key; ``new`` keeps Pyramid's meaning (no valid cookie came
    in), which Flask's own session cannot tell and leaves False.
    """

    __slots__ = ()

    # Set per class (see _flask_session_class): the cookie's name, the cookie for a
    # session that is not permanent, and, for config-built classes, the one for a
    # permanent session.
    cookie_name: ClassVar[str]
    _browser_cookie: ClassVar[CookieSpec]
    _permanent_cookie: ClassVar[CookieSpec | None] = None

    #: Flask's flag: the request looked at the session, so the response carries
    #: ``Vary: Cookie``.  Flask (3.1.3+) sets it whenever ``flask.session`` is used;
    #: every read or write sets it too (for earlier versions).
    accessed = False  # (Pyramid's timestamp stays with the core, under another name)
    _flask_modified = False

    @property
    def _cookie(self) -> CookieSpec:  # type: ignore[override]
        permanent = self._permanent_cookie
        if permanent is not None and dict.get(self, "_permanent"):
            return permanent
        return self._browser_cookie

    @property
    def permanent(self) -> bool:
        """Flask's ``'_permanent'`` key (reading it is no use of the session, as in Flask)."""
        return dict.get(self, "_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    @property
    def modified(self) -> bool:
        """Whether the request changed the session (Flask's flag); set it after
        changing a nested value, or to False to drop this request's changes."""
        return self._flask_modified

    @modified.setter
    def modified(self, value: bool) -> None:
        if value:
            self.changed()
        else:
            self._flask_modified = self._dirty = False

    def changed(self) -> None:
        """Mark the session changed (Flask's ``modified`` becomes True)."""
        self._flask_modified = True
        super().changed()

    def _touch(self) -> None:
        self.accessed = True
        super()._touch()

    def _modify(self) -> None:
        self.accessed = self._flask_modified = True
        super()._modify()

    def __setitem__(self, key: str, value: Any) -> None:
        self.accessed = self._flask_modified = True
        super().__setitem__(key, value)

    def pop(self, key: str, *default: Any) -> Any:
        """``dict.pop`` of ``key`` (or ``default``); a change only when ``key`` was there.

        Raises:
            KeyError: ``key`` is not there and no ``default`` was given.
        """
        # As with Flask's own session, popping a key that is not there changes
        # nothing (`session.pop("user", None)` to sign out an anonymous visitor).
        if not dict.__contains__(self, key):
            self.accessed = True
            return dict.pop(self, key, *default)
        return super().pop(key, *default)

    def flask_response(self, failed: bool, refresh: bool) -> tuple[bool, list[str]]:
        """Whether the response gets ``Vary: Cookie``, and its ``Set-Cookie`` values
        (more than one only with ``max_cookies``).

        ``failed``: the response answers an unhandled exception; ``refresh``: re-send
        the cookie even if nothing changed (Flask's permanent-session refresh).
        """
        vary = self.accessed  # read first: the checks below read the session too
        cookies: list[str]
        if failed and not self._set_on_exception:
            cookies = []
        elif not dict.__len__(self):
            # As Flask does with an empty session: delete the cookie if the request
            # emptied it (session.clear(), the last flashed message read), else write
            # nothing (not even "{}").
            cookies = self.cookie_deletions() if self._flask_modified else []
        else:
            if refresh:
                self.reissue()
            cookies = self.set_cookie_headers(failed)
        return self._vary and (vary or bool(cookies)), cookies


def _flask_session_class(
    factory: type[CookieSession], permanent_cookie: CookieSpec | None = None
) -> type[FlaskCookieSession]:
    attrs = {
        "__slots__": (),
        "cookie_name": factory._cookie.name,
        "_browser_cookie": factory._cookie,
        "_permanent_cookie": permanent_cookie,
    }
    return type("FlaskCookieSession", (FlaskCookieSession, factory), attrs)


# COOKIESESSION_SALT not set: the factory's own salt (Pyramid's, for signed cookies).
_FACTORY_SALT: Any = object()


class _FlaskConfig(NamedTuple):
    """What a session class is built from: the app's settings, as Flask reads them."""

    secret: Any
    fallback_secrets: tuple[Any, ...]
    name: str
    domain: str | None
    path: str
    secure: bool
    httponly: bool
    samesite: str | None
    partitioned: bool
    lifetime: Any  # a timedelta
    salt: Any
    revocation: Any
    read_also: tuple[Any, ...]
    user_key: Any
    serializer: Any  # None: Flask's tags
    compress: bool
    max_cookies: Any
    absolute_timeout: Any
    clock_skew: Any
    encrypt: bool


def _serializer_setting(value: Any) -> Any:
    """``COOKIESESSION_SERIALIZER``: None or ``'flask'`` (Flask's tags: None here),
    ``'rich'`` (:class:`~cookiesession.RichJSONSerializer`), or a serializer."""
    if value is None or value == "flask":
        return None
    if value == "rich":
        return _RICH
    if isinstance(value, str):
        raise ConfigurationError(
            f"COOKIESESSION_SERIALIZER={value!r}: use 'flask' (the default), 'rich', or a serializer object"
        )
    return value


class CookieSessionInterface(SessionInterface):
    """A Flask ``SessionInterface`` storing ``flask.session`` in a cookiesession cookie.

    ``app.session_interface = CookieSessionInterface()``.

    Args:
        session_factory: None (the default) to follow the app's config as Flask's
            own interface does (see the module's documentation); or a factory, whose
            own options then apply.

    Raises:
        ConfigurationTypeError: ``session_factory`` is not one of ours.
    """

    pickle_based = False
    #: Flask's value tagger (where an app registers its own tags), as on Flask's interface.
    serializer: TaggedJSONSerializer = SecureCookieSessionInterface.serializer

    def __init__(self, session_factory: type[CookieSession] | None = None) -> None:
        self._fixed: type[FlaskCookieSession] | None = None
        if session_factory is not None:
            self._fixed = _flask_session_class(check_session_factory(session_factory))
        self._classes: dict[_FlaskConfig, type[FlaskCookieSession]] = {}

    def session_class(self, app: Flask) -> type[FlaskCookieSession] | None:
        """The session class for ``app``'s config now (None: no ``SECRET_KEY``, so
        Flask's null session).  Call it at start-up to have a bad config value
        raise ``ConfigurationError`` before any request."""
        if self._fixed is not None:
            return self._fixed
        config = self._read_config(app)
        if config is None:
            return None
        classes = self._classes
        try:
            return classes[config]
        except KeyError:
            pass
        except TypeError:  # a setting that cannot be a key (an unhashable store): not kept
            return self._build(config)
        cls = self._build(config)
        if len(classes) >= _CLASSES_KEPT:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # another thread got there first
                del classes[next(iter(classes))]
        classes[config] = cls
        return cls

    def _read_config(self, app: Flask) -> _FlaskConfig | None:
        secret = app.secret_key
        if not secret:
            return None  # Flask's own interface also falls back to the null session here
        config = app.config
        return _FlaskConfig(
            secret,
            tuple(config.get("SECRET_KEY_FALLBACKS") or ()),
            self.get_cookie_name(app),
            self.get_cookie_domain(app) or None,
            self.get_cookie_path(app) or "/",
            bool(self.get_cookie_secure(app)),
            bool(self.get_cookie_httponly(app)),
            self.get_cookie_samesite(app),
            bool(config.get("SESSION_COOKIE_PARTITIONED", False)),  # Flask 3.0 has no getter
            app.permanent_session_lifetime,
            config.get("COOKIESESSION_SALT", _FACTORY_SALT),
            config.get("COOKIESESSION_REVOCATION"),
            tuple(config.get("COOKIESESSION_READ_ALSO") or ()),
            config.get("COOKIESESSION_USER_KEY"),
            _serializer_setting(config.get("COOKIESESSION_SERIALIZER")),
            bool(config.get("COOKIESESSION_COMPRESS", False)),
            config.get("COOKIESESSION_MAX_COOKIES", 1),
            config.get("COOKIESESSION_ABSOLUTE_TIMEOUT"),
            config.get("COOKIESESSION_CLOCK_SKEW", DEFAULT_CLOCK_SKEW),
            bool(config.get("COOKIESESSION_ENCRYPT", False)),
        )

    def _build(self, config: _FlaskConfig) -> type[FlaskCookieSession]:
        lifetime = int(config.lifetime.total_seconds())  # whole seconds, as Flask checks it
        cookie: dict[str, Any] = {
            "path": config.path,
            "domain": config.domain,
            # Werkzeug makes a partitioned cookie Secure; CHIPS requires it.
            "secure": config.secure or config.partitioned,
            "httponly": config.httponly,
            "samesite": config.samesite,
            "partitioned": config.partitioned,
        }
        serializer = config.serializer
        options: dict[str, Any] = {}
        if config.salt is not _FACTORY_SALT:
            options["salt"] = config.salt
        make = EncryptedCookieSessionFactory if config.encrypt else SignedCookieSessionFactory
        factory = make(
            config.secret,
            cookie_name=config.name,
            max_age=None,
            timeout=lifetime,
            reissue_time=None,  # Flask's rules decide when to re-send (see save_session)
            serializer=TaggedStateSerializer(self.serializer) if serializer is None else serializer,
            fallback_secrets=config.fallback_secrets,
            revocation=config.revocation,
            read_also=config.read_also,
            user_key=config.user_key,
            compress=config.compress,
            max_cookies=config.max_cookies,
            absolute_timeout=config.absolute_timeout,
            clock_skew=config.clock_skew,
            **options,
            **cookie,
        )
        return _flask_session_class(factory, CookieSpec(config.name, max_age=lifetime, **cookie))

    def open_session(self, app: Flask, request: Request) -> FlaskCookieSession | None:
        """Flask calls this: the session of ``request`` to ``app`` (None without a
        ``SECRET_KEY``: Flask's null session).  A bad cookie gives a fresh session.

        Raises:
            ConfigurationError: a config value that cannot work.
        """
        cls = self.session_class(app)
        if cls is None:
            return None
        # The cookie as Flask finds it; a bad one is a fresh session, never an error.
        # Its other cookies are where read_also= finds another library's session.
        name = cls.cookie_name
        header = request.environ.get("HTTP_COOKIE")
        if header is not None and header.startswith(name + "=") and not _NEEDS_PARSING.search(header):
            # The usual header, our cookie alone, which Werkzeug reads as the text
            # after "=": without parsing every cookie into request.cookies.
            value = header[len(name) + 1 :]
            return cls.from_cookie_value(value, {name: value})
        cookies = request.cookies
        return cls.from_cookie_value(cookies.get(name), cookies)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask calls this: add ``session``'s ``Vary`` and ``Set-Cookie`` to ``response``
        of ``app``, as Flask's rules say (modified, permanent and refreshed, emptied).

        Raises:
            SessionTooLarge: the state does not fit in a cookie.
            SessionNotSerializable: a value cannot be stored.
        """
        if not isinstance(session, FlaskCookieSession):
            return  # not ours (a null session is filtered out by Flask already)
        # Flask calls this while handling an unhandled exception (its 500 response)
        # inside the `except` block: that is set_on_exception's case.
        failed = sys.exc_info()[1] is not None
        refresh = self._fixed is None and self.should_set_cookie(app, session)
        vary, cookies = session.flask_response(failed, refresh)
        if vary:
            if "Vary" in response.headers:
                response.vary.add("Cookie")  # merged into the response's own Vary
            else:  # the usual case: the same header, without parsing a header set
                response.headers.add("Vary", "Cookie")
        for cookie in cookies:
            response.headers.add("Set-Cookie", cookie)
        old_cookie_deletion = session.old_cookie_deletion(failed)
        if old_cookie_deletion is not None:
            response.headers.add("Set-Cookie", old_cookie_deletion)
        if session.revocation_error is not None:
            # A logout the store could not record: this response deletes the cookie;
            # the failure is raised once it has been sent (on_error='closed').
            response.call_on_close(session.raise_revocation_error)
