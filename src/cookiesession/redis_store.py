"""The Redis revocation store: revoked session ids shared by every server.

Needs the ``cookiesession[redis]`` extra (redis-py), imported when a store is
made, so ``import cookiesession`` works without it.  See
:mod:`cookiesession.revocation` for what revocation does and the memory store.
"""

from __future__ import annotations

import logging
import math
import threading
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


class _Outage:
    """The store's health, as a sequence of outages: the first failed call of an
    outage is logged (with the store's address, never its password), the rest
    only counted, and the first call that succeeds afterwards ends it (logged too).
    Thread-safe; a call that succeeds while the store is up reads one attribute."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.down = False
        self.errors = 0
        self.outages = 0
        self._errors_at_start = 0
        self._lock = threading.Lock()

    def failed(self, exc: BaseException, on_error: OnError) -> None:
        with self._lock:
            self.errors += 1
            if self.down:
                return
            self.down = True
            self.outages += 1
            self._errors_at_start = self.errors - 1
        _log.error(
            "revocation store %s unavailable (%s): on_error=%r, so %s until it answers; "
            "logouts made meanwhile are not recorded (the response still deletes the cookie)",
            self.address,
            _describe(exc),
            on_error,
            "sessions are accepted unchecked"
            if on_error == "open"
            else "every session with an id is refused",
        )

    def answered(self) -> None:
        with self._lock:
            if not self.down:
                return
            self.down = False
            failed_calls = self.errors - self._errors_at_start
        _log.warning("revocation store %s answers again, after %d failed calls", self.address, failed_calls)


def _describe(exc: BaseException) -> str:
    # The exception's type only: its text may name a credential from the URL, and a
    # log line must never carry a session id.
    return type(exc).__name__


def _address(url: str | None, client: Any) -> str:
    """Where the store is, for log lines: ``host:port/db`` or ``unix:path/db``,
    never the user name or password."""
    if url is not None:
        from redis.connection import parse_url

        where: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
    else:
        where = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {}) or {}
    db = where.get("db", 0)
    if where.get("path"):
        return f"unix:{where['path']}/{db}"
    return f"{where.get('host', 'localhost')}:{where.get('port', 6379)}/{db}"


class RedisRevocationStore:
    """Revoked ids in Redis, shared by every server: ``SET <prefix><id> 1 PX <ttl>``.

    Redis drops each key when its TTL runs out, so the store never holds more than
    the revocations still in force.  ``url`` is a redis-py URL
    (``redis://host:6379/0``, ``rediss://...``, ``unix:///path``); or pass ready
    ``client`` / ``async_client`` objects (``redis.Redis`` / ``redis.asyncio.Redis``).

    ``timeout`` bounds connecting and each answer (default 5 ms), with no retries,
    so a slow or unreachable Redis costs a request at most about that long.

    ``on_error`` chooses between security and availability while Redis cannot
    answer (see docs/security.md):

    * ``'closed'`` (default): a session check treats the session as revoked, so
      each request gets a fresh, empty session until Redis answers again (everyone
      is signed out meanwhile; their cookies work again afterwards).  A logout that
      could not be recorded is raised as
      :class:`~cookiesession.exceptions.RevocationUnavailable` once the response
      deletes the cookie.
    * ``'open'``: a check treats the session as not revoked, so signed-out copies of
      cookies work again during the outage; a logout that could not be recorded is
      logged, and the response deletes the cookie.

    Each outage is logged once, with the store's address (``host:port/db``, never
    the password), and once more when Redis answers again; ``error_count``,
    ``outage_count`` and ``available`` tell the application.  :meth:`revoke` itself
    always raises ``RevocationUnavailable`` when it cannot record.

    Args:
        url: a redis-py URL; or give ``client`` and/or ``async_client`` instead.
        client: a ready ``redis.Redis``.
        async_client: a ready ``redis.asyncio.Redis``.
        prefix: the keys' prefix.
        on_error: ``'closed'`` or ``'open'``, as above.
        timeout: seconds for each answer, above 0 and at most 60.
        connect_timeout: seconds for connecting (default: ``timeout``).
        unbounded_ttl: seconds a record lasts when the factory has no timeout (30 days).

    Raises:
        ConfigurationError: an option that cannot work (no url nor client, a bad
            ``on_error``, timeout or URL).
        MissingDependency: the ``redis`` package is not installed.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        async_client: Any = None,
        prefix: str = DEFAULT_PREFIX,
        on_error: OnError = "closed",
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
        self._health = _Outage(_address(url, client if client is not None else async_client))

    def __repr__(self) -> str:
        # Not the URL: it may carry a password.
        return f"<RedisRevocationStore prefix={self.prefix!r} on_error={self.on_error!r}>"

    @property
    def address(self) -> str:
        """Where the store is: ``host:port/db`` (or ``unix:path/db``), without credentials."""
        return self._health.address

    @property
    def error_count(self) -> int:
        """Calls that failed because Redis could not answer, since the store was made."""
        return self._health.errors

    @property
    def outage_count(self) -> int:
        """Outages seen: runs of failed calls, each ended by a call that succeeded."""
        return self._health.outages

    @property
    def available(self) -> bool:
        """False from a failed call until the next call that succeeds."""
        return not self._health.down

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
        self._health.failed(exc, self.on_error)
        return self.on_error == "closed"

    def _unavailable_revoke(self, exc: BaseException) -> RevocationUnavailable:
        self._health.failed(exc, self.on_error)
        return RevocationUnavailable(_REVOKE_FAILED)

    def _answered(self) -> None:
        if self._health.down:
            self._health.answered()

    def is_revoked(self, session_id: str) -> bool:
        """Whether ``session_id`` is revoked (one ``EXISTS``).  When Redis cannot answer,
        ``on_error`` decides (``'closed'``: True) and nothing is raised."""
        try:
            found = self.client.exists(self._key(session_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return bool(found)

    async def is_revoked_async(self, session_id: str) -> bool:
        """:meth:`is_revoked` with the asyncio client: ``session_id`` as there."""
        try:
            found = await self.async_client().exists(self._key(session_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return bool(found)

    def _set_args(self, session_id: str, ttl: float | None) -> tuple[str, int]:
        milliseconds = math.ceil(check_ttl(ttl, self.unbounded_ttl) * 1000)
        return self._key(session_id), milliseconds

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        """Record ``session_id`` as revoked for ``ttl`` seconds (None: ``unbounded_ttl``).

        Raises:
            RevocationUnavailable: Redis could not record it.
            ValueError: ``ttl`` is not a positive number of seconds.
        """
        key, milliseconds = self._set_args(session_id, ttl)
        try:
            self.client.set(key, b"1", px=milliseconds)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None
        self._answered()

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
        """:meth:`revoke` with the asyncio client: ``session_id`` and ``ttl`` as there."""
        key, milliseconds = self._set_args(session_id, ttl)
        try:
            await self.async_client().set(key, b"1", px=milliseconds)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None
        self._answered()

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
    "cookie deleted, but copies of the old cookie stay valid until they expire"
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
