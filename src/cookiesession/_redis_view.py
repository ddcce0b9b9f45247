"""A local view of the Redis revocation records, kept current by pub/sub.

Revocations are few (only sessions ended while still alive, and users signed out
everywhere), so each server can hold all of them and answer a check from memory.
Every write to the store also publishes what it wrote on ``<prefix>events``; a
background thread subscribes, then loads the records already there (SCAN), then
applies each announcement as it comes.  Records are merged (the later expiry and
revocation time win), so an announcement that races the load changes nothing.

Trust is bounded in time: the thread pings Redis over the subscription every
``staleness / 4`` seconds, and the view answers only while the last ping it heard
back was *sent* less than ``staleness`` seconds ago.  Redis answers a subscriber's
ping after every message it published to it before, so a view that answers at time
``t`` has received every revocation written before ``t - staleness``: a revocation
reaches every server within ``staleness`` seconds, or that server has stopped
trusting its view and asks Redis again (and follows ``on_error`` if Redis does not
answer).  The wire formats of the records and announcements are here too.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import Any

__all__ = [
    "EVENTS",
    "KEEP_LATEST_AND_ANNOUNCE",
    "USER_KEY_INFIX",
    "LocalView",
    "announcement",
    "revoked_since",
]

_log = logging.getLogger("cookiesession.revocation")

#: The channel (``<prefix>events``) on which every write is announced.
EVENTS = "events"

#: ``<prefix>user:<user id>`` holds the time of the user's latest revocation.
USER_KEY_INFIX = "user:"

#: A user's record keeps the later of two revocation times and of two expiries (two
#: servers revoking one user at once cannot shorten what either wrote), and the write is
#: announced.  KEYS[1] the record, KEYS[2] the channel; ARGV the time, the TTL (ms).
KEEP_LATEST_AND_ANNOUNCE = """
local at = ARGV[1]
local earlier = redis.call('GET', KEYS[1])
if earlier and tonumber(earlier) and tonumber(earlier) > tonumber(at) then at = earlier end
local px = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > px then px = left end
redis.call('SET', KEYS[1], at, 'PX', px)
redis.call('PUBLISH', KEYS[2], 'u ' .. px .. ' ' .. at .. ' ' .. ARGV[3])
return 1
"""


# A session's record, and its announcement.  KEYS[1] the record, KEYS[2] the channel.
SET_AND_ANNOUNCE = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1
"""


def announcement(session_id: str, milliseconds: int) -> str:
    """What a session's revocation publishes (a user's is written by the script above)."""
    return f"s {milliseconds} {session_id}"


def revoked_since(record: bytes | str | None, created: float) -> bool:
    """Whether a user's record (the time of the revocation) refuses a session that
    started at ``created``.  A record that is not a time refuses: it was not written
    by us, and refusing is the side to err on."""
    if record is None:
        return False
    try:
        revoked_at = float(record)
    except ValueError:
        return True
    return not created >= revoked_at


# Every view of this process, so that a forked child stops trusting them (their thread
# stayed in the parent); each store then starts a view of its own in the child.
_VIEWS: weakref.WeakSet[LocalView] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for view in list(_VIEWS):
        view._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _glob_escaped(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class LocalView:
    """All revocation records under one prefix, in memory; see the module's doc."""

    def __init__(self, make_client: Any, prefix: str, staleness: float) -> None:
        self._make_client = make_client
        self._prefix = prefix
        self.channel = prefix + EVENTS
        self.staleness = staleness
        self._sessions: dict[str, float] = {}  # id -> expiry (time.monotonic)
        self._users: dict[str, tuple[float, float]] = {}  # user -> (revoked_at, expiry)
        self._lock = threading.Lock()
        self._heard_at = -float("inf")  # when the last ping answered was sent
        self._loaded = False
        self._following = False  # subscribed and loaded, since the last loss
        self._stop = threading.Event()
        _VIEWS.add(self)
        self._thread = threading.Thread(target=self._run, name="cookiesession-revocations", daemon=True)
        self._thread.start()

    def trusted(self) -> bool:
        """Whether the view may answer now (see the module's doc)."""
        return self._loaded and time.monotonic() - self._heard_at < self.staleness

    def alive(self) -> bool:
        """False once closed, or in a forked child (which has the view but not its thread)."""
        return not self._stop.is_set()

    def _forked(self) -> None:
        self._loaded = False
        self._stop.set()

    def is_revoked(self, session_id: str) -> bool:
        expiry = self._sessions.get(session_id)
        return expiry is not None and expiry > time.monotonic()

    def is_refused(self, session_id: str, user_id: str | None, created: float) -> bool:
        if self.is_revoked(session_id):
            return True
        record = None if user_id is None else self._users.get(user_id)
        return record is not None and created < record[0] and record[1] > time.monotonic()

    def add_session(self, session_id: str, milliseconds: float) -> None:
        expiry = time.monotonic() + milliseconds / 1000
        with self._lock:
            if self._sessions.get(session_id, -float("inf")) < expiry:
                self._sessions[session_id] = expiry

    def add_user(self, user_id: str, revoked_at: float, milliseconds: float) -> None:
        expiry = time.monotonic() + milliseconds / 1000
        with self._lock:
            earlier = self._users.get(user_id)
            if earlier is not None:
                revoked_at, expiry = max(earlier[0], revoked_at), max(earlier[1], expiry)
            self._users[user_id] = (revoked_at, expiry)

    def close(self) -> None:
        self._stop.set()

    # -- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        pause = 0.05
        while not self._stop.is_set():
            try:
                self._follow()
            except Exception as exc:  # noqa: BLE001 - whatever failed, the view is not trusted until it resubscribes
                # Logged once per loss, not once per attempt to subscribe again.
                if self._following and not self._stop.is_set():
                    _log.warning(
                        "revocation view lost its subscription (%s); checks ask Redis", type(exc).__name__
                    )
                    pause = 0.05
            self._following = False
            self._stop.wait(pause)
            pause = min(pause * 2, 2.0)

    def _follow(self) -> None:
        # Trusted again only once a ping sent after the load is answered: its answer comes
        # after every announcement made before it, so those are applied by then.
        self._heard_at = -float("inf")
        client = self._make_client()
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            started = time.monotonic()
            while pubsub.get_message(timeout=self.staleness) is None:  # the subscription's confirmation
                if time.monotonic() - started > 10 * self.staleness:
                    raise TimeoutError("no confirmation of the subscription")
            self._load(client)
            self._loaded = self._following = True
            self._listen(pubsub)
        finally:
            self._loaded = False
            pubsub.close()
            client.close()

    def _load(self, client: Any) -> None:
        match = _glob_escaped(self._prefix) + "*"
        skip = len(self._prefix)
        batch: list[Any] = []
        for key in client.scan_iter(match=match, count=1000):
            batch.append(key)
            if len(batch) >= 500:
                self._load_batch(client, batch, skip)
                batch = []
        if batch:
            self._load_batch(client, batch, skip)

    def _load_batch(self, client: Any, keys: list[Any], skip: int) -> None:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
            pipe.pttl(key)
        answers = pipe.execute()
        for index, key in enumerate(keys):
            value, left = answers[2 * index], answers[2 * index + 1]
            if value is None or left is None or left < 0:
                continue
            name = (key.decode("utf-8", "replace") if isinstance(key, bytes) else key)[skip:]
            if name.startswith(USER_KEY_INFIX):
                user_id = name[len(USER_KEY_INFIX) :]
                refuses_all = revoked_since(value, float("inf"))  # a record that is not a time
                self.add_user(user_id, float("inf") if refuses_all else float(value), left)
            else:
                self.add_session(name, left)

    def _listen(self, pubsub: Any) -> None:
        interval = self.staleness / 4
        next_ping = next_purge = 0.0
        listening_since = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now - max(self._heard_at, listening_since) > 10 * self.staleness:
                # A connection that stays silent (a network partition may never close it): start over.
                raise TimeoutError("no answer to the subscription's pings")
            if now >= next_ping:
                pubsub.ping(message=repr(now))
                next_ping = now + interval
            if now >= next_purge:
                self._purge()
                next_purge = now + 60
            message = pubsub.get_message(timeout=interval)
            if message is not None:
                self._apply(message)

    def _apply(self, message: dict[str, Any]) -> None:
        data = message.get("data")
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        kind = message.get("type")
        try:
            if kind == "pong":
                self._heard_at = max(self._heard_at, float(text))
            elif kind == "message":
                self._announced(text)
        except ValueError:
            _log.warning("an announcement on %s is not one of ours; ignored", self.channel)

    def _announced(self, text: str) -> None:
        kind, _, rest = text.partition(" ")
        milliseconds, _, rest = rest.partition(" ")
        if kind == "s":
            self.add_session(rest, float(milliseconds))
        elif kind == "u":
            revoked_at, _, user_id = rest.partition(" ")
            self.add_user(user_id, float(revoked_at), float(milliseconds))

    def _purge(self) -> None:
        now = time.monotonic()
        with self._lock:
            for session_id in [k for k, expiry in self._sessions.items() if expiry <= now]:
                del self._sessions[session_id]
            for user_id in [k for k, (_, expiry) in self._users.items() if expiry <= now]:
                del self._users[user_id]
