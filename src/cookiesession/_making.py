"""Making a session: from its cookie's value or the request's ``Cookie`` header,
with the revocation check blocking or awaited, and the loaded state taken in.

:class:`~cookiesession.CookieSession` is a :class:`Made`; the loading itself
(verify, parse, timeouts) is :func:`cookiesession.loading.load`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from . import _pieces
from ._revocable import recorded_id
from ._snapshots import Watched
from .codec import Incoming, SessionCodec
from .cookies import CookieSpec, find_cookie
from .loading import Limits, Loaded, load
from .migration import CookieLookup, ReadsOldCookies
from .signing import MAX_TOKEN_LENGTH

__all__ = ["Made"]

_S = TypeVar("_S", bound="Made")


class Made(ReadsOldCookies):
    """The constructors of a session, and how it takes in what was loaded."""

    __slots__ = ()

    # Set on the class that each factory builds.
    _codec: ClassVar[SessionCodec]
    _cookie: ClassVar[CookieSpec]
    _limits: ClassVar[Limits]
    #: How many cookies a session may take (see cookiesession._pieces).
    _max_cookies: ClassVar[int] = 1
    _clock: Callable[[], float]  # a staticmethod on the class
    # The session's own slots (see CookieSession).
    _request_ref: Callable[[], Any] | None
    _written: list[Any] | None
    _incoming: Incoming | None
    _accessed: float
    _exposed: bool
    _invalidated: bool
    _watched: Watched | None
    _detect_nested_changes: ClassVar[bool]
    created: float
    renewed: float

    # How many cookies the request brought for this session (the pieces its first
    # cookie names, with max_cookies): set on the instance (its __dict__) only then.
    _carried: int = 1

    @classmethod
    def from_cookie_value(cls: type[_S], value: str | None, cookies: Mapping[str, str] | None = None) -> _S:
        """A session for the incoming cookie ``value``, outside any request: unused
        (no ``Vary``, no cookie) until the application reads or writes it.  ``cookies``:
        the request's cookies by name, where ``read_also=`` readers look."""
        self = cls._unbound()
        self._start(cls._clock(), value, cls._lookup_in(cookies))
        return self

    @classmethod
    def from_cookie_header(cls: type[_S], header: str | None) -> _S:
        """:meth:`from_cookie_value` for a request whose ``Cookie`` header is ``header``."""
        self = cls._unbound()
        lookup = cls._lookup_in_header(header) if cls._reads_other_cookies else None
        self._start(cls._clock(), cls._cookie_in(header), lookup)
        return self

    @classmethod
    async def from_cookie_header_async(cls: type[_S], header: str | None) -> _S:
        """:meth:`from_cookie_header`, as :meth:`from_cookie_value_async` does it."""
        if cls._revocation is None:  # nothing to await
            return cls.from_cookie_header(header)
        return await cls._from_cookie_async(cls._cookie_in(header), cls._lookup_in_header(header))

    @classmethod
    async def from_cookie_value_async(
        cls: type[_S], value: str | None, cookies: Mapping[str, str] | None = None
    ) -> _S:
        """:meth:`from_cookie_value` for asyncio adapters: the revocation check (with
        ``revocation=``) is awaited instead of blocking the event loop, and
        ``invalidate()`` leaves its revocation for :meth:`revoke_pending_async`.
        ``value`` and ``cookies`` as for :meth:`from_cookie_value`."""
        return await cls._from_cookie_async(value, cls._lookup_in(cookies))

    @classmethod
    async def _from_cookie_async(cls: type[_S], value: str | None, cookies: CookieLookup | None) -> _S:
        store = cls._revocation
        self = cls._unbound()
        if store is None:
            self._start(cls._clock(), value, cookies)
            return self
        self._io_async = True
        now = cls._clock()
        if cls._max_cookies != 1 and value:
            value = self._joined(value, cookies)
        loaded = load(cls._codec, cls._limits, value, now)
        session_id = recorded_id(loaded)
        if (
            session_id is not None
            and loaded is not None
            and await cls._is_refused_async(store, session_id, loaded)
        ):
            loaded = None  # logged out: refused each time
        self._take(now, loaded, session_id)
        if loaded is None and cookies is not None:
            self._read_old_cookie(now, cookies)
        return self

    @classmethod
    def whole_token(cls, cookies: Mapping[str, str]) -> tuple[str | None, int]:
        """The value of the session's cookie among ``cookies`` (a request's cookies by
        name), its pieces joined (``max_cookies``); and how many cookies the request
        brought for it.  For a framework that reads the cookie itself (Django)."""
        value = cookies.get(cls._cookie.name)
        if not value or cls._max_cookies == 1 or value[0] != _pieces.HEAD:
            return value, 1
        return _pieces.join(value, cls._cookie.name, cookies.get, cls._max_cookies)

    @classmethod
    def token_pieces(cls, token: str, rooms: Callable[[int], int]) -> list[str] | None:
        """The values of the cookies (``name``, ``name.1``, ...) storing ``token``, where
        ``rooms(i)`` says how long the value of cookie ``i`` may be: ``[token]`` when it
        fits the first, None when it needs more than ``max_cookies``.  For a framework
        that writes the cookies itself (Django)."""
        if len(token) <= min(rooms(0), MAX_TOKEN_LENGTH):
            return [token]
        return _pieces.cut(token, [rooms(index) for index in range(cls._max_cookies)])

    @classmethod
    def _unbound(cls: type[_S]) -> _S:
        # A session that no request holds, unused until the application reads or writes it.
        self = cls.__new__(cls)
        self._request_ref = None
        self._used = False
        return self

    @classmethod
    def _cookie_in(cls, header: str | None) -> str | None:
        return find_cookie(header, cls._cookie.name) if header else None

    def _start(self, now: float, value: str | None, cookies: CookieLookup | None = None) -> None:
        if self._max_cookies != 1 and value:
            value = self._joined(value, cookies)
        loaded = load(self._codec, self._limits, value, now)
        store = self._revocation
        session_id = None
        if store is not None:
            session_id = recorded_id(loaded)
            if session_id is not None and loaded is not None and self._is_refused(store, session_id, loaded):
                loaded = None  # logged out: refused each time
        self._take(now, loaded, session_id)
        if loaded is None and cookies is not None:
            self._read_old_cookie(now, cookies)

    def _joined(self, value: str, cookies: CookieLookup | None) -> str | None:
        """The whole token of a session in pieces, whose first cookie's value is
        ``value`` (unverified: the load verifies it); ``value`` itself otherwise."""
        if value[0] != _pieces.HEAD:
            return value
        if cookies is None:  # the other cookies cannot be looked at
            return None
        token, carried = _pieces.join(value, self._cookie.name, cookies, self._max_cookies)
        if carried != 1:
            self._carried = carried  # deleted by the response when no longer needed
        return token

    def _take(self, now: float, loaded: Loaded | None, session_id: str | None = None) -> None:
        """Become the session ``loaded`` (None: a new one), whose revocation id
        (with ``revocation=``) is ``session_id``."""
        self._exposed = self._invalidated = False
        self._written = None
        self._watched = None
        if loaded is None:
            self.new = True
            self._dirty = False
            self.created = self.renewed = self._accessed = now
            self._incoming = None
            return
        self.new = False
        self.created = loaded.created
        self.renewed = self._accessed = loaded.renewed
        self._dirty = loaded.key_index != 0  # verified under a fallback secret: re-issue
        if loaded.expired:
            self._incoming = None
        else:
            self._incoming = loaded
            dict.update(self, loaded.state)
            if session_id is not None:
                self._adopt_token_id(loaded, session_id)
