"""The Redis revocation store: revoked session ids shared by every server.

Needs the ``cookiesession[redis]`` extra (redis-py), imported when a store is
made, so ``import cookiesession`` works without it.  See
:mod:`cookiesession.revocation` for what revocation does and the memory store.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._redis_health import Outage, address, check_redis_url, redis_errors
from ._redis_view import (
    EVENTS,
    KEEP_LATEST_AND_ANNOUNCE,
    SET_AND_ANNOUNCE,
    USER_KEY_INFIX,
    LocalView,
    announcement,
    revoked_since,
)
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

__all__ = ["DEFAULT_STALENESS", "RedisRevocationStore"]

#: With ``local_view=True``: the longest a revocation takes to reach every server's view
#: (a view that has not heard from Redis for this long stops answering: see _redis_view).
DEFAULT_STALENESS = 1.0


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

    ``local_view=True`` keeps every revocation record in this process's memory too,
    current through a pub/sub subscription (a background thread, started on the first
    check in each process), so a check costs about what the memory store's does.  A
    revocation reaches every server's view within ``staleness`` seconds (default 1):
    a view that has not heard from Redis for that long stops answering, and checks
    ask Redis again (and follow ``on_error`` if it does not answer).  Every write is
    announced whether or not this store keeps a view, so that stores that do see it.

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
        local_view: bool = False,
        staleness: float = DEFAULT_STALENESS,
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
            check_redis_url(url)
        self._errors = redis_errors()
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
        if local_view and url is None:
            raise ConfigurationError(
                "local_view=True needs the store's url (its subscription has its own connection)"
            )
        if (
            isinstance(staleness, bool)
            or not isinstance(staleness, (int, float))
            or not 0.05 <= staleness <= 60
        ):
            raise ConfigurationError(f"staleness={staleness!r} must be between 0.05 and 60 seconds")
        self.local_view = bool(local_view)
        self.staleness = float(staleness)
        self._view: LocalView | None = None
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

    def _trusted_view(self) -> LocalView | None:
        """The local view, when it may answer (``local_view=True``); started on first use
        in each process."""
        view = self._view
        if view is not None and view.trusted():
            return view
        if not self.local_view:
            return None
        if view is None or not view.alive():
            with self._client_lock:
                view = self._view
                if view is None or not view.alive():
                    view = self._view = LocalView(self._view_client, self.prefix, self.staleness)
        return view if view.trusted() else None

    def _view_client(self) -> Any:
        # Its own connections, with a timeout the subscription's pings fit in.
        options = {**self._options(), "socket_timeout": max(self.timeout, self.staleness)}
        return _import_redis().Redis.from_url(self._url, **options)

    def is_revoked(self, session_id: str) -> bool:
        """Whether ``session_id`` is revoked (one ``EXISTS``).  When Redis cannot answer,
        ``on_error`` decides (``'closed'``: True) and nothing is raised."""
        view = self._trusted_view()
        if view is not None:
            return view.is_revoked(session_id)
        try:
            found = self.client.exists(self._key(session_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return bool(found)

    async def is_revoked_async(self, session_id: str) -> bool:
        """:meth:`is_revoked` with the asyncio client: ``session_id`` as there."""
        view = self._trusted_view()
        if view is not None:
            return view.is_revoked(session_id)
        try:
            found = await self.async_client().exists(self._key(session_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return bool(found)

    def is_refused(self, session_id: str, user_id: str | None, created: float) -> bool:
        """Whether ``session_id`` is revoked or ``user_id`` (None: no user) was revoked
        after ``created``: one ``MGET``, or none while the local view is trusted.  When
        Redis cannot answer, ``on_error`` decides and nothing is raised."""
        view = self._trusted_view()
        if view is not None:
            return view.is_refused(session_id, user_id, created)
        if user_id is None:
            return self.is_revoked(session_id)
        try:
            found, revoked_at = self.client.mget(self._key(session_id), self._user_key(user_id))
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return found is not None or revoked_since(revoked_at, created)

    async def is_refused_async(self, session_id: str, user_id: str | None, created: float) -> bool:
        """:meth:`is_refused` with the asyncio client: ``session_id``, ``user_id`` and
        ``created`` as there."""
        view = self._trusted_view()
        if view is not None:
            return view.is_refused(session_id, user_id, created)
        if user_id is None:
            return await self.is_revoked_async(session_id)
        try:
            keys = (self._key(session_id), self._user_key(user_id))
            found, revoked_at = await self.async_client().mget(*keys)
        except self._errors as exc:
            return self._unavailable_check(exc)
        self._answered()
        return found is not None or revoked_since(revoked_at, created)

    # Each write is one script: the record, and its announcement to the local views.

    def _user_args(self, user_id: str, revoked_at: float, ttl: float | None) -> tuple[Any, ...]:
        check_user_record(user_id, revoked_at)
        milliseconds = math.ceil(check_ttl(ttl, self.unbounded_ttl) * 1000)
        keys = (self._user_key(user_id), self.prefix + EVENTS)
        return (KEEP_LATEST_AND_ANNOUNCE, 2, *keys, repr(float(revoked_at)), milliseconds, user_id)

    def _set_args(self, session_id: str, ttl: float | None) -> tuple[Any, ...]:
        milliseconds = math.ceil(check_ttl(ttl, self.unbounded_ttl) * 1000)
        keys = (self._key(session_id), self.prefix + EVENTS)
        return (SET_AND_ANNOUNCE, 2, *keys, milliseconds, announcement(session_id, milliseconds))

    def revoke_user(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        """Refuse the sessions of ``user_id`` created before ``revoked_at``, for ``ttl``
        seconds (None: ``unbounded_ttl``), in one script that also tells every local view.

        Raises:
            RevocationUnavailable: Redis could not record it.
            ValueError: an empty ``user_id``, a ``revoked_at`` that is not a finite time,
                or a ``ttl`` that is not a positive number of seconds.
        """
        args = self._user_args(user_id, revoked_at, ttl)
        self._write(args)
        self._seen_here(lambda view: view.add_user(user_id, revoked_at, args[5]))

    async def revoke_user_async(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        """:meth:`revoke_user` with the asyncio client: ``user_id``, ``revoked_at`` and
        ``ttl`` as there."""
        args = self._user_args(user_id, revoked_at, ttl)
        await self._write_async(args)
        self._seen_here(lambda view: view.add_user(user_id, revoked_at, args[5]))

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        """Record ``session_id`` as revoked for ``ttl`` seconds (None: ``unbounded_ttl``).

        Raises:
            RevocationUnavailable: Redis could not record it.
            ValueError: ``ttl`` is not a positive number of seconds.
        """
        args = self._set_args(session_id, ttl)
        self._write(args)
        self._seen_here(lambda view: view.add_session(session_id, args[4]))

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
        """:meth:`revoke` with the asyncio client: ``session_id`` and ``ttl`` as there."""
        args = self._set_args(session_id, ttl)
        await self._write_async(args)
        self._seen_here(lambda view: view.add_session(session_id, args[4]))

    def _seen_here(self, note: Callable[[LocalView], None]) -> None:
        # This server's view refuses at once, without waiting for the announcement's echo.
        if self._view is not None:
            note(self._view)

    def _write(self, args: tuple[Any, ...]) -> None:
        try:
            self.client.eval(*args)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None
        self._answered()

    async def _write_async(self, args: tuple[Any, ...]) -> None:
        try:
            await self.async_client().eval(*args)
        except self._errors as exc:
            raise self._unavailable_revoke(exc) from None
        self._answered()

    def close(self) -> None:
        """Close the blocking client's connections (async clients: :meth:`aclose`) and
        stop the local view."""
        if self._view is not None:
            self._view.close()
            self._view = None
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
