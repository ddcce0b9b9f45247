"""The session factories: Pyramid's signatures, validated when they are called.

``SignedCookieSessionFactory`` and ``BaseCookieSessionFactory`` take Pyramid's
positional parameters in Pyramid's order (note that ``set_on_exception`` sits
in a different place in each) with Pyramid's defaults, and
``EncryptedCookieSessionFactory`` takes the signed one's.  Options Pyramid does
not have are keyword-only.  Every option is checked here, so a mistake stops the
app at start-up instead of failing each response.

:func:`revoke` ends a session from outside any request, with the factory's store.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from ._compression import Compressed
from ._pieces import check_max_cookies, longest_token
from .codec import Protector, SessionCodec
from .cookies import CookieSpec, quote_cookie_value
from .encryption import DEFAULT_SALT, Encryptor
from .exceptions import BadCookie, ConfigurationError, ConfigurationTypeError
from .loading import DEFAULT_CLOCK_SKEW, Limits
from .migration import check_read_also
from .revocation import check_revocation_option
from .serializers import JSONSerializer
from .session import CookieSession
from .signing import Signer
from .user_revocation import check_user_key

__all__ = [
    "BaseCookieSessionFactory",
    "EncryptedCookieSessionFactory",
    "Seconds",
    "SessionFactory",
    "SignedCookieSessionFactory",
    "check_session_factory",
    "make_session_factory",
    "revoke",
]

#: What a factory returns: a session class, called with the request.
SessionFactory = type[CookieSession]

#: A duration option: whole seconds, or a ``timedelta`` of whole seconds.  (Strings
#: of digits, as .ini settings give, are accepted too, as Pyramid's ``int()`` did.)
Seconds = int | timedelta


def seconds_option(name: str, value: object) -> int | None:
    """Coerce a duration option to whole seconds, as Pyramid's ``int()`` did,
    but refusing what ``int()`` would silently truncate or misread."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigurationTypeError(f"{name} must be a number of seconds or None, not a bool")
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ConfigurationError(f"{name}={value!r} is not a whole number of seconds")
        seconds = int(value)
    elif isinstance(value, (str, bytes)):
        try:
            seconds = int(value)
        except ValueError:
            raise ConfigurationError(f"{name}={value!r} is not a whole number of seconds") from None
    else:
        raise ConfigurationTypeError(
            f"{name} must be a number of seconds or None, not {type(value).__name__}"
        )
    if seconds < 0:
        raise ConfigurationError(f"{name}={value!r} is negative")
    return seconds


def reissue_limit(seconds: int | None) -> float:
    """``reissue_time`` as a read compares the cookie's age with it: infinity for
    None (reads never re-issue)."""
    return float("inf") if seconds is None else seconds


class _Latin1Protector:
    """No protection: the serializer's bytes are the cookie (``BaseCookieSessionFactory``),
    quoted as WebOb quotes them when they are not all cookie-octets (``find_cookie``
    undoes that when reading)."""

    __slots__ = ()

    def seal(self, payload: bytes) -> str:
        return quote_cookie_value(payload.decode("latin-1"))

    def unseal(self, token: str) -> tuple[bytes, int]:
        try:
            return token.encode("latin-1"), 0
        except UnicodeEncodeError:
            raise BadCookie("cookie value is not latin-1") from None

    def __repr__(self) -> str:
        return "<unsigned>"


_declared_isession = False


def _declare_isession() -> None:
    # Declare pyramid.interfaces.ISession without importing Pyramid: only when the
    # application has imported it already (so verifyObject works in Pyramid apps).
    global _declared_isession
    if _declared_isession:
        return
    interfaces = sys.modules.get("pyramid.interfaces")
    if interfaces is None:
        return
    from zope.interface import classImplements

    classImplements(CookieSession, interfaces.ISession)
    _declared_isession = True


def make_session_factory(
    protector: Protector,
    serializer: Any,
    *,
    cookie_name: str = "session",
    max_age: object = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "Lax",
    set_on_exception: bool = True,
    timeout: object = 1200,
    reissue_time: object = 0,
    absolute_timeout: object = None,
    partitioned: bool = False,
    vary: bool = True,
    detect_nested_changes: bool = True,
    empty_deletes_cookie: bool = False,
    clock: Callable[[], float] = time.time,
    revocation: object = None,
    clock_skew: Seconds = DEFAULT_CLOCK_SKEW,
    compress: bool = False,
    max_cookies: int = 1,
    read_also: Sequence[Any] = (),
    user_key: str | None = None,
) -> SessionFactory:
    """Build a session class from a protector (signing, encryption, none) and a serializer.

    ``protector``: ``seal(payload) -> token`` and ``unseal(token) -> (payload, key index)``,
    raising ``BadCookie``; with ``compress``, it must verify before it returns a payload.
    ``serializer``: ``dumps``/``loads``.  The others (``cookie_name``, ``max_age``, ``path``,
    ``domain``, ``secure``, ``httponly``, ``samesite``, ``set_on_exception``, ``timeout``,
    ``reissue_time``, ``absolute_timeout``, ``partitioned``, ``vary``, ``detect_nested_changes``,
    ``empty_deletes_cookie``, ``clock``, ``revocation``, ``clock_skew``, ``compress``,
    ``max_cookies``, ``read_also``, ``user_key``) are :func:`SignedCookieSessionFactory`'s;
    it raises as that does.
    """
    if not (callable(getattr(serializer, "dumps", None)) and callable(getattr(serializer, "loads", None))):
        raise ConfigurationTypeError("serializer must have dumps(obj) -> bytes and loads(bytes) -> obj")
    if not callable(clock):
        raise ConfigurationTypeError("clock must be a callable returning the POSIX time")
    spec = CookieSpec(
        cookie_name,
        max_age=seconds_option("max_age", max_age),
        path=path,
        domain=domain,
        secure=bool(secure),
        httponly=bool(httponly),
        samesite=samesite,
        partitioned=bool(partitioned),
    )
    reissue_seconds = seconds_option("reissue_time", reissue_time)
    timeout_seconds = seconds_option("timeout", timeout)
    absolute_seconds = seconds_option("absolute_timeout", absolute_timeout)
    skew_seconds = seconds_option("clock_skew", clock_skew)
    if skew_seconds is None:
        raise ConfigurationTypeError(
            "clock_skew must be a number of seconds: None would let a cookie dated in the "
            "future live until that date"
        )
    splittable = isinstance(protector, (Signer, Encryptor))
    max_cookies = check_max_cookies(max_cookies, splittable)
    if isinstance(protector, (Signer, Encryptor)):  # pieces joined are one token, longer than a cookie's
        protector.longest_token = longest_token(max_cookies)
    checked_read_also = check_read_also(read_also, spec.name)
    attrs = {
        "__slots__": (),
        "_codec": SessionCodec(serializer, Compressed(protector) if compress else protector),
        "_cookie": spec,
        "_limits": Limits(timeout_seconds, absolute_seconds, skew_seconds, longest_token(max_cookies)),
        "_reissue_after": reissue_limit(reissue_seconds),
        "_set_on_exception": bool(set_on_exception),
        "_vary": bool(vary),
        "_detect_nested_changes": bool(detect_nested_changes),
        "_empty_deletes_cookie": bool(empty_deletes_cookie),
        "_revocation": (store := check_revocation_option(revocation)),
        "_user_key": check_user_key(user_key, store),
        "_clock": staticmethod(clock),
        "_read_also": checked_read_also,
        "_max_cookies": max_cookies,
        "_reads_other_cookies": bool(checked_read_also) or max_cookies != 1,
        "_can_grow": splittable,
    }
    _declare_isession()
    return type("CookieSession", (CookieSession,), attrs)


def SignedCookieSessionFactory(  # noqa: N802 - Pyramid's name
    secret: str | bytes,
    cookie_name: str = "session",
    max_age: Seconds | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "Lax",
    set_on_exception: bool = True,
    timeout: Seconds | None = 1200,
    reissue_time: Seconds | None = 0,
    hashalg: str = "sha512",
    salt: str | bytes | None = "pyramid.session.",
    serializer: Any = None,
    *,
    fallback_secrets: Sequence[str | bytes] = (),
    absolute_timeout: Seconds | None = None,
    partitioned: bool = False,
    vary: bool = True,
    detect_nested_changes: bool = True,
    empty_deletes_cookie: bool = False,
    clock: Callable[[], float] = time.time,
    revocation: object = None,
    clock_skew: Seconds = DEFAULT_CLOCK_SKEW,
    compress: bool = False,
    max_cookies: int = 1,
    read_also: Sequence[Any] = (),
    user_key: str | None = None,
) -> SessionFactory:
    """Sessions in a cookie signed with HMAC, readable and writable by ``pyramid.session``.

    Pyramid's parameters, order and defaults; the options Pyramid lacks are keyword-only.
    Returns the session class (Pyramid: ``config.set_session_factory(factory)``; adapters
    take it as ``session_factory``).  Durations: whole seconds, or a ``timedelta``.

    Args:
        secret: the key that signs new cookies (``cookiesession keygen`` makes one).
        cookie_name: the cookie's name.
        max_age: the cookie's ``Max-Age``; None: until the browser closes.
        path: the cookie's ``Path``.
        domain: the cookie's ``Domain``; None: this host only.
        secure: send the cookie over HTTPS only (``Secure``).
        httponly: hide the cookie from page scripts (``HttpOnly``).
        samesite: ``"Strict"``, ``"Lax"``, ``"None"`` (needs ``secure``) or None.
        set_on_exception: whether a response to a view that raised sets the cookie.
        timeout: the idle timeout, checked on the server; None: none.
        reissue_time: a read re-issues a cookie this old; None: only changes do.
        hashalg: the HMAC's hash, a fixed-length ``hashlib`` name.
        salt: mixed into the key; apps that share a cookie need the same one.
        serializer: ``dumps``/``loads`` of the state (default ``JSONSerializer()``).
        fallback_secrets: older secrets that still verify (re-issued under ``secret``).
        absolute_timeout: the session ends this long after ``created``, however active.
        partitioned: the ``Partitioned`` attribute (CHIPS); needs ``secure``.
        vary: add ``Vary: Cookie`` to responses of requests that used the session.
        detect_nested_changes: save in-place changes to values taken out of the session.
        empty_deletes_cookie: delete the cookie instead of storing an empty session.
        clock: a ``time.time`` stand-in, for tests.
        revocation: None, ``"memory"``, a Redis URL or a store: logout that holds.
        clock_skew: seconds a cookie's times may lie in this server's future (300).
        compress: compress the payload where that shortens it (Pyramid cannot read it).
        max_cookies: how many cookies a session too large for one may take (``name``,
            ``name.1``, ...); see the large sessions page.
        read_also: readers of other libraries' cookies (:mod:`cookiesession.readers`).
        user_key: the state key of the user's id, for :func:`~cookiesession.revoke_user`.

    Raises:
        ConfigurationError: an option that cannot work, named (a ``ValueError``; a
            ``ConfigurationTypeError``, also a ``TypeError``, for a wrong type).
    """
    options = _session_options(locals())
    signer = Signer(secret, salt, hashalg, fallback_secrets)
    return make_session_factory(signer, JSONSerializer() if serializer is None else serializer, **options)


def BaseCookieSessionFactory(  # noqa: N802 - Pyramid's name
    serializer: Any,
    cookie_name: str = "session",
    max_age: Seconds | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "Lax",
    timeout: Seconds | None = 1200,
    reissue_time: Seconds | None = 0,
    set_on_exception: bool = True,
    *,
    absolute_timeout: Seconds | None = None,
    partitioned: bool = False,
    vary: bool = True,
    detect_nested_changes: bool = True,
    empty_deletes_cookie: bool = False,
    clock: Callable[[], float] = time.time,
    revocation: object = None,
    clock_skew: Seconds = DEFAULT_CLOCK_SKEW,
    compress: bool = False,
    max_cookies: int = 1,
    read_also: Sequence[Any] = (),
    user_key: str | None = None,
) -> SessionFactory:
    """Sessions in a cookie written by ``serializer`` alone: no signing is added.

    For framework authors whose serializer signs or encrypts by itself (as Pyramid's
    ``SignedCookieSessionFactory`` passes WebOb's ``SignedSerializer``).  ``serializer``
    (``dumps``/``loads``) must sign its bytes itself.  ``compress=True`` is refused:
    nothing here verifies a cookie before it would be inflated.  The other options
    (``cookie_name``, ``max_age``, ``path``, ``domain``, ``secure``, ``httponly``,
    ``samesite``, ``timeout``, ``reissue_time``, ``set_on_exception``, ``absolute_timeout``,
    ``partitioned``, ``vary``, ``detect_nested_changes``, ``empty_deletes_cookie``,
    ``clock``, ``revocation``, ``clock_skew``, ``max_cookies``, ``read_also``,
    ``user_key``) are those of :func:`SignedCookieSessionFactory`, in Pyramid's order.  Raises
    ``ConfigurationError`` for ``compress=True``, for a ``PickleSerializer`` (it would
    unpickle bytes the client chose), and as :func:`SignedCookieSessionFactory` does.
    """
    if compress:
        raise ConfigurationError(
            "BaseCookieSessionFactory cannot compress: its cookies are inflated only after "
            "a signature verified, and it has none (its serializer may compress what it signs)"
        )
    # Ours, Pyramid's, and any subclass of either (matched by name, so as not to import Pyramid).
    if any(cls.__name__ == "PickleSerializer" for cls in type(serializer).__mro__):
        raise ConfigurationError(
            "BaseCookieSessionFactory does not sign, so a PickleSerializer here would "
            "unpickle bytes chosen by the client (remote code execution); use "
            "SignedCookieSessionFactory(secret, serializer=PickleSerializer())"
        )
    return make_session_factory(_Latin1Protector(), serializer, **_session_options(locals()))


def EncryptedCookieSessionFactory(  # noqa: N802 - named like SignedCookieSessionFactory
    secret: str | bytes,
    cookie_name: str = "session",
    max_age: Seconds | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "Lax",
    set_on_exception: bool = True,
    timeout: Seconds | None = 1200,
    reissue_time: Seconds | None = 0,
    salt: str | bytes | None = DEFAULT_SALT,
    serializer: Any = None,
    *,
    fallback_secrets: Sequence[str | bytes] = (),
    absolute_timeout: Seconds | None = None,
    partitioned: bool = False,
    vary: bool = True,
    detect_nested_changes: bool = True,
    empty_deletes_cookie: bool = False,
    clock: Callable[[], float] = time.time,
    revocation: object = None,
    clock_skew: Seconds = DEFAULT_CLOCK_SKEW,
    compress: bool = False,
    max_cookies: int = 1,
    read_also: Sequence[Any] = (),
    user_key: str | None = None,
) -> SessionFactory:
    """Sessions in an encrypted cookie: nothing of the state is readable without the secret.

    AES-256-GCM with a key per cookie (see :mod:`cookiesession.encryption`); Pyramid
    cannot read these cookies.  ``secret`` and ``salt`` make the keys (a different salt
    gives unrelated keys), and ``cookie_name`` is bound into each cookie.  The other
    options (``max_age``, ``path``, ``domain``, ``secure``, ``httponly``, ``samesite``,
    ``set_on_exception``, ``timeout``, ``reissue_time``, ``serializer``,
    ``fallback_secrets``, ``absolute_timeout``, ``partitioned``, ``vary``,
    ``detect_nested_changes``, ``empty_deletes_cookie``, ``clock``, ``revocation``,
    ``clock_skew``, ``compress``, ``max_cookies``, ``read_also``, ``user_key``) are
    :func:`SignedCookieSessionFactory`'s; there is no ``hashalg``.  Raises
    :class:`MissingDependency` (an ``ImportError``) without ``cookiesession[crypto]``,
    and ``ConfigurationError`` as the signed one does.
    """
    options = _session_options(locals())
    encryptor = Encryptor(secret, cookie_name, salt, fallback_secrets)
    return make_session_factory(encryptor, JSONSerializer() if serializer is None else serializer, **options)


def _session_options(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a factory function that :func:`make_session_factory` takes
    as they are (the others make its protector and serializer)."""
    return {name: arguments[name] for name in _SESSION_OPTIONS}


_SESSION_OPTIONS = tuple(inspect.signature(make_session_factory).parameters)[2:]


def check_session_factory(session_factory: object) -> type[CookieSession]:
    """``session_factory`` itself if it is a factory of ours (adapters check theirs);
    raises ``ConfigurationTypeError`` at start-up if not."""
    if not (isinstance(session_factory, type) and issubclass(session_factory, CookieSession)):
        raise ConfigurationTypeError(
            "session_factory must be a factory made by cookiesession (for example "
            f"SignedCookieSessionFactory(secret)), not {type(session_factory).__name__}"
        )
    if session_factory is CookieSession:
        raise ConfigurationTypeError(
            "session_factory must be a configured factory such as SignedCookieSessionFactory(secret), "
            "not the CookieSession base class"
        )
    return session_factory


def revoke(session_factory: SessionFactory, session_id: str) -> None:
    """Revoke ``session_id`` from outside a request ("sign out everywhere", admin tools).

    The record is kept as long as any session of ``session_factory`` could still
    be accepted: ``min(timeout, absolute_timeout)`` (plus a margin for clock skew),
    or the store's ``unbounded_ttl`` when the factory has neither.  Raises
    :class:`~cookiesession.exceptions.ConfigurationError` for a factory without
    ``revocation=``, and :class:`~cookiesession.exceptions.RevocationUnavailable`
    if the store cannot record it.
    """
    store = session_factory._revocation
    if store is None:
        raise ConfigurationError("this session factory has no revocation store: pass revocation=")
    if not isinstance(session_id, str) or not session_id:
        raise ValueError("session_id must be a non-empty str")
    store.revoke(session_id, session_factory._revocation_ttl(None, session_factory._clock()))
