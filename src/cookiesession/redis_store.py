"""The Redis revocation store: revoked session ids shared by every server.

Needs the ``cookiesession[redis]`` extra (redis-py), imported when a store is
made, so ``import cookiesession`` works without it.  See
:mod:`cookiesession.revocation` for what revocation does and the memory store.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

from ._redis_health import Outage, address
from .exceptions import ConfigurationError, ConfigurationTypeError, MissingDependency, RevocationUnavailable
from .revocation import (
    DEFAULT_PREFIX,
    DEFAULT_TIMEOUT,
    DEFAULT_UNBOUNDED_TTL,
    OnError,
    check_ttl,
    check_unbounded_ttl,
    check_user_record,
)

if TYPE_CHECKING:
    import asyncio

__all__ = ["RedisRevocationStore"]


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
        self._health = Outage(address(url, client if client is not None else async_client))

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

    def _user_key(self, user_id: str) -> str:
        # A session id is 22 base64url characters, never "user:...": the two cannot collide.
        return self.prefix + USER_KEY_INFIX + user_id

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
        try:
            found = self.client.exists(self._key(session_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return bool(found)

    async def is_revoked_async(self, session_id: str) -> bool:
        try:
            found = await self.async_client().exists(self._key(session_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return bool(found)

    def is_refused(self, session_id: str, user_id: str | None, created: float) -> bool:
        if user_id is None:
            return self.is_revoked(session_id)
        try:
            found, revoked_at = self.client.mget(self._key(session_id), self._user_key(user_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return found is not None or revoked_since(revoked_at, created)

    async def is_refused_async(self, session_id: str, user_id: str | None, created: float) -> bool:
        if user_id is None:
            return await self.is_revoked_async(session_id)
        try:
            keys = (self._key(session_id), self._user_key(user_id))
            found, revoked_at = await self.async_client().mget(*keys)
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return found is not None or revoked_since(revoked_at, created)

    def _user_args(self, user_id: str, revoked_at: float, ttl: float | None) -> tuple[str, str, str, int]:
        check_user_record(user_id, revoked_at)
        milliseconds = math.ceil(check_ttl(ttl, self.unbounded_ttl) * 1000)
        return _KEEP_LATEST, self._user_key(user_id), repr(float(revoked_at)), milliseconds

    def revoke_user(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        script, key, when, milliseconds = self._user_args(user_id, revoked_at, ttl)
        try:
            self.client.eval(script, 1, key, when, milliseconds)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None
        self._answered()

    async def revoke_user_async(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        script, key, when, milliseconds = self._user_args(user_id, revoked_at, ttl)
        try:
            await self.async_client().eval(script, 1, key, when, milliseconds)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None
        self._answered()

    def _set_args(self, session_id: str, ttl: float | None) -> tuple[str, int]:
        milliseconds = math.ceil(check_ttl(ttl, self.unbounded_ttl) * 1000)
        return self._key(session_id), milliseconds

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        key, milliseconds = self._set_args(session_id, ttl)
        try:
            self.client.set(key, b"1", px=milliseconds)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None
        self._answered()

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
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


#: ``<prefix>user:<user id>`` holds the time of the user's latest revocation.
USER_KEY_INFIX = "user:"

# A user's record keeps the later of two revocation times and of two expiries, so two
# servers revoking the same user at once cannot shorten what either recorded.
_KEEP_LATEST = """
local at = ARGV[1]
local earlier = redis.call('GET', KEYS[1])
if earlier and tonumber(earlier) and tonumber(earlier) > tonumber(at) then at = earlier end
local px = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > px then px = left end
redis.call('SET', KEYS[1], at, 'PX', px)
return 1
"""


def revoked_since(record: bytes | str | None, created: float) -> bool:
    """Whether a user's record (the time of the revocation) refuses a session that
    started at ``created``.  A record that is not a time refuses: it was not written by us,
    and refusing is the side to err on."""
    if record is None:
        return False
    try:
        revoked_at = float(record)
    except ValueError:
        return True
    return not created >= revoked_at


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
