"""Every error the library raises, grouped by who is at fault.

* :class:`ConfigurationError`: the developer configured something that cannot work.
  Raised when the factory is created, never per request.
* :class:`BadCookie`: the client sent a cookie we cannot trust or read.  The session
  never lets these escape; only the low-level codec API and the CLI raise them.
  Their messages never echo the unverified cookie.
* :class:`UnstorableSession`: the application put something in the session that a
  cookie cannot carry.  Raised when the response is made, as Pyramid does, but
  with a message naming the size and limit or the offending key.
* :class:`RevocationUnavailable`: the server-side revocation store (Redis) could
  not record a logout.  Infrastructure's fault; raised by ``invalidate()``.

Each class also derives from the built-in exception Pyramid raised in the same
situation, so ``except ValueError`` / ``except TypeError`` code keeps working.
"""

from __future__ import annotations


class CookieSessionError(Exception):
    """Base class of every exception raised by cookiesession."""


class ConfigurationError(CookieSessionError, ValueError):
    """A factory option is invalid; the message says what to change."""


class ConfigurationTypeError(ConfigurationError, TypeError):
    """A factory option has the wrong type (Pyramid raised ``TypeError`` here)."""


class BadCookie(CookieSessionError, ValueError):
    """An incoming cookie could not be trusted or read."""


class BadSignature(BadCookie):
    """The token is malformed or its signature does not verify under any secret."""


class BadPayload(BadCookie):
    """The token verified, but its payload is not a session this library can use."""


class UnstorableSession(CookieSessionError):
    """The session's state cannot be written to a cookie."""


class SessionTooLarge(UnstorableSession, ValueError):
    """The cookie value would exceed the 4064-character limit."""


class SessionNotSerializable(UnstorableSession, TypeError):
    """A value in the session cannot be serialized; the message names the key."""


class MissingDependency(CookieSessionError, ImportError):
    """An optional feature was used without its extra installed."""


class RevocationUnavailable(CookieSessionError, ConnectionError):
    """The revocation store could not record a logout (``invalidate()``, ``revoke()``).

    The session itself was still emptied and its cookie is deleted; only copies of
    the old cookie elsewhere stay valid until they expire.  Checks of incoming
    sessions never raise this: they follow the store's ``on_error`` choice.
    """
