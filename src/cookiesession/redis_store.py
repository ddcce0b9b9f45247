"""The Redis revocation store: revoked session ids shared by every server.

Needs the ``cookiesession[redis]`` extra (redis-py), imported when a store is
made, so ``import cookiesession`` works without it.  See
:mod:`cookiesession.revocation` for what revocation does and the memory store.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from .exceptions import ConfigurationError, ConfigurationTypeError, MissingDependency, RevocationUnavailable
from .revocation import (
    DEFAULT_PREFIX,
    DEFAULT_TIMEOUT,
    DEFAULT_UNBOUNDED_TTL,
    OnError,
    check_ttl,
    check_unbounded_ttl,
)

if TYPE_CHECKING:
    import asyncio

__all__ = ["RedisRevocationStore"]

_log = logging.getLogger("cookiesession.revocation")


class _RateLimitedLog:
    """Log an outage of session checks once, then at most every ``interval``
    seconds, not once per request."""

    def __init__(self, interval: float = 10.0) -> None:
        self._interval = interval
        self._next = 0.0
        self._suppressed = 0
        self._lock = threading.Lock()

    def error(self, exc: BaseException, on_error: OnError) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self._suppressed += 1
                return
            suppressed, self._suppressed = self._suppressed, 0
            self._next = now + self._interval
        _log.error(
            "revocation store unavailable while checking a session (%s); on_error=%r: %s%s",
            _describe(exc),
            on_error,
            "treated as not revoked" if on_error == "open" else "treated as revoked",
            f" ({suppressed} more since the last report)" if suppressed else "",
        )


def _describe(exc: BaseException) -> str:
    # The exception's type only: its text may name the server's address, and a
    # log line must never carry a session id or a credential from the URL.
    return type(exc).__name__


class RedisRevocationStore:
    """Revoked ids in Redis, shared by every server: ``SET <prefix><id> 1 PX <ttl>``.

    Redis drops each key when its TTL runs out, so the store never holds more than
    the revocations still in force.  ``url`` is a redis-py URL
    (``redis://host:6379/0``, ``rediss://...``, ``unix:///path``); or pass ready
    ``client`` / ``async_client`` objects (``redis.Redis`` / ``redis.asyncio.Redis``).

    ``timeout`` bounds connecting and each answer (default 5 ms), with no retries,
    so a slow or unreachable Redis costs a request at most about that long.

    ``on_error`` decides what a session check does when Redis cannot answer:

    * ``'open'`` (default): log an error (without any session id) and treat the
      session as not revoked.  Logged-out copies work again during the outage.
    * ``'closed'``: treat every session that has an id as revoked: each request
      gets a fresh, empty session until Redis answers again (everyone is logged out).

    Recording a revocation (``invalidate()``, ``revoke()``) never fails silently:
    it raises :class:`~cookiesession.exceptions.RevocationUnavailable`, whatever
    ``on_error`` says, so the application can tell the user that logout did not
    complete everywhere.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        async_client: Any = None,
        prefix: str = DEFAULT_PREFIX,
        on_error: OnError = "open",
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float | None = None,
        unbounded_ttl: float = DEFAULT_UNBOUNDED_TTL,
    ) -> None:
        if on_error not in ("open", "closed"):
            raise ConfigurationError(f"on_error must be 'open' or 'closed', not {on_error!r}")
        if url is None and client is None and async_client is None:
            raise ConfigurationError("RedisRevocationStore needs a url (redis://host:port/db) or a client")
        if url is not None and not isinstance(url, str):
            raise ConfigurationTypeError(f"url must be a str, not {type(url).__name__}")
        for name, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ConfigurationTypeError(f"{name} must be a number of seconds")
            if value is not None and not 0 < value <= 60:
                raise ConfigurationError(f"{name}={value!r} must be above 0 and at most 60 seconds")
        if not isinstance(prefix, str):
            raise ConfigurationTypeError(f"prefix must be a str, not {type(prefix).__name__}")
        _import_redis()  # fail at start-up, with the install command, if the extra is missing
        if url is not None:
            _check_redis_url(url)
        self._errors = _redis_errors()
        self.prefix = prefix
        self.on_error: OnError = on_error
        self.timeout = float(timeout)
        self.connect_timeout = self.timeout if connect_timeout is None else float(connect_timeout)
        self.unbounded_ttl = check_unbounded_ttl(unbounded_ttl)
        self._url = url
        self._client = client
        self._async_client = async_client
        # redis.asyncio clients belong to one event loop; one per loop, made on use.
        self._async_clients: dict[int, tuple[asyncio.AbstractEventLoop, Any]] = {}
        self._client_lock = threading.Lock()
        self._log = _RateLimitedLog()

    def __repr__(self) -> str:
        # Not the URL: it may carry a password.
        return f"<RedisRevocationStore prefix={self.prefix!r} on_error={self.on_error!r}>"

    def _options(self) -> dict[str, Any]:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return {
            "socket_timeout": self.timeout,
            "socket_connect_timeout": self.connect_timeout,
            # redis-py retries ten times with backoff by default: far past our bound.
            "retry": Retry(NoBackoff(), 0),
            "retry_on_timeout": False,
        }

    @property
    def client(self) -> Any:
        """The blocking ``redis.Redis`` client (made from ``url`` on first use)."""
        client = self._client
        if client is None:
            if self._url is None:
                raise ConfigurationError("this RedisRevocationStore has only an async_client")
            with self._client_lock:
                if self._client is None:
                    self._client = _import_redis().Redis.from_url(self._url, **self._options())
                client = self._client
        return client

    def async_client(self) -> Any:
        """The ``redis.asyncio.Redis`` client for the running event loop."""
        if self._async_client is not None:
            return self._async_client
        if self._url is None:
            raise ConfigurationError("this RedisRevocationStore has only a blocking client")
        import asyncio

        loop = asyncio.get_running_loop()
        held = self._async_clients.get(id(loop))
        if held is None or held[0] is not loop:
            import redis.asyncio

            # Forget clients of closed loops (their connections died with the loop).
            for key in [k for k, (other, _) in self._async_clients.items() if other.is_closed()]:
                del self._async_clients[key]
            held = (loop, redis.asyncio.Redis.from_url(self._url, **self._options()))
            self._async_clients[id(loop)] = held
        return held[1]

    def _key(self, session_id: str) -> str:
        return self.prefix + session_id

    def _unavailable_check(self, exc: BaseException) -> bool:
        self._log.error(exc, self.on_error)
        return self.on_error == "closed"

    def _unavailable_revoke(self, exc: BaseException) -> RevocationUnavailable:
        # Logouts are rare and each failure matters: always logged.
        _log.error("revocation store unavailable: a logout was not recorded (%s)", _describe(exc))
        return RevocationUnavailable(_REVOKE_FAILED)

    def is_revoked(self, session_id: str) -> bool:
        try:
            return bool(self.client.exists(self._key(session_id)))
        except self._errors as exc:
            return self._unavailable_check(exc)

    async def is_revoked_async(self, session_id: str) -> bool:
        try:
            return bool(await self.async_client().exists(self._key(session_id)))
        except self._errors as exc:
            return self._unavailable_check(exc)

    def _set_args(self, session_id: str, ttl: float | None) -> tuple[str, int]:
        milliseconds = math.ceil(check_ttl(ttl, self.unbounded_ttl) * 1000)
        return self._key(session_id), milliseconds

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        key, milliseconds = self._set_args(session_id, ttl)
        try:
            self.client.set(key, b"1", px=milliseconds)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
        key, milliseconds = self._set_args(session_id, ttl)
        try:
            await self.async_client().set(key, b"1", px=milliseconds)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None

    def close(self) -> None:
        """Close the blocking client's connections (async clients: :meth:`aclose`)."""
        if self._client is not None and self._url is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the running loop's async client."""
        import asyncio

        loop = asyncio.get_running_loop()
        held = self._async_clients.pop(id(loop), None)
        if held is not None:
            await held[1].aclose()


_REVOKE_FAILED = (
    "the revocation store could not record the logout; the session was emptied and its "
    "cookie will be deleted, but copies of the old cookie stay valid until they expire"
)


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise MissingDependency(
            "RedisRevocationStore needs redis-py: pip install 'cookiesession[redis]'"
        ) from None
    return redis


def _check_redis_url(url: str) -> None:
    """Refuse at start-up a URL redis-py would refuse at the first request."""
    from redis.connection import parse_url

    try:
        parse_url(url)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError):
        # Not redis-py's message: it may quote part of the URL, and so of a password.
        raise ConfigurationError(
            "the Redis URL is not one redis-py can use: redis://[[user]:password@]host[:port][/db], "
            "rediss://... or unix:///path (a '/', '@' or ':' in the password must be %-escaped)"
        ) from None


def _redis_errors() -> tuple[type[BaseException], ...]:
    import asyncio

    import redis.exceptions

    # OSError covers socket errors redis-py lets through, and TimeoutError.
    return (redis.exceptions.RedisError, OSError, asyncio.TimeoutError)
