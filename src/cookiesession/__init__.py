"""Web sessions in a signed or encrypted cookie: a drop-in for ``pyramid.session``.

Only the standard library is imported here; framework adapters live in
``cookiesession.wsgi``, ``.asgi``, ``.flask`` and ``.pyramid``.
"""

from __future__ import annotations

from .csrf import check_csrf_token
from .exceptions import (
    BadCookie,
    BadPayload,
    BadSignature,
    ConfigurationError,
    ConfigurationTypeError,
    CookieSessionError,
    MissingDependency,
    RevocationUnavailable,
    SessionNotSerializable,
    SessionTooLarge,
    UnstorableSession,
)
from .factory import (
    BaseCookieSessionFactory,
    EncryptedCookieSessionFactory,  # needs cryptography only when called
    SignedCookieSessionFactory,
    revoke,
)
from .serializers import JSONSerializer, PickleSerializer, RichJSONSerializer
from .session import CookieSession
from .signing import SecretTooShortWarning
from .user_revocation import revoke_user, revoke_user_async

# The one place the version is written: pyproject.toml reads it (dynamic version), and so
# does `cookiesession --version`.
__version__ = "0.1.0"

__all__ = [
    "BadCookie",
    "BadPayload",
    "BadSignature",
    "BaseCookieSessionFactory",
    "ConfigurationError",
    "ConfigurationTypeError",
    "CookieSession",
    "CookieSessionError",
    "EncryptedCookieSessionFactory",
    "JSONSerializer",
    "MissingDependency",
    "PickleSerializer",
    "RevocationUnavailable",
    "RichJSONSerializer",
    "SecretTooShortWarning",
    "SessionNotSerializable",
    "SessionTooLarge",
    "SignedCookieSessionFactory",
    "UnstorableSession",
    "check_csrf_token",
    "revoke",
    "revoke_user",
    "revoke_user_async",
]
