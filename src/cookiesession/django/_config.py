"""The session factory a Django project's settings describe, built once per settings value.

Django's own settings keep their meanings: the cookie itself (name, lifetime,
attributes) is Django's ``SESSION_COOKIE_*``, and ``SESSION_COOKIE_AGE`` is also
the idle timeout, checked on the server as Django's ``signed_cookies`` engine
checks it.  Only what Django has no setting for comes from ``COOKIESESSION``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..exceptions import ConfigurationError
from ..factory import EncryptedCookieSessionFactory, SessionFactory, SignedCookieSessionFactory

__all__ = ["SETTING", "session_factory"]

SETTING = "COOKIESESSION"

# The COOKIESESSION keys, and what each becomes.
_OPTIONS = frozenset(
    {
        "secret",
        "fallback_secrets",
        "salt",
        "hashalg",
        "encrypt",
        "revocation",
        "absolute_timeout",
        "clock",
        "clock_skew",
        "read_also",
        "user_key",
        "compress",
        "max_cookies",
        "serializer",
    }
)
# Factory options that Django's own settings already give.
_DJANGO_SETTING_FOR = {
    "cookie_name": "SESSION_COOKIE_NAME",
    "timeout": "SESSION_COOKIE_AGE",
    "max_age": "SESSION_COOKIE_AGE",
    "path": "SESSION_COOKIE_PATH",
    "domain": "SESSION_COOKIE_DOMAIN",
    "secure": "SESSION_COOKIE_SECURE",
    "httponly": "SESSION_COOKIE_HTTPONLY",
    "samesite": "SESSION_COOKIE_SAMESITE",
}

# The middleware that reads and writes a session in several cookies.
_MIDDLEWARE = "cookiesession.django.middleware.SessionMiddleware"

_lock = threading.Lock()
_built: tuple[tuple[Any, ...], SessionFactory] | None = None


def _snapshot() -> tuple[Any, ...]:
    """The settings the factory is built from (a copy of COOKIESESSION, so a change
    made to that dict in place is seen too)."""
    options = getattr(settings, SETTING, None)
    return (
        dict(options) if isinstance(options, Mapping) else options,
        settings.SESSION_COOKIE_NAME,
        settings.SESSION_COOKIE_AGE,
        settings.SESSION_COOKIE_PATH,
        settings.SESSION_COOKIE_DOMAIN,
        settings.SESSION_COOKIE_SECURE,
    )


def session_factory() -> SessionFactory:
    """The factory for the current settings: built on first use and again only
    when the settings change (as ``override_settings`` does in tests).

    Raises ``ImproperlyConfigured`` naming the setting that is wrong.
    """
    global _built
    snapshot = _snapshot()
    built = _built
    if built is not None and built[0] == snapshot:
        return built[1]
    with _lock:
        # Another thread may have built it meanwhile: one factory (and so one
        # in-memory revocation store) per settings value.
        if _built is None or _built[0] != snapshot:
            _built = (snapshot, _build(snapshot))
        return _built[1]


def _build(snapshot: tuple[Any, ...]) -> SessionFactory:
    options, cookie_name, cookie_age, path, domain, secure = snapshot
    if options is None:
        raise ImproperlyConfigured(
            f"settings.{SETTING} is required with SESSION_ENGINE = 'cookiesession.django': "
            f'for example {SETTING} = {{"secret": "<a long random string>"}}'
        )
    if not isinstance(options, dict):
        raise ImproperlyConfigured(f"settings.{SETTING} must be a dict, not {type(options).__name__}")
    _check_names(options)
    options = dict(options)
    secret = options.pop("secret", None)
    if not secret:
        raise ImproperlyConfigured(
            f"settings.{SETTING}['secret'] is required: a long random string "
            "(python -m cookiesession keygen prints one)"
        )
    make: Callable[..., SessionFactory] = SignedCookieSessionFactory
    if options.pop("encrypt", False):
        make = EncryptedCookieSessionFactory
        if "hashalg" in options:
            raise ImproperlyConfigured(f"settings.{SETTING}['hashalg'] cannot be used with 'encrypt': True")
    options["fallback_secrets"] = tuple(options.get("fallback_secrets") or ())
    if options.get("max_cookies", 1) != 1 and _MIDDLEWARE not in settings.MIDDLEWARE:
        raise ImproperlyConfigured(
            f"settings.{SETTING}['max_cookies'] needs {_MIDDLEWARE!r} in MIDDLEWARE, in place of "
            "Django's SessionMiddleware (which reads and writes one cookie)"
        )
    try:
        return make(
            secret,
            cookie_name=cookie_name,
            # Only checked here (the __Host-/__Secure- prefixes): Django writes the cookie.
            path=path,
            domain=domain,
            secure=bool(secure),
            timeout=cookie_age,
            # Django decides when the cookie is written (modified, SESSION_SAVE_EVERY_REQUEST),
            # so the session never looks for changes inside values itself.
            reissue_time=None,
            detect_nested_changes=False,
            **options,
        )
    except ConfigurationError as exc:
        raise ImproperlyConfigured(
            f"settings.{SETTING} (with Django's SESSION_COOKIE_* settings): {exc}"
        ) from exc


def _check_names(options: Mapping[Any, Any]) -> None:
    for name in options:
        if name in _OPTIONS:
            continue
        if name in _DJANGO_SETTING_FOR:
            raise ImproperlyConfigured(
                f"settings.{SETTING}[{name!r}]: set Django's {_DJANGO_SETTING_FOR[name]} instead"
            )
        known = ", ".join(repr(n) for n in sorted(_OPTIONS))
        raise ImproperlyConfigured(
            f"settings.{SETTING} has an unknown key {name!r}; the known keys are {known}"
        )
