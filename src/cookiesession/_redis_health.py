"""The health of a Redis revocation store: its outages, logged once each, and its
address for log lines (never its credentials)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from .revocation import OnError

__all__ = ["Outage", "address", "describe"]

_log = logging.getLogger("cookiesession.revocation")


class Outage:
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
            describe(exc),
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


def describe(exc: BaseException) -> str:
    # The exception's type only: its text may name a credential from the URL, and a
    # log line must never carry a session id.
    return type(exc).__name__


def address(url: str | None, client: Any) -> str:
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
