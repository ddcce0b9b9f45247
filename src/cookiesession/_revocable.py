"""Revocation bookkeeping for a session: its id, and the logouts it records.

With ``revocation=`` on a factory, each stored session carries a random id under
a reserved key (``_sid_``, in the style of Pyramid's own keys, so Pyramid still
reads the cookie); ``invalidate()`` records that id in the factory's store
(:mod:`cookiesession.revocation`), and a session whose id is recorded is refused
when it comes back.  Under asyncio the record waits for
:meth:`Revocable.revoke_pending_async`, so the event loop never blocks.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import ClassVar

from . import _base64
from ._flash_csrf import FlashAndCsrf
from .loading import Limits, Loaded
from .revocation import RevocationStore, UserRevocationStore, revocation_ttl, user_text

__all__ = ["SID_KEY", "Revocable", "new_session_id", "recorded_id", "token_session_id"]

SID_KEY = "_sid_"

_log = logging.getLogger("cookiesession.revocation")


def new_session_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, 22 characters


def token_session_id(token: str) -> str:
    """The id of a session whose cookie carries none (stored before ``revocation=``
    was turned on, or by a server without it): a digest of the cookie value itself.

    Revoking it refuses that very cookie, and any copy of it, on every server; the
    session, once written again, carries it as its ``_sid_``, so the cookies issued
    from then on are revoked with it.  (A random id given at that point would leave
    the old cookie, and any stolen copy of it, unrevocable.)  22 characters, as a
    random id: 128 bits of SHA-256 over a label and the token.
    """
    digest = hashlib.sha256(b"cookiesession.session-id:" + token.encode("utf-8")).digest()
    return _base64.encode(digest[:16])


def recorded_id(loaded: Loaded | None) -> str | None:
    """The id a revocation store may hold for the cookie ``loaded``: its ``_sid_``,
    or, for a cookie without one, the digest of its value (None: no cookie)."""
    if loaded is None:
        return None
    session_id = loaded.state.get(SID_KEY)
    return session_id if type(session_id) is str else token_session_id(loaded.token)


class Revocable(FlashAndCsrf):
    """The revocation side of a session; :class:`~cookiesession.CookieSession` is one."""

    __slots__ = ()

    # Set on the class that each factory builds.
    _revocation: ClassVar[RevocationStore | None] = None
    # The state key of the user's id (user_key=); its store is then a UserRevocationStore.
    _user_key: ClassVar[str | None] = None
    _limits: ClassVar[Limits]
    _clock: Callable[[], float]

    # Class defaults, so a session that never uses them pays nothing; set on the
    # instance (its __dict__) only when needed.
    _io_async: bool = False  # made by from_cookie_header_async: do no blocking I/O
    _pending_revocations: tuple[tuple[str, float | None], ...] = ()
    # The id of a session loaded from a cookie without one (see token_session_id).
    _token_id: str | None = None
    # Why the logout could not be recorded (see revocation_error).
    _revocation_error: Exception | None = None

    # The session's own (see CookieSession).
    def changed(self) -> None:  # pragma: no cover
        """Mark the session changed (defined by the session class)."""
        raise NotImplementedError

    def invalidate(self) -> None:  # pragma: no cover
        """End the session (defined by the session class)."""
        raise NotImplementedError

    created: float

    def regenerate(self) -> None:
        """Start a new session that keeps the data: a new session id and a new
        ``created``, stored with this response.  Call it at sign-in, against session
        fixation.

        With ``revocation=``, the old id is recorded as revoked (as :meth:`invalidate`
        records it: under asyncio when :meth:`revoke_pending_async` is awaited, and a
        failure kept in :attr:`revocation_error`), so a copy of the old cookie is
        refused everywhere.  Without it, only ``created`` changes: a stateless cookie
        cannot be recalled.
        """
        ended_id = self._own_id()
        ended_created = self.created
        self._token_id = None
        dict.pop(self, SID_KEY, None)  # the next id is a new one, given when stored
        self.created = self._clock()
        self.changed()
        if ended_id is not None:
            self._record_revocation(ended_id, ended_created)

    @property
    def session_id(self) -> str | None:
        """The id that revocation records for this session; None without ``revocation=``.

        A session gets its id when it is first stored; asking for it earlier (to
        list a user's sessions for "sign out everywhere") assigns it now, and the
        session is then stored with this response.
        """
        if self._revocation is None:
            return None
        session_id = dict.get(self, SID_KEY)
        if type(session_id) is not str:
            session_id = self._give_id()
            self.changed()
        return session_id

    def _own_id(self) -> str | None:
        # The id a logout of this session records, before it is stored (None: a
        # session that no cookie brought and that has no id yet).
        session_id = dict.get(self, SID_KEY)
        return session_id if type(session_id) is str else self._token_id

    def _give_id(self) -> str:
        # The session's id, put into its state: the incoming cookie's (see
        # token_session_id), else a new random one.
        session_id = self._token_id or new_session_id()
        dict.__setitem__(self, SID_KEY, session_id)
        return session_id

    def _adopt_token_id(self, loaded: Loaded, session_id: str) -> None:
        # A cookie with no usable _sid_ of its own is revoked by its digest.
        if type(loaded.state.get(SID_KEY)) is not str:
            self._token_id = session_id

    def _record_revocation(self, session_id: str, created: float) -> None:
        # The logout of session `session_id`, which started at `created`: now, or,
        # under asyncio, when revoke_pending_async() is awaited.
        store = self._revocation
        if store is None:
            return
        ttl = self._revocation_ttl(created, self._clock())
        if self._io_async:
            self._pending_revocations = (*self._pending_revocations, (session_id, ttl))
            return
        try:
            store.revoke(session_id, ttl)
        except Exception as exc:  # noqa: BLE001 - whatever the store raises, the cookie is deleted
            self._revocation_failed(exc)

    def _revocation_failed(self, exc: Exception) -> None:
        # Sign-out goes on (the response deletes the cookie); the failure is logged
        # now, and raised by the adapter once the response is made (on_error='closed').
        self._revocation_error = exc
        _log.error(
            "a logout could not be recorded (%s): copies of the old cookie stay valid until "
            "they expire; the response deletes the cookie",
            type(exc).__name__,
        )

    @property
    def revocation_error(self) -> Exception | None:
        """Why this session's logout could not be recorded (usually
        :class:`~cookiesession.exceptions.RevocationUnavailable`), or None.

        ``invalidate()`` does not raise it: the session is emptied and its cookie
        deleted all the same, and the adapter raises it after the response (see
        :meth:`raise_revocation_error`).  An application may read it to tell the
        user that other copies of the cookie may still work.
        """
        return self._revocation_error

    def raise_revocation_error(self) -> None:
        """For adapters, once the response deletes the cookie: raise
        :attr:`revocation_error`, if any, when the store fails closed
        (``on_error='closed'``, the default, or a store without ``on_error``);
        with ``on_error='open'`` it was only logged."""
        error = self._revocation_error
        if error is not None and getattr(self._revocation, "on_error", "closed") != "open":
            raise error

    async def invalidate_async(self) -> None:
        """:meth:`invalidate`, recording the revocation without blocking the event loop
        (a failure is in :attr:`revocation_error`, as with ``invalidate()``)."""
        self._io_async = True
        self.invalidate()
        await self.revoke_pending_async()

    async def revoke_pending_async(self) -> None:
        """Record the revocations that ``invalidate()`` or ``regenerate()`` left for an asyncio adapter
        (none: nothing to do).  A failure goes to :attr:`revocation_error`."""
        pending = self._pending_revocations
        if pending:
            self._pending_revocations = ()
            store: RevocationStore = self._revocation  # type: ignore[assignment]  # only a store adds them
            for session_id, ttl in pending:
                try:
                    await store.revoke_async(session_id, ttl)
                except Exception as exc:  # noqa: BLE001 - as in _record_revocation
                    self._revocation_failed(exc)

    @classmethod
    def _is_refused(cls, store: RevocationStore, session_id: str, loaded: Loaded) -> bool:
        """Whether the cookie ``loaded`` was signed out: its id revoked, or (with
        ``user_key=``) its user revoked after it was created; one store look-up."""
        user_key = cls._user_key
        if user_key is None:
            return store.is_revoked(session_id)
        user_store: UserRevocationStore = store  # type: ignore[assignment]  # check_user_key made sure
        return user_store.is_refused(session_id, user_text(loaded.state.get(user_key)), loaded.created)

    @classmethod
    async def _is_refused_async(cls, store: RevocationStore, session_id: str, loaded: Loaded) -> bool:
        user_key = cls._user_key
        if user_key is None:
            return await store.is_revoked_async(session_id)
        user_store: UserRevocationStore = store  # type: ignore[assignment]  # check_user_key made sure
        return await user_store.is_refused_async(
            session_id, user_text(loaded.state.get(user_key)), loaded.created
        )

    @classmethod
    def _revocation_ttl(cls, created: float | None, now: float) -> float | None:
        """How long a revocation must last: until the session would have expired
        anyway (None: it never expires on the server; the store decides)."""
        limits = cls._limits
        return revocation_ttl(limits.timeout, limits.absolute_timeout, created, now, limits.clock_skew)

    def revoke_pending(self) -> None:
        """:meth:`revoke_pending_async` for blocking code: for an adapter that made the
        session for asyncio and ends it from a synchronous call (Django's ``flush()``
        after ``aget()``)."""
        pending, self._pending_revocations = self._pending_revocations, ()
        for session_id, ttl in pending:
            try:
                self._revocation.revoke(session_id, ttl)  # type: ignore[union-attr]
            except Exception as exc:  # noqa: BLE001 - as in _record_revocation
                self._revocation_failed(exc)

    def _revoke_pending_blocking(self) -> None:
        # An asyncio adapter that did not await revoke_pending_async(): record the
        # logout anyway (blocking) rather than lose it.
        _log.warning("recording a revocation with a blocking call; await revoke_pending_async() first")
        self.revoke_pending()
