"""The demo's keys and cookie format, changed while it runs: every app asks here for today's factory.

One process serves every app, so one :class:`Board` (and one revocation store)
is shared by all of them.  Rotating the key makes a new secret current and
keeps the old ones as ``fallback_secrets``; switching the format swaps the
signed factory for the encrypted one (or back).  Factories are immutable, so a
change builds a new one and later requests use it; a request already running
finishes with the factory it started with.
"""

from __future__ import annotations

import secrets
import shlex
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cookiesession import EncryptedCookieSessionFactory, SignedCookieSessionFactory
from cookiesession.revocation import RevocationStore
from cookiesession.session import CookieSession

__all__ = ["ABSOLUTE_TIMEOUT", "COOKIE_NAME", "TIMEOUT", "USER_KEY", "Board", "Key"]

COOKIE_NAME = "session"
USER_KEY = "user"  # the state key holding the signed-in user's name
TIMEOUT = 15 * 60  # idle: a session not used for 15 minutes ends
ABSOLUTE_TIMEOUT = 8 * 60 * 60  # and none lasts more than a working day
# Older keys kept as fallbacks after a rotation; older still, and their cookies stop verifying.
FALLBACKS_KEPT = 2

# The cookie every app writes (Django's own settings say the same, see django_app).
COOKIE_OPTIONS: dict[str, Any] = {
    "cookie_name": COOKIE_NAME,
    "httponly": True,
    "samesite": "Lax",
    "path": "/",
    "timeout": TIMEOUT,
    "absolute_timeout": ABSOLUTE_TIMEOUT,
}


@dataclass(frozen=True)
class Key:
    """A secret with a short name the pages can show ("k1", "k2", ...)."""

    label: str
    secret: str

    def __repr__(self) -> str:  # never the secret itself
        return f"Key({self.label})"


class Board:
    """The current secret, the fallbacks, the format, and the factory they make."""

    def __init__(self, secret: str, store: RevocationStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._keys: tuple[Key, ...] = (Key("k1", secret),)  # newest first
        self._encrypted = False
        self._factory = self._build(self._keys, encrypted=False, store=store)
        # Factories without revocation, per (secret, format): they say which key
        # verifies a cookie, and tell a revoked cookie from a forged one.
        self._checkers: dict[tuple[str, bool], type[CookieSession]] = {}

    # -- what the apps read ------------------------------------------------------------

    @property
    def factory(self) -> type[CookieSession]:
        return self._factory

    @property
    def encrypted(self) -> bool:
        return self._encrypted

    @property
    def current_key(self) -> Key:
        return self._keys[0]

    @property
    def fallback_keys(self) -> tuple[Key, ...]:
        return self._keys[1:]

    def django_options(self) -> Mapping[str, Any]:
        """Django's ``COOKIESESSION`` setting, always the current one (read on every request)."""
        return _LiveDjangoOptions(self)

    # -- the controls ------------------------------------------------------------------

    def rotate(self) -> Key:
        """A new current secret; the previous ones become fallbacks (the oldest dropped)."""
        with self._lock:
            number = int(self._keys[0].label[1:]) + 1
            new = Key(f"k{number}", secrets.token_urlsafe(48))
            self._keys = (new, *self._keys[:FALLBACKS_KEPT])
            self._factory = self._build(self._keys, encrypted=self._encrypted, store=self.store)
            return new

    def set_encrypted(self, encrypted: bool) -> type[CookieSession]:
        """Switch the format; returns the factory used until now (to read the cookie being converted)."""
        with self._lock:
            before = self._factory
            if encrypted != self._encrypted:
                self._encrypted = encrypted
                self._factory = self._build(self._keys, encrypted=encrypted, store=self.store)
            return before

    # -- what the pages show about a cookie ----------------------------------------------

    def key_of(self, value: str | None) -> tuple[Key, bool] | None:
        """The key that verifies ``value`` (revoked or not) and whether it is encrypted; None if none does."""
        if not value:
            return None
        for encrypted in (self._encrypted, not self._encrypted):
            for key in self._keys:
                if not self._checker(key.secret, encrypted).from_cookie_value(value).new:
                    return key, encrypted
        return None

    def refusal(self, value: str | None) -> str | None:
        """Why the current factory refuses ``value``: 'revoked', 'bad', or None when it is
        accepted (or there is no cookie).  Loads the cookie a second time, on purpose: the
        answer is the same for every framework, whatever its session object tells."""
        if not value or not self._factory.from_cookie_value(value).new:
            return None
        found = self.key_of(value)
        return "revoked" if found is not None and found[1] == self._encrypted else "bad"

    def sizes(self, state: Mapping[str, Any]) -> dict[str, int]:
        """The length of the cookie value storing ``state``, signed and encrypted, with the current key."""
        sizes = {}
        for name, encrypted in (("signed", False), ("encrypted", True)):
            session = self._checker(self.current_key.secret, encrypted).from_cookie_value(None)
            session.update(state)
            sizes[name] = len(session.token())
        return sizes

    def decode_command(self, value: str) -> str | None:
        """The ``cookiesession decode`` command line that shows what ``value`` holds."""
        found = self.key_of(value)
        if found is None:
            return None
        key, encrypted = found
        words = [
            "cookiesession",
            "decode",
            "--timeout",
            str(TIMEOUT),
            "--absolute-timeout",
            str(ABSOLUTE_TIMEOUT),
            *(["--encrypted"] if encrypted else []),
            "--",  # a cookie value may start with '-'
            value,
        ]
        return f"COOKIESESSION_SECRET={shlex.quote(key.secret)} {shlex.join(words)}"

    # -- building ----------------------------------------------------------------------

    def _checker(self, secret: str, encrypted: bool) -> type[CookieSession]:
        found = self._checkers.get((secret, encrypted))
        if found is None:
            found = self._build((Key("", secret),), encrypted=encrypted, store=None)
            self._checkers[(secret, encrypted)] = found
        return found

    @staticmethod
    def _build(
        keys: tuple[Key, ...], *, encrypted: bool, store: RevocationStore | None
    ) -> type[CookieSession]:
        make = EncryptedCookieSessionFactory if encrypted else SignedCookieSessionFactory
        return make(
            keys[0].secret,
            fallback_secrets=[key.secret for key in keys[1:]],
            revocation=store,
            # The signed-in user's name, for "sign out of all my devices" (needs the store).
            user_key=None if store is None else USER_KEY,
            **COOKIE_OPTIONS,
        )


class _LiveDjangoOptions(Mapping[str, Any]):
    """``settings.COOKIESESSION`` that follows the board: Django's engine copies it on
    every request and builds a new factory when the copy differs from the last one."""

    def __init__(self, board: Board) -> None:
        self._board = board

    def _now(self) -> dict[str, Any]:
        board = self._board
        return {
            "secret": board.current_key.secret,
            "fallback_secrets": tuple(key.secret for key in board.fallback_keys),
            "encrypt": board.encrypted,
            "revocation": board.store,
            "user_key": USER_KEY,
            "absolute_timeout": ABSOLUTE_TIMEOUT,
        }

    def __getitem__(self, name: str) -> Any:
        return self._now()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())
