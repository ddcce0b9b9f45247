"""The session factories: Pyramid's signatures, validated when they are called.

``SignedCookieSessionFactory`` and ``BaseCookieSessionFactory`` take Pyramid's
positional parameters in Pyramid's order (note that ``set_on_exception`` sits
in a different place in each) with Pyramid's defaults.  Options Pyramid does not
have are keyword-only.  Every option is checked here, so a mistake stops the app
at start-up instead of failing each response.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from .codec import Protector, SessionCodec
from .cookies import CookieSpec, quote_cookie_value
from .exceptions import BadCookie, ConfigurationError, ConfigurationTypeError
from .revocation import check_revocation_option
from .serializers import JSONSerializer
from .session import CookieSession
from .signing import Signer

__all__ = [
    "BaseCookieSessionFactory",
    "Seconds",
    "SessionFactory",
    "SignedCookieSessionFactory",
    "make_session_factory",
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


# 2**53 seconds, some 285 million years: every whole number up to it is a float.
_LONGEST_LIMIT = 2**53


def finite_limit(seconds: int | None) -> float:
    """A timeout as the session's fast read path compares an age with it: a float
    no greater than the timeout, and finite even for None (no timeout).

    Finite, so that an infinite time fails the comparison and its cookie is left
    to the full checks; no greater, so that the fast path never takes a cookie
    that the full checks would refuse.  Ages beyond 2**53 seconds go the full way.
    """
    return float(_LONGEST_LIMIT if seconds is None else min(seconds, _LONGEST_LIMIT))


def reissue_limit(seconds: int | None) -> float:
    """``reissue_time`` as a read compares the cookie's age with it: infinity for
    None (reads never re-issue), and a float wherever that is exact, as a float
    comparison is the interpreter's fast one."""
    if seconds is None:
        return float("inf")
    return float(seconds) if seconds <= _LONGEST_LIMIT else seconds


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
    clock: Callable[[], float] = time.time,
    revocation: object = None,
) -> SessionFactory:
    """Build a session class from a protector (signing, encryption, none) and a serializer.

    ``revocation``: None (the default: nothing is stored on the server), ``'memory'``,
    a Redis URL, or a store from :mod:`cookiesession.revocation`; see there.
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
    codec = SessionCodec(serializer, protector)
    store = check_revocation_option(revocation)
    usual = codec.urlsafe_tokens and codec.json_payload and store is None
    attrs = {
        "__slots__": (),
        "_codec": codec,
        "_cookie": spec,
        # What the hot path needs from the codec and the cookie, one lookup each.
        "_unseal": protector.unseal,
        "_json_payload": codec.json_payload,
        "_fast_prefix": spec.prefix if codec.urlsafe_tokens else None,
        # Where __init__ may take its fast way (see there): revocation needs a lookup.
        "_usual_prefix": spec.prefix if usual else None,
        "_timeout": timeout_seconds,
        "_idle_limit": finite_limit(timeout_seconds),
        "_reissue_time": reissue_seconds,
        "_reissue_after": reissue_limit(reissue_seconds),
        "_absolute_timeout": absolute_seconds,
        "_age_limit": finite_limit(absolute_seconds),
        "_set_on_exception": bool(set_on_exception),
        "_vary": bool(vary),
        "_detect_nested_changes": bool(detect_nested_changes),
        "_revocation": store,
        "_clock": staticmethod(clock),
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
    clock: Callable[[], float] = time.time,
    revocation: object = None,
) -> SessionFactory:
    """Sessions in a cookie signed with HMAC, readable and writable by ``pyramid.session``.

    Pyramid's parameters, order and defaults.  Keyword-only extras:
    ``fallback_secrets`` (older secrets that still verify; cookies they verify are
    re-issued under ``secret``), ``absolute_timeout`` (seconds since ``created``),
    ``partitioned`` (CHIPS), ``vary`` (add ``Vary: Cookie``),
    ``detect_nested_changes`` (save in-place changes to nested values),
    ``clock`` (a ``time.time`` stand-in for tests) and ``revocation`` (a store
    that makes ``invalidate()`` hold for copies of the cookie, see
    :mod:`cookiesession.revocation`).
    """
    signer = Signer(secret, salt, hashalg, fallback_secrets)
    return make_session_factory(
        signer,
        JSONSerializer() if serializer is None else serializer,
        cookie_name=cookie_name,
        max_age=max_age,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        set_on_exception=set_on_exception,
        timeout=timeout,
        reissue_time=reissue_time,
        absolute_timeout=absolute_timeout,
        partitioned=partitioned,
        vary=vary,
        detect_nested_changes=detect_nested_changes,
        clock=clock,
        revocation=revocation,
    )


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
    clock: Callable[[], float] = time.time,
    revocation: object = None,
) -> SessionFactory:
    """Sessions in a cookie written by ``serializer`` alone: no signing is added.

    For framework authors whose serializer signs or encrypts by itself (as
    Pyramid's ``SignedCookieSessionFactory`` passes WebOb's ``SignedSerializer``).
    """
    # Ours, Pyramid's, and any subclass of either (matched by name, so as not to import Pyramid).
    if any(cls.__name__ == "PickleSerializer" for cls in type(serializer).__mro__):
        raise ConfigurationError(
            "BaseCookieSessionFactory does not sign, so a PickleSerializer here would "
            "unpickle bytes chosen by the client (remote code execution); use "
            "SignedCookieSessionFactory(secret, serializer=PickleSerializer())"
        )
    return make_session_factory(
        _Latin1Protector(),
        serializer,
        cookie_name=cookie_name,
        max_age=max_age,
        path=path,
        domain=domain,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
        set_on_exception=set_on_exception,
        timeout=timeout,
        reissue_time=reissue_time,
        absolute_timeout=absolute_timeout,
        partitioned=partitioned,
        vary=vary,
        detect_nested_changes=detect_nested_changes,
        clock=clock,
        revocation=revocation,
    )
