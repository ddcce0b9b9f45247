"""Server-side revocation: logout that holds even for a copy of the cookie.

A cookie session lives in the browser, so ``invalidate()`` alone cannot take back
a copy of the old cookie (stolen, or kept by a second tab): it stays valid until
it times out.  With ``revocation=`` on a factory, each stored session carries a
random id (the reserved state key ``_sid_``), ``invalidate()`` records that id
here, and a session whose id is recorded is refused when it comes back.

A record is kept only as long as the session could still be accepted (its idle
or absolute timeout), so a store holds at most the sessions ended while they were
alive, never all sessions.  Every request whose session is not revoked stays
stateless apart from one lookup.

Two stores: :class:`MemoryRevocationStore` (one process; tests, demos, a single
server) and :class:`RedisRevocationStore` (shared by every server; needs the
``cookiesession[redis]`` extra).  Both implement :class:`RevocationStore`, with a
blocking and an ``asyncio`` form of each operation.
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from .exceptions import ConfigurationError, ConfigurationTypeError, MissingDependency, RevocationUnavailable

if TYPE_CHECKING:
    import asyncio

    from .session import CookieSession

# asyncio and redis are imported only when a Redis store is used: `import
# cookiesession` stays light.

__all__ = [
    "SKEW_ALLOWANCE",
    "DEFAULT_PREFIX",
    "DEFAULT_TIMEOUT",
    "DEFAULT_UNBOUNDED_TTL",
    "MemoryRevocationStore",
    "RedisRevocationStore",
    "RevocationStore",
    "revoke",
    "store_from_setting",
]

#: How long a revocation is kept for sessions that never expire on the server
#: (neither ``timeout`` nor ``absolute_timeout``): 30 days.  No finite record can
#: outlive such a session; set ``absolute_timeout`` to make logout hold for good.
DEFAULT_UNBOUNDED_TTL = 30 * 24 * 3600

#: Seconds allowed for Redis to connect and to answer: a slow Redis must not
#: stall requests.  A loopback or same-rack Redis answers in well under 1 ms.
DEFAULT_TIMEOUT = 0.005

#: Prefix of the Redis keys (``<prefix><session id>``).
DEFAULT_PREFIX = "cookiesession:revoked:"

#: Seconds a revocation is kept past the session's own end, so that a server
#: whose clock runs behind the one that revoked still finds the record.
SKEW_ALLOWANCE = 60

OnError = Literal["open", "closed"]

_log = logging.getLogger("cookiesession.revocation")


@runtime_checkable
class RevocationStore(Protocol):
    """Where revoked session ids are kept until the session would have expired.

    ``ttl`` is in seconds; None means the session has no server-side expiry, and
    the store keeps the record for its ``unbounded_ttl``.
    """

    unbounded_ttl: float

    def is_revoked(self, session_id: str) -> bool: ...

    def revoke(self, session_id: str, ttl: float | None = None) -> None: ...

    async def is_revoked_async(self, session_id: str) -> bool: ...

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None: ...


def revocation_ttl(
    timeout: int | None, absolute_timeout: int | None, created: float | None, now: float
) -> float | None:
    """Seconds a revocation made at ``now`` must last: until any cookie of the
    session would have expired anyway, plus :data:`SKEW_ALLOWANCE`.

    ``created`` is the session's start (None if unknown: the bound is then the
    whole absolute timeout).  None means the session never expires on the server.
    """
    bounds: list[float] = []
    if timeout is not None:
        # Every cookie of the session was issued at or before `now`.
        bounds.append(timeout)
    if absolute_timeout is not None:
        bounds.append(absolute_timeout if created is None else created + absolute_timeout - now)
    if not bounds:
        return None
    return max(min(bounds), 0) + SKEW_ALLOWANCE


def _check_ttl(ttl: float | None, unbounded_ttl: float) -> float:
    if ttl is None:
        return unbounded_ttl
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0 or math.isinf(ttl):
        raise ValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")
    return float(ttl)


def _check_unbounded_ttl(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigurationError(f"unbounded_ttl={value!r} must be a positive, finite number of seconds")
    return float(value)


class MemoryRevocationStore:
    """Revoked ids in this process's memory: thread-safe, entries expire by TTL.

    Not shared between processes or servers: use it for tests, demos and
    single-process servers.  Expired entries are purged on every ``revoke``
    (a heap ordered by expiry makes that cheap), so the store holds at most the
    revocations still in force plus those that expired since the last one.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.time, unbounded_ttl: float = DEFAULT_UNBOUNDED_TTL
    ) -> None:
        if not callable(clock):
            raise ConfigurationTypeError("clock must be a callable returning the POSIX time")
        self.unbounded_ttl = _check_unbounded_ttl(unbounded_ttl)
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<MemoryRevocationStore {len(self._expiry)} entries>"

    def __len__(self) -> int:
        """Entries held, expired ones not yet purged included."""
        return len(self._expiry)

    def is_revoked(self, session_id: str) -> bool:
        # A single dict read needs no lock; an expired entry counts as absent.
        expiry = self._expiry.get(session_id)
        return expiry is not None and expiry > self._clock()

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        seconds = _check_ttl(ttl, self.unbounded_ttl)
        with self._lock:
            now = self._clock()
            self._purge(now)
            expiry = now + seconds
            if self._expiry.get(session_id, -math.inf) < expiry:
                self._expiry[session_id] = expiry
                heapq.heappush(self._heap, (expiry, session_id))

    def purge(self) -> None:
        """Drop every expired entry now (``revoke`` also does this)."""
        with self._lock:
            self._purge(self._clock())

    def _purge(self, now: float) -> None:
        heap, entries = self._heap, self._expiry
        while heap and heap[0][0] <= now:
            expiry, session_id = heapq.heappop(heap)
            # A later revoke of the same id pushed a later expiry: keep that one.
            if entries.get(session_id) == expiry:
                del entries[session_id]

    async def is_revoked_async(self, session_id: str) -> bool:
        return self.is_revoked(session_id)

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
        self.revoke(session_id, ttl)


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
        self.unbounded_ttl = _check_unbounded_ttl(unbounded_ttl)
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
        milliseconds = math.ceil(_check_ttl(ttl, self.unbounded_ttl) * 1000)
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


def store_from_setting(
    value: str,
    *,
    on_error: OnError = "open",
    timeout: float = DEFAULT_TIMEOUT,
    prefix: str = DEFAULT_PREFIX,
) -> RevocationStore:
    """A store from a setting string: ``'memory'``, or a Redis URL (``redis://``, ``rediss://``, ``unix://``)."""
    text = value.strip()
    if text == "memory":
        return MemoryRevocationStore()
    if text.startswith(("redis://", "rediss://", "unix://")):
        return RedisRevocationStore(text, on_error=on_error, timeout=timeout, prefix=prefix)
    raise ConfigurationError(
        "revocation must be 'memory', a Redis URL (redis://host:6379/0) or a revocation store, "
        f"not a string starting {text[:8]!r}"
    )


def check_revocation_option(value: object) -> RevocationStore | None:
    """The factory's ``revocation=`` option as a store (or None), checked at start-up."""
    if value is None:
        return None
    if isinstance(value, str):
        return store_from_setting(value)
    if not isinstance(value, RevocationStore):
        raise ConfigurationTypeError(
            "revocation must be None, 'memory', a Redis URL or a store with is_revoked(), revoke(), "
            f"is_revoked_async(), revoke_async() and unbounded_ttl, not {type(value).__name__}"
        )
    return value


def revoke(session_factory: type[CookieSession], session_id: str) -> None:
    """Revoke ``session_id`` from outside a request ("sign out everywhere", admin tools).

    The record is kept as long as any session of ``session_factory`` could still
    be accepted: ``min(timeout, absolute_timeout)`` (plus a margin for clock skew),
    or the store's ``unbounded_ttl`` when the factory has neither.  Raises
    :class:`~cookiesession.exceptions.RevocationUnavailable` if the store cannot
    record it.
    """
    store = getattr(session_factory, "_revocation", None)
    if store is None:
        raise ConfigurationError("this session factory has no revocation store: pass revocation=")
    if not isinstance(session_id, str) or not session_id:
        raise ValueError("session_id must be a non-empty str")
    store.revoke(session_id, session_factory._revocation_ttl(None, session_factory._clock()))
