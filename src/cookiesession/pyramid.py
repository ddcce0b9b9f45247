"""Configure a Pyramid app's session factory from its settings (its .ini file).

::

    config.include("cookiesession.pyramid")

    # development.ini
    [app:main]
    cookiesession.secret = %(here)s-long-random-secret
    cookiesession.fallback_secrets =
        previous-secret
        even-older-secret
    cookiesession.secure = true
    cookiesession.timeout = 1800

Every setting is optional except ``cookiesession.secret``.  Values are the
keyword arguments of :func:`~cookiesession.SignedCookieSessionFactory`:

* booleans (``secure``, ``httponly``, ``set_on_exception``, ``partitioned``,
  ``vary``, ``detect_nested_changes``, ``empty_deletes_cookie``, ``compress``, ``encrypt``) take
  ``true/false/yes/no/on/off/1/0``;
* durations in seconds (``max_age``, ``timeout``, ``reissue_time``,
  ``absolute_timeout``, ``clock_skew``) take a whole number, or ``none`` for None
  (not ``clock_skew``: a cookie dated further ahead than it is refused);
* ``path``, ``domain`` and ``user_key`` take ``none`` (or an empty value) for None;
* ``samesite`` takes ``strict``, ``lax`` or ``none`` (the ``SameSite=None``
  attribute, which needs ``secure``), or an empty value for no attribute;
* ``fallback_secrets`` is separated by whitespace or newlines (so a secret in an
  .ini file cannot contain a space);
* ``max_cookies`` takes a whole number (1, the default, to 10): how many cookies
  a session too large for one may take (docs/large-sessions.md);
* ``encrypt = true`` uses ``EncryptedCookieSessionFactory`` (``cookiesession[crypto]``);
* ``revocation`` takes ``memory`` or a Redis URL (``redis://host:6379/0``,
  ``cookiesession[redis]``) for logout that holds across servers (see
  :mod:`cookiesession.revocation`), with ``revocation_on_error`` (``closed``, the
  default, or ``open``: what happens while Redis is down, see docs/security.md) and
  ``revocation_timeout`` (seconds, default ``0.005``), ``revocation_local_view``
  (``true``: answer checks from memory, kept current by pub/sub), and ``user_key`` (the state key
  holding the user's id, for :func:`~cookiesession.revoke_user`);
* ``serializer`` takes ``json`` (the default) or ``rich``
  (:class:`~cookiesession.RichJSONSerializer`), or a serializer object in settings
  made in Python;
* ``read_also`` takes a list of readers (:mod:`cookiesession.readers`), so it
  can only be given in settings made in Python, not in an .ini file.

A missing secret, an unknown ``cookiesession.*`` name (a typo) or a bad value
raises :class:`~cookiesession.ConfigurationError` naming the setting, while the
app is being configured, so it never starts half-working.

Importing this module also declares ``pyramid.interfaces.ISession`` for the
session classes, so ``verifyObject(ISession, request.session)`` holds.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.settings import asbool, aslist

from .exceptions import ConfigurationError
from .factory import (
    EncryptedCookieSessionFactory,
    SessionFactory,
    SignedCookieSessionFactory,
    _declare_isession,
    seconds_option,
)
from .revocation import DEFAULT_TIMEOUT, RevocationStore, store_from_setting
from .serializers import RichJSONSerializer

__all__ = ["PREFIX", "includeme", "session_factory_from_settings"]

PREFIX = "cookiesession."

_BOOLEANS = (
    "secure",
    "httponly",
    "set_on_exception",
    "partitioned",
    "vary",
    "detect_nested_changes",
    "empty_deletes_cookie",
    "compress",
)
_SECONDS = ("max_age", "timeout", "reissue_time", "absolute_timeout", "clock_skew")
_COUNTS = ("max_cookies",)
_NULLABLE_TEXT = ("path", "domain", "user_key")
_TEXT = ("cookie_name", "hashalg", "salt")
_REVOCATION = ("revocation", "revocation_on_error", "revocation_timeout", "revocation_local_view")
# Options whose values are objects, given only by settings made in Python.
_OBJECTS = ("read_also",)
# What an .ini comment after `name =` looks like: PasteDeploy's parser keeps it in the value.
_INLINE_COMMENT = re.compile(r"(?:^|\s)[#;]")
_KNOWN = frozenset(
    {
        "secret",
        "fallback_secrets",
        "samesite",
        "encrypt",
        *_BOOLEANS,
        *_SECONDS,
        *_COUNTS,
        *_NULLABLE_TEXT,
        *_TEXT,
        *_REVOCATION,
        *_OBJECTS,
        "serializer",
    }
)
_NONE_WORDS = frozenset({"", "none", "null"})
# What pyramid.settings.asbool understands; anything else (a typo such as "ture")
# would silently read as False there, so it is refused here.
_BOOL_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0", "t", "f", "y", "n"})

_declare_isession()


def _setting(name: str) -> str:
    return PREFIX + name


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
        return bool(asbool(value))
    raise ConfigurationError(f"{_setting(name)}={value!r} is not a boolean (use true or false)")


def _as_seconds(name: str, value: object) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        if value.lower() in _NONE_WORDS:
            return None
    try:
        return seconds_option(_setting(name), value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{exc} (use a whole number of seconds, or none)") from None


def _as_count(name: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()):
        raise ConfigurationError(f"{_setting(name)}={value!r} is not a whole number")
    return int(text)


def _as_serializer(value: object) -> object:
    if not isinstance(value, str):
        return value  # a serializer object, in settings made in Python
    word = value.strip().lower()
    if word not in ("json", "rich"):
        raise ConfigurationError(
            f"{_setting('serializer')}={value!r}: use json (the default), rich, or a serializer object"
        )
    return RichJSONSerializer() if word == "rich" else None


def _as_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"{_setting(name)} must be text, not {type(value).__name__}")
    return value.strip()


def _as_samesite(value: object) -> str | None:
    if value is None:
        return None
    text = _as_text("samesite", value)
    return text or None


def _coerce(name: str, value: Any) -> Any:
    if name in _BOOLEANS or name in ("encrypt", "revocation_local_view"):
        return _as_bool(name, value)
    if name in _SECONDS:
        return _as_seconds(name, value)
    if name in _COUNTS:
        return _as_count(name, value)
    if name in _NULLABLE_TEXT:
        if value is None:
            return None
        text = _as_text(name, value)
        return None if text.lower() in _NONE_WORDS else text
    if name == "samesite":
        return _as_samesite(value)
    if name == "fallback_secrets":
        return tuple(aslist(value)) if isinstance(value, str) else tuple(value)
    if name == "secret":
        return value.strip() if isinstance(value, str) else value
    if name == "revocation_timeout" and isinstance(value, (int, float)):
        return value
    if name == "serializer":
        return _as_serializer(value)
    if name in _OBJECTS:
        if isinstance(value, str):
            raise ConfigurationError(
                f"{_setting(name)} takes readers from cookiesession.readers, given in the settings "
                "dict made in Python (Configurator(settings=...)), not text"
            )
        return value
    return _as_text(name, value)


def session_factory_from_settings(settings: Mapping[str, Any]) -> SessionFactory:
    """A session factory built from the ``cookiesession.*`` entries of ``settings``.

    Args:
        settings: the app's settings (other entries are ignored); see the module's
            documentation for each ``cookiesession.*`` value.

    Raises:
        ConfigurationError: no ``cookiesession.secret``, an unknown ``cookiesession.*``
            name, a comment after a value, or a value that cannot work, naming the setting.
    """
    options: dict[str, Any] = {}
    for key, value in settings.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :]
        if name not in _KNOWN:
            known = ", ".join(_setting(n) for n in sorted(_KNOWN))
            raise ConfigurationError(f"unknown setting {key!r}; the known settings are {known}")
        if isinstance(value, str) and _INLINE_COMMENT.search(value):
            # The value is not quoted: it may be a secret.
            raise ConfigurationError(
                f"{key} looks like it holds an .ini comment ('#' or ';' at the start or after a space), "
                "which an .ini file keeps as part of the value: put comments on lines of their own"
            )
        options[name] = _coerce(name, value)

    secret = options.pop("secret", None)
    if not secret:
        raise ConfigurationError(
            f"{_setting('secret')} is required: set it to a long random string (for example the "
            'output of `python -c "import secrets; print(secrets.token_urlsafe(64))"`)'
        )
    revocation = _revocation_store(options)
    if revocation is not None:
        options["revocation"] = revocation
    make: Callable[..., SessionFactory] = SignedCookieSessionFactory
    if options.pop("encrypt", False):
        make = EncryptedCookieSessionFactory  # needs `cryptography` only when called
        accepted = inspect.signature(make).parameters
        unused = sorted(name for name in options if name not in accepted)
        if unused:
            raise ConfigurationError(
                f"{', '.join(_setting(n) for n in unused)} cannot be used with {_setting('encrypt')} = true"
            )
    try:
        return make(secret, **options)
    except ConfigurationError as exc:
        raise type(exc)(_naming_the_setting(str(exc), make, secret, options)) from None


def _revocation_store(options: dict[str, Any]) -> RevocationStore | None:
    """Pop the ``revocation*`` settings and build their store (None: no revocation)."""
    url = options.pop("revocation", "")
    on_error = options.pop("revocation_on_error", "closed")
    raw_timeout = options.pop("revocation_timeout", None)
    local_view = options.pop("revocation_local_view", False)
    if on_error not in ("open", "closed"):
        raise ConfigurationError(f"{_setting('revocation_on_error')}={on_error!r} must be open or closed")
    timeout = DEFAULT_TIMEOUT
    if raw_timeout is not None:
        try:
            timeout = float(raw_timeout)
        except ValueError:
            raise ConfigurationError(
                f"{_setting('revocation_timeout')}={raw_timeout!r} is not a number of seconds"
            ) from None
    if url.lower() in _NONE_WORDS:
        return None
    try:
        return store_from_setting(url, on_error=on_error, timeout=timeout, local_view=local_view)
    except ConfigurationError as exc:
        raise type(exc)(f"{_setting('revocation')}: {exc}") from None


def _naming_the_setting(
    message: str, make: Callable[..., SessionFactory], secret: object, options: dict[str, Any]
) -> str:
    """The factory's ``message``, said in terms of the setting that caused it."""
    for name in ("secret", *options):
        if message.startswith((f"{name}=", f"{name}[", f"{name} ")):
            return PREFIX + message  # "samesite='x': ..." -> "cookiesession.samesite='x': ..."
    # The setting that fails on its own with this very message: another one may fail
    # on its own too, for a reason of its own, which is not the one reported.
    for name, value in options.items():
        try:
            make(secret, **{name: value})
        except ConfigurationError as alone:
            if str(alone) == message:
                return f"{PREFIX}{name}: {message}"
    return f"{PREFIX}* settings: {message}"  # only a combination fails; the message says which


def includeme(config: Configurator) -> None:
    """``config.include('cookiesession.pyramid')``: set the session factory from the settings.

    Args:
        config: the app's ``Configurator``.

    Raises:
        ConfigurationError: as :func:`session_factory_from_settings`.
    """
    config.set_session_factory(session_factory_from_settings(config.get_settings()))
