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
from typing import Any, Literal, Protocol, runtime_checkable

from .exceptions import ConfigurationError, ConfigurationTypeError
from .loading import DEFAULT_CLOCK_SKEW

# asyncio and redis are imported only when a Redis store is used: `import
# cookiesession` stays light.

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_TIMEOUT",
    "DEFAULT_UNBOUNDED_TTL",
    "MemoryRevocationStore",
    "RevocationStore",
    "UserRevocationStore",
    "revocation_ttl",
    "store_from_setting",
    "user_text",
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

OnError = Literal["open", "closed"]

_log = logging.getLogger("cookiesession.revocation")


@runtime_checkable
class RevocationStore(Protocol):
    """Where revoked session ids are kept until the session would have expired.

    ``ttl`` is in seconds; None means the session has no server-side expiry, and
    the store keeps the record for its ``unbounded_ttl``.
    """

    unbounded_ttl: float

    def is_revoked(self, session_id: str) -> bool:
        """Whether ``session_id`` was revoked (and the record has not expired).

        A store that cannot answer decides by its own policy (see ``on_error`` of
        :class:`~cookiesession.redis_store.RedisRevocationStore`) and does not raise."""
        ...

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        """Record ``session_id`` as revoked for ``ttl`` seconds (None: ``unbounded_ttl``).

        Raises:
            RevocationUnavailable: the store could not record it.
            ValueError: ``ttl`` is not a positive number of seconds.
        """
        ...

    async def is_revoked_async(self, session_id: str) -> bool:
        """:meth:`is_revoked` for asyncio: ``session_id`` as there."""
        ...

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
        """:meth:`revoke` for asyncio: ``session_id`` and ``ttl`` as there."""
        ...


@runtime_checkable
class UserRevocationStore(RevocationStore, Protocol):
    """A store that also revokes every session of a user (``user_key=`` on a factory).

    ``revoke_user`` records that the sessions of ``user_id`` created before
    ``revoked_at`` (POSIX seconds) are refused, for ``ttl`` seconds (as ``revoke``);
    ``is_refused`` answers, in one look-up, whether a session is refused: its id is
    revoked, or ``user_id`` (None: the session holds no user) was revoked after the
    session's ``created``.
    """

    def is_refused(self, session_id: str, user_id: str | None, created: float) -> bool:
        """Whether the session ``session_id``, holding ``user_id`` (None: no user) and
        created at ``created`` (POSIX seconds), is refused; one look-up.  A store that
        cannot answer decides by its own policy and does not raise."""
        ...

    def revoke_user(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        """Refuse the sessions of ``user_id`` created before ``revoked_at`` (POSIX
        seconds), for ``ttl`` seconds (None: ``unbounded_ttl``).

        Raises:
            RevocationUnavailable: the store could not record it.
            ValueError: an empty ``user_id``, a ``revoked_at`` that is not a finite time,
                or a ``ttl`` that is not a positive number of seconds.
        """
        ...

    async def is_refused_async(self, session_id: str, user_id: str | None, created: float) -> bool:
        """:meth:`is_refused` for asyncio: ``session_id``, ``user_id`` and ``created`` as there."""
        ...

    async def revoke_user_async(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        """:meth:`revoke_user` for asyncio: ``user_id``, ``revoked_at`` and ``ttl`` as there."""
        ...


def user_text(value: object) -> str | None:
    """The user id a session's state holds (``value`` (a str, or an int that is not a bool), as a
    store keeps it): its text, so that ``42`` and ``"42"`` are one user.  None for
    anything else: such a session is checked by its id only."""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    return None


def revocation_ttl(
    timeout: int | None,
    absolute_timeout: int | None,
    created: float | None,
    now: float,
    clock_skew: float = DEFAULT_CLOCK_SKEW,
) -> float | None:
    """Seconds a revocation made at ``now`` must last: until any cookie of the
    session would have expired anyway, plus ``clock_skew``.

    A cookie whose times lie up to ``clock_skew`` seconds in a reader's future
    (written by a server whose clock runs ahead) is read as written now, so it
    lives that much longer than its timeout: the record must outlast it too.
    ``created`` is the session's start (None if unknown: the bound is then the
    whole absolute timeout).  None means the session never expires on the server.
    ``timeout`` and ``absolute_timeout`` are the factory's, in seconds (or None).
    """
    bounds: list[float] = []
    if timeout is not None:
        # Every cookie of the session was issued at or before `now`.
        bounds.append(timeout)
    if absolute_timeout is not None:
        bounds.append(absolute_timeout if created is None else created + absolute_timeout - now)
    if not bounds:
        return None
    return max(min(bounds), 0) + clock_skew


def check_ttl(ttl: float | None, unbounded_ttl: float) -> float:
    if ttl is None:
        return unbounded_ttl
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0 or math.isinf(ttl):
        raise ValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")
    return float(ttl)


def check_unbounded_ttl(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigurationError(f"unbounded_ttl={value!r} must be a positive, finite number of seconds")
    return float(value)


class MemoryRevocationStore:
    """Revoked ids in this process's memory: thread-safe, entries expire by TTL.

    Not shared between processes or servers: use it for tests, demos and
    single-process servers.  Expired entries are purged on every ``revoke``
    (a heap ordered by expiry makes that cheap), so the store holds at most the
    revocations still in force plus those that expired since the last one.

    Args:
        clock: a ``time.time`` stand-in, for tests.
        unbounded_ttl: seconds a record lasts when the factory has no timeout (30 days).

    Raises:
        ConfigurationError: ``unbounded_ttl`` is not a positive, finite number.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.time, unbounded_ttl: float = DEFAULT_UNBOUNDED_TTL
    ) -> None:
        if not callable(clock):
            raise ConfigurationTypeError("clock must be a callable returning the POSIX time")
        self.unbounded_ttl = check_unbounded_ttl(unbounded_ttl)
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        # user id -> (revoked_at, expiry), and a heap of user expiries.
        self._users: dict[str, tuple[float, float]] = {}
        self._user_heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<MemoryRevocationStore {len(self)} entries>"

    def __len__(self) -> int:
        """Entries held (sessions and users), expired ones not yet purged included."""
        return len(self._expiry) + len(self._users)

    def is_revoked(self, session_id: str) -> bool:
        """Whether ``session_id`` was revoked and its record has not expired."""
        # A single dict read needs no lock; an expired entry counts as absent.
        expiry = self._expiry.get(session_id)
        return expiry is not None and expiry > self._clock()

    def revoke(self, session_id: str, ttl: float | None = None) -> None:
        """Record ``session_id`` as revoked for ``ttl`` seconds (None: ``unbounded_ttl``).

        Raises:
            ValueError: ``ttl`` is not a positive number of seconds.
        """
        seconds = check_ttl(ttl, self.unbounded_ttl)
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

    def is_refused(self, session_id: str, user_id: str | None, created: float) -> bool:
        """Whether ``session_id`` is revoked, or ``user_id`` (None: no user) was revoked
        after ``created``; see :class:`UserRevocationStore`."""
        if self.is_revoked(session_id):
            return True
        record = None if user_id is None else self._users.get(user_id)
        return record is not None and created < record[0] and record[1] > self._clock()

    def revoke_user(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        """Refuse the sessions of ``user_id`` created before ``revoked_at``, for ``ttl``
        seconds; a second call keeps the later time and the later expiry.  Raises
        ``ValueError`` as :meth:`UserRevocationStore.revoke_user` says."""
        seconds = check_ttl(ttl, self.unbounded_ttl)
        check_user_record(user_id, revoked_at)
        with self._lock:
            now = self._clock()
            self._purge(now)
            expiry = now + seconds
            # Two calls: the later revocation time and the later expiry both hold.
            earlier = self._users.get(user_id)
            if earlier is not None:
                revoked_at, expiry = max(earlier[0], revoked_at), max(earlier[1], expiry)
            self._users[user_id] = (revoked_at, expiry)
            heapq.heappush(self._user_heap, (expiry, user_id))

    def _purge(self, now: float) -> None:
        heap, entries = self._heap, self._expiry
        while heap and heap[0][0] <= now:
            expiry, session_id = heapq.heappop(heap)
            # A later revoke of the same id pushed a later expiry: keep that one.
            if entries.get(session_id) == expiry:
                del entries[session_id]
        user_heap, users = self._user_heap, self._users
        while user_heap and user_heap[0][0] <= now:
            expiry, user_id = heapq.heappop(user_heap)
            record = users.get(user_id)
            if record is not None and record[1] == expiry:
                del users[user_id]

    async def is_revoked_async(self, session_id: str) -> bool:
        """:meth:`is_revoked` (memory needs no waiting): ``session_id`` as there."""
        return self.is_revoked(session_id)

    async def revoke_async(self, session_id: str, ttl: float | None = None) -> None:
        """:meth:`revoke` (memory needs no waiting): ``session_id`` and ``ttl`` as there."""
        self.revoke(session_id, ttl)

    async def is_refused_async(self, session_id: str, user_id: str | None, created: float) -> bool:
        """:meth:`is_refused` (memory needs no waiting): ``session_id``, ``user_id`` and
        ``created`` as there."""
        return self.is_refused(session_id, user_id, created)

    async def revoke_user_async(self, user_id: str, revoked_at: float, ttl: float | None = None) -> None:
        """:meth:`revoke_user` (memory needs no waiting): ``user_id``, ``revoked_at`` and
        ``ttl`` as there."""
        self.revoke_user(user_id, revoked_at, ttl)


def check_user_record(user_id: object, revoked_at: object) -> None:
    if type(user_id) is not str or not user_id:
        raise ValueError("user_id must be a non-empty str (the text of the user's id)")
    if (
        isinstance(revoked_at, bool)
        or not isinstance(revoked_at, (int, float))
        or not math.isfinite(revoked_at)
    ):
        raise ValueError(f"revoked_at must be a finite POSIX time, not {revoked_at!r}")


def store_from_setting(
    value: str,
    *,
    on_error: OnError = "closed",
    timeout: float = DEFAULT_TIMEOUT,
    prefix: str = DEFAULT_PREFIX,
    local_view: bool = False,
) -> RevocationStore:
    """A store from a setting string (Pyramid's ``cookiesession.revocation``, the factories'
    ``revocation="..."``).

    Args:
        value: ``'memory'``, or a Redis URL (``redis://``, ``rediss://``, ``unix://``).
        on_error: a Redis store's ``on_error``: ``'closed'`` or ``'open'``.
        timeout: a Redis store's ``timeout``, in seconds.
        prefix: a Redis store's key prefix.
        local_view: a Redis store's ``local_view`` (answer checks from memory, kept
            current by pub/sub; see :class:`~cookiesession.redis_store.RedisRevocationStore`).

    Raises:
        ConfigurationError: any other ``value``, or a Redis option that cannot work.
        MissingDependency: a Redis URL without the ``redis`` package.
    """
    text = value.strip()
    if text == "memory":
        return MemoryRevocationStore()
    if text.startswith(("redis://", "rediss://", "unix://")):
        from .redis_store import RedisRevocationStore

        return RedisRevocationStore(
            text, on_error=on_error, timeout=timeout, prefix=prefix, local_view=local_view
        )
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


def __getattr__(name: str) -> Any:
    # RedisRevocationStore lives in cookiesession.redis_store, imported on use so
    # that this module needs nothing but the standard library.
    if name == "RedisRevocationStore":
        from .redis_store import RedisRevocationStore

        return RedisRevocationStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
