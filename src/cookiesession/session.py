"""The session: a dict holding the whole state, with ``pyramid.session``'s API.

One class per factory (``factory(request)`` constructs a session, as in Pyramid);
the factory's options live on that class.  The whole state is loaded when the
session is made (:func:`cookiesession.loading.load`), so every way of reading the
dict sees all of it; the dict's methods track use as Pyramid's do.  Adapters use
the public interface only: ``from_cookie_value`` / ``from_cookie_header`` (and
their ``_async`` twins), ``add_response_headers`` (or ``set_cookie_headers`` and
``varies``), ``token`` where the framework writes the cookie itself, and
``revoke_pending_async`` (``revoke_pending``) after a logout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableSequence
from math import trunc
from typing import Any, ClassVar

from . import _pieces, _request, _snapshots
from ._making import Made
from ._revocable import SID_KEY
from .codec import Incoming, SessionCodec
from .cookies import CookieSpec, merge_vary
from .exceptions import SessionTooLarge
from .loading import Limits
from .signing import MAX_TOKEN_LENGTH

__all__ = ["CookieSession"]

_IMMUTABLE = _snapshots.IMMUTABLE  # a global of this module: one lookup per hand-out
# What every serializer stores: no check at assignment.
_PLAIN = frozenset({str, int, float, bool, type(None), list, dict})


class CookieSession(Made):
    """A dict whose contents live in a signed (or encrypted) cookie.

    Attributes, as in Pyramid: ``new`` (no valid cookie came in), ``created``
    (float epoch of the session's start), ``renewed`` (when the incoming cookie
    was issued), ``accessed`` (``int(time)`` of the last managed operation).
    """

    # Configuration, set on the subclass that each factory builds.
    _codec: ClassVar[SessionCodec]
    _cookie: ClassVar[CookieSpec]
    _limits: ClassVar[Limits]
    _reissue_after: ClassVar[float]  # reissue_time as reads compare it (see factory.reissue_limit)
    _set_on_exception: ClassVar[bool]
    _vary: ClassVar[bool]
    _detect_nested_changes: ClassVar[bool]
    _empty_deletes_cookie: ClassVar[bool]
    # Whether max_cookies and compress are options (not for BaseCookieSessionFactory).
    _can_grow: ClassVar[bool] = True
    _clock: Callable[[], float]  # a staticmethod on the class (and _revocation: see Revocable)

    # Set when the response callback let later callbacks run first (see _request.respond).
    _deferred: bool = False

    _request_ref: Callable[[], Any] | None
    _written: list[Any] | None
    _incoming: Incoming | None
    _accessed: float
    _watched: _snapshots.Watched | None

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_accessed",
        "_dirty",
        "_exposed",
        "_incoming",
        "_invalidated",
        "_request_ref",
        "_used",
        "_watched",
        "_written",
        "created",
        "new",
        "renewed",
    )

    # _dirty: the cookie is written with the response.  _exposed: a mutable value was
    # handed out (a change inside it may be unseen).  _incoming: the cookie the state
    # came from, while only the assignments in _written changed it (and perhaps a value
    # handed out).  _watched: the values handed out while there is an _incoming, with their
    # snapshots (see _snapshots.Watched), so a change inside one is found without encoding the
    # state, and the incoming text stays usable while none changed; made at the first hand-out,
    # None when none is kept (detect_nested_changes=False, no _incoming, a value without one).
    # _used: see `used`.

    def __init__(self, request: Any) -> None:
        """The session of a Pyramid (or Pyramid-like) ``request``; see :mod:`._request`."""
        value = _request.incoming_cookie(request, self._cookie.name)
        # Only a factory with read_also= looks at the request's other cookies.
        lookup = self._lookup_in_request(request) if self._reads_other_cookies else None
        self._start(self._clock(), value, lookup)
        self._used = True  # Pyramid makes the session when the application asks for it
        self._request_ref = _request.bind(self, request)

    # -- what adapters ask -------------------------------------------------------------

    @property
    def used(self) -> bool:
        """Whether the application read or wrote the session, so the response
        depends on the cookie: adapters then add ``Vary: Cookie`` (unless the
        factory says ``vary=False``), and only then write a cookie."""
        return self._used

    @property
    def varies(self) -> bool:
        """Whether the response should carry ``Vary: Cookie``."""
        return self._used and self._vary

    # The callback a Pyramid request calls with its response, (request, response): a
    # function of the module that binds sessions to requests, made a method here.
    _on_response = _request.respond

    @property
    def request(self) -> Any:
        """The request this session belongs to (held weakly), or None."""
        ref = self._request_ref
        return ref() if ref is not None else None

    @property
    def accessed(self) -> float:
        """Pyramid's ``accessed``: ``int(time)`` of the last use, as the cookie carries it
        (kept in a slot of its own: Flask's session gives the name Flask's meaning)."""
        return self._accessed

    @accessed.setter
    def accessed(self, value: float) -> None:
        self._accessed = value

    # -- access tracking, as Pyramid's manage_accessed and manage_changed ------------

    def _touch(self) -> None:
        now = trunc(self._clock())
        self._accessed = now
        self._used = True
        if now - self.renewed > self._reissue_after:
            self._dirty = True

    def _hand_out(self, value: Any) -> Any:
        if type(value) not in _IMMUTABLE:
            watched = self._watched if self._exposed else self._first_hand_out()
            if watched is not None and self._incoming is not None and not watched.add(value):
                self._watched = None  # one without a snapshot: the whole state is compared instead
        return value

    def _hand_out_all(self) -> None:
        # values(), items(), copy(): every value is handed out.
        watched = self._watched if self._exposed else self._first_hand_out()
        if watched is not None and self._incoming is not None and not watched.add_all(dict.values(self)):
            self._watched = None

    def _first_hand_out(self) -> _snapshots.Watched | None:
        # A change inside a value may be unseen from now on: watch while the incoming text is usable.
        self._exposed = True
        watching = self._detect_nested_changes and self._incoming is not None
        self._watched = _snapshots.Watched() if watching else None
        return self._watched

    def _modify(self) -> None:
        self._accessed = trunc(self._clock())
        self._used = self._dirty = True
        self._incoming = None  # the state may differ from the incoming text now

    def changed(self) -> None:
        """Mark the session changed: its cookie is written with the response."""
        self._used = self._dirty = True
        self._incoming = None

    def reissue(self) -> None:
        """Write the cookie with the response, dated now, though nothing changed (as a
        read past ``reissue_time`` does), for a framework with refresh rules of its own."""
        self._accessed = trunc(self._clock())
        self._used = self._dirty = True

    # -- reading -----------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        self._touch()
        return self._hand_out(dict.__getitem__(self, key))

    def get(self, key: str, default: Any = None) -> Any:
        """``dict.get``: the value of ``key``, or ``default`` when it is not there.

        A list or dict handed out is watched, so a change made inside it is saved
        (``detect_nested_changes``)."""
        self._touch()
        return self._hand_out(dict.get(self, key, default))

    def __contains__(self, key: object) -> bool:
        self._touch()
        return dict.__contains__(self, key)

    def __len__(self) -> int:
        self._touch()
        return dict.__len__(self)

    def __iter__(self) -> Iterator[str]:
        self._touch()
        return dict.__iter__(self)

    def __reversed__(self) -> Iterator[str]:
        self._touch()
        return dict.__reversed__(self)

    def keys(self) -> Any:
        """``dict.keys``; counts as a use of the session (so the response may re-issue it)."""
        self._touch()
        return dict.keys(self)

    def values(self) -> Any:
        """``dict.values``; the values handed out are watched for changes inside them."""
        self._touch()
        self._hand_out_all()
        return dict.values(self)

    def items(self) -> Any:
        """``dict.items``; the values handed out are watched for changes inside them."""
        self._touch()
        self._hand_out_all()
        return dict.items(self)

    def copy(self) -> dict[str, Any]:
        """A plain dict of the state (a shallow copy: its values are handed out)."""
        self._touch()
        self._hand_out_all()
        return dict(dict.items(self))

    # -- writing -----------------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        # A value of a type the serializer cannot store is refused here, naming the
        # key where the application put it; JSON's own types cost one set lookup.
        if type(value) not in _PLAIN:
            self._codec.check_value(key, value)
        # Unlike other writes, an assignment keeps the incoming cookie's text usable:
        # the codec splices the new value in (see codec.SessionCodec.encode).
        self._accessed = trunc(self._clock())
        self._used = self._dirty = True
        if self._incoming is not None:
            written = self._written
            if written is None:
                self._written = [key]
            else:
                written.append(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._modify()
        dict.__delitem__(self, key)

    def clear(self) -> None:
        """``dict.clear``, saved with the response (an empty state, or no cookie with
        ``empty_deletes_cookie``).  To end the session, call :meth:`invalidate`."""
        self._modify()
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``dict.update`` with ``args`` and ``kwargs``, saved with the response."""
        self._modify()
        dict.update(self, *args, **kwargs)

    def __ior__(self, other: Any) -> CookieSession:  # type: ignore[override,misc]
        # Pyramid leaves |= untracked, so the write is silently lost; here it counts.
        self._modify()
        dict.update(self, other)
        return self

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``dict.setdefault`` of ``key`` to ``default``; counts as a change (Pyramid's rule)."""
        self._modify()
        return dict.setdefault(self, key, default)

    def pop(self, key: str, *default: Any) -> Any:
        """``dict.pop`` of ``key`` (``default`` when it is not there), saved with the response.

        Raises:
            KeyError: ``key`` is not there and no ``default`` was given.
        """
        self._modify()
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, Any]:
        """``dict.popitem``, saved with the response.

        Raises:
            KeyError: the session is empty.
        """
        self._modify()
        return dict.popitem(self)

    # -- ending the session ------------------------------------------------------------

    def invalidate(self) -> None:
        """End the session: empty it, and delete the cookie unless something is
        written afterwards, which then starts a new session with a new ``created``.

        With ``revocation=``, the session's id is also recorded as revoked, so
        copies of the old cookie are refused everywhere; if the store cannot record
        it, the cookie is deleted all the same and the failure is kept in
        :attr:`revocation_error`, which the adapter raises after the response.
        """
        ended_id = self._own_id()
        self._token_id = None  # what is written next is a new session, with an id of its own
        ended_created = self.created
        # The base class's clear(): a subclass may make its own clear() end the
        # session by calling this method.
        CookieSession.clear(self)
        self._invalidated = True
        self.created = self._clock()
        if ended_id is not None:
            self._record_revocation(ended_id, ended_created)

    # -- the response ------------------------------------------------------------------

    def add_response_headers(
        self, headers: MutableSequence[Any], failed: bool = False, *, binary: bool = False
    ) -> None:
        """Add ``Vary: Cookie`` and ``Set-Cookie`` to a response's ``headers``, as
        this session needs them: a list of ``(name, value)`` pairs, ``str`` or, with
        ``binary=True``, latin-1 ``bytes`` (ASGI).  ``failed``: see :meth:`set_cookie_header`,
        which also says what this raises."""
        if self._used and self._vary:  # self.varies
            merge_vary(headers, binary=binary)
        cookies: list[str | None]
        if self._max_cookies == 1:
            cookies = [self.set_cookie_header(failed)]
        else:
            cookies = [*self.set_cookie_headers(failed)]
        if self._old_cookie_deletion is not None:  # read from another library's cookie
            cookies.append(self.old_cookie_deletion(failed))
        for cookie in cookies:
            if cookie is not None:
                headers.append(
                    (b"set-cookie", cookie.encode("latin-1")) if binary else ("Set-Cookie", cookie)
                )

    def set_cookie_header(self, failed: bool = False) -> str | None:
        """The ``Set-Cookie`` value this response needs, or None.

        ``failed`` says the response answers an exception; with
        ``set_on_exception=False`` nothing is sent then.  Raises
        :class:`SessionTooLarge` or :class:`SessionNotSerializable` when the
        state cannot be stored.  A factory with ``max_cookies`` above 1 may need
        several headers: it raises ``TypeError``, use :meth:`set_cookie_headers`.
        """
        if self._max_cookies != 1:
            raise TypeError("with max_cookies above 1, use set_cookie_headers(): it may take several")
        send = self._cookie_to_send(failed)
        if send is None:
            return None
        return self._cookie.set_cookie(self._encode(), self._clock) if send else self._cookie.delete_cookie()

    def set_cookie_headers(self, failed: bool = False) -> list[str]:
        """Every ``Set-Cookie`` value the session's cookie needs in this response (none,
        one, or with ``max_cookies`` one per piece, and the deletion of pieces the
        request brought that are no longer needed).  As :meth:`set_cookie_header`
        otherwise; ``failed``: the view raised (the cookie is then written only with
        ``set_on_exception``)."""
        if self._max_cookies == 1:
            header = self.set_cookie_header(failed)
            return [] if header is None else [header]
        send = self._cookie_to_send(failed)
        if send is None:
            return []
        if not send:
            return self.cookie_deletions()
        token = self._encode()
        headers = _pieces.split(token, self._cookie, self._clock, self._max_cookies)
        if headers is None:
            raise self._too_large(token)
        return headers + _pieces.deletions(self._cookie, len(headers), self._carried)

    def cookie_deletions(self) -> list[str]:
        """The ``Set-Cookie`` values deleting the session's cookie, and every piece of
        it the request brought (``max_cookies``)."""
        return [self._cookie.delete_cookie(), *_pieces.deletions(self._cookie, 1, self._carried)]

    def _cookie_to_send(self, failed: bool) -> bool | None:
        # True: write the cookie; False: delete it; None: send nothing.
        if (failed and not self._set_on_exception) or not self._used:
            return None
        if self._pending_revocations:  # invalidate() or regenerate() under asyncio
            self._revoke_pending_blocking()
        if self._invalidated and not dict.__len__(self):
            return False
        if not self._dirty:
            if not self._nested_change():
                return None
            self.changed()  # found inside a value: written as any change, not looked for again
        if self._empty_deletes_cookie and not dict.__len__(self):
            # An empty state is never stored (Starlette's and Flask's way): the
            # cookie the request brought is deleted, and without one nothing is sent.
            return None if self.new else False
        return True

    def token(self) -> str:
        """The cookie value storing this session, issued now (``accessed`` becomes the
        time), for a framework that writes the cookie itself (Django keeps it as its
        session key).  Raises what :meth:`set_cookie_header` raises."""
        self._accessed = trunc(self._clock())
        self._used = True
        token = self._encode()
        if self._max_cookies != 1 and not _pieces.split(token, self._cookie, self._clock, self._max_cookies):
            raise self._too_large(token)
        return token

    def _encode(self) -> str:
        if self._revocation is not None and type(dict.get(self, SID_KEY)) is not str:
            # Assigned when first stored, so anonymous visitors write no cookie.
            self._give_id()
            self._incoming = None
        # The incoming text is reused only while every mutable value handed out is as it
        # was (one may have been changed in place).  Otherwise the state is encoded whole,
        # from a plain dict: read without counting a use or snapshotting its values.
        incoming = self._incoming
        if incoming is not None and self._exposed and self._changed_in_place() is not False:
            incoming = None
        state = self if incoming is not None else dict(dict.items(self))
        token = self._codec.encode(self._accessed, self.created, state, incoming, self._written)
        if len(token) > MAX_TOKEN_LENGTH and self._max_cookies == 1:
            raise self._too_large(token)
        return token

    def _too_large(self, token: str) -> SessionTooLarge:
        # Said with the size, the limit, and what would store it (worked out only now).
        if not self._can_grow:  # BaseCookieSessionFactory: neither compress nor max_cookies
            return _pieces.too_large(token, None, self._cookie, self._clock, 1, most=1)
        compressed = self._codec.compressed_token(self._accessed, self.created, dict(dict.items(self)))
        return _pieces.too_large(token, compressed, self._cookie, self._clock, self._max_cookies)

    def _nested_change(self) -> bool:
        # Only a loaded session that handed out a mutable value can have changed
        # without a write.
        incoming = self._incoming
        if not (self._exposed and self._detect_nested_changes) or incoming is None:
            return False
        found = self._changed_in_place()
        if found is not None:
            return found
        return self._codec.differs(incoming, dict(dict.items(self)))  # a plain dict: no access counted

    def _changed_in_place(self) -> bool | None:
        # Whether a value handed out differs from its snapshot; None: not known.
        watched = self._watched
        return None if watched is None else watched.changed()
