"""Sign a user out everywhere: refuse every session of one user created before now.

A factory given ``user_key="user_id"`` (the state key that holds the signed-in
user's id) and ``revocation=`` checks each incoming session against two records
at once, in one look-up: its own id (``invalidate()``, ``regenerate()``) and its
user's.  :func:`revoke_user` records "every session of this user created before
now is refused"; a session started afterwards (the next sign-in, which should
call ``regenerate()``) is not.

The user's record lasts as long as any cookie of a refused session could still be
accepted: ``min(timeout, absolute_timeout)`` plus ``clock_skew`` (every such
cookie was issued before the call, since none is re-issued after it), or the
store's ``unbounded_ttl`` for a factory with neither timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exceptions import ConfigurationError, ConfigurationTypeError
from .revocation import RevocationStore, UserRevocationStore, user_text

if TYPE_CHECKING:
    from .factory import SessionFactory

__all__ = ["check_user_key", "revoke_user", "revoke_user_async"]


def check_user_key(user_key: object, store: RevocationStore | None) -> str | None:
    """The factory's ``user_key=`` option, checked at start-up against its revocation
    ``store`` (which must exist and also revoke users)."""
    if user_key is None:
        return None
    if not isinstance(user_key, str) or not user_key:
        raise ConfigurationTypeError(
            f"user_key must be the name of the state key holding the user's id (a non-empty str), "
            f"not {type(user_key).__name__}"
        )
    if store is None:
        raise ConfigurationError(
            f"user_key={user_key!r} needs a revocation store: pass revocation= ('memory' or a Redis URL)"
        )
    if not isinstance(store, UserRevocationStore):
        raise ConfigurationTypeError(
            f"user_key={user_key!r} needs a revocation store that also revokes users (is_refused(), "
            f"revoke_user() and their async forms), which {type(store).__name__} does not have"
        )
    return user_key


def _user_record(session_factory: SessionFactory, user_id: object) -> tuple[UserRevocationStore, str]:
    store = getattr(session_factory, "_revocation", None)
    if getattr(session_factory, "_user_key", None) is None or store is None:
        raise ConfigurationError(
            "this session factory does not check users: pass user_key= (the state key holding "
            "the user's id) and revocation="
        )
    text = user_text(user_id)
    if not text:
        raise ValueError("user_id must be a non-empty str or an int (as the session holds it)")
    return store, text


def revoke_user(session_factory: SessionFactory, user_id: str | int) -> None:
    """Refuse every session of ``user_id`` created before this call, on every server
    that shares ``session_factory``'s store ("sign out of all my devices").

    ``user_id`` is what the sessions hold under the factory's ``user_key`` (``42``
    and ``"42"`` are the same user).  The calling request's own session is refused
    too, from its next request: call ``session.regenerate()`` after this to keep it.
    Raises :class:`~cookiesession.exceptions.ConfigurationError` for a factory without
    ``user_key=``, and :class:`~cookiesession.exceptions.RevocationUnavailable` if the
    store cannot record it.
    """
    store, text = _user_record(session_factory, user_id)
    now = session_factory._clock()
    store.revoke_user(text, now, session_factory._revocation_ttl(None, now))


async def revoke_user_async(session_factory: SessionFactory, user_id: str | int) -> None:
    """:func:`revoke_user` without blocking the event loop: ``session_factory`` and
    ``user_id`` as there, and it raises as that does."""
    store, text = _user_record(session_factory, user_id)
    now = session_factory._clock()
    await store.revoke_user_async(text, now, session_factory._revocation_ttl(None, now))
