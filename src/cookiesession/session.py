"""The session object: Pyramid's ``CookieSession`` semantics on a lean dict.

One class per factory (as in Pyramid, ``factory(request)`` constructs a session);
the factory's options live on that class.  The session talks to its request
through a small duck type: ``environ['HTTP_COOKIE']`` (or ``cookies``) to read the
incoming cookie, ``add_response_callback`` to be called back with the response,
and ``exception`` to honour ``set_on_exception``.  Framework adapters that hold
the session themselves call :meth:`CookieSession.set_cookie_header` instead.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator, MutableSequence
from typing import Any, ClassVar, Protocol

from .cookies import CookieSpec, find_cookie, merge_vary
from .exceptions import BadCookie, SessionNotSerializable, SessionTooLarge
from .signing import MAX_TOKEN_LENGTH

__all__ = ["CookieSession", "Protector", "SessionCodec"]

_CSRF_KEY = "_csrft_"
_FLASH_PREFIX = "_f_"
# Values of these types cannot be changed in place, so handing one out of the
# session cannot hide a change from the response.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes})


class Protector(Protocol):
    """Turns payload bytes into a cookie value and back (signing or encryption)."""

    def seal(self, payload: bytes) -> str: ...

    def unseal(self, token: str) -> tuple[bytes, int]:
        """Return the payload and the index of the key that opened it (0 = primary).

        Raise :class:`~cookiesession.exceptions.BadCookie` for anything else.
        """
        ...


class SessionCodec:
    """State triple ``[accessed, created, state]`` <-> payload bytes <-> token."""

    __slots__ = ("_fast_json", "protector", "serializer")

    def __init__(self, serializer: Any, protector: Protector) -> None:
        from .serializers import JSONSerializer

        self.serializer = serializer
        self.protector = protector
        # Our own JSON serializer can encode the session (a dict subclass) in place;
        # any other serializer gets a plain dict, as Pyramid gives it.
        self._fast_json = type(serializer) is JSONSerializer

    def __repr__(self) -> str:
        return f"<SessionCodec {self.serializer!r} {self.protector!r}>"

    def dumps(self, accessed: float, created: float, state: dict[str, Any]) -> bytes:
        if self._fast_json:
            return self.serializer.dumps([accessed, created, state])  # type: ignore[no-any-return]
        return self.serializer.dumps((accessed, created, dict(dict.items(state))))  # type: ignore[no-any-return]

    def loads(self, payload: bytes) -> Any:
        return self.serializer.loads(payload)

    def encode(self, accessed: float, created: float, state: dict[str, Any]) -> str:
        return self.protector.seal(self.dumps(accessed, created, state))


def _is_timestamp(value: object) -> bool:
    # Numbers only (Pyramid also took strings and booleans through float()), and
    # finite: a NaN renewed time would never time out.
    return type(value) in (int, float) and value - value == 0  # type: ignore[operator]


class CookieSession(dict[str, Any]):
    """A dict whose contents live in a signed (or encrypted) cookie.

    Attributes, as in Pyramid: ``new`` (no valid cookie came in), ``created``
    (float epoch of the session's start), ``renewed`` (when the incoming cookie
    was issued), ``accessed`` (``int(time)`` of the last managed operation).
    """

    # Configuration, set on the subclass that each factory builds.
    _codec: ClassVar[SessionCodec]
    _cookie: ClassVar[CookieSpec]
    _timeout: ClassVar[int | None]
    _reissue_time: ClassVar[int | None]
    _absolute_timeout: ClassVar[int | None]
    _set_on_exception: ClassVar[bool]
    _vary: ClassVar[bool]
    _detect_nested_changes: ClassVar[bool]
    _clock: Callable[[], float]  # a staticmethod on the class

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_dirty",
        "_exposed",
        "_incoming",
        "_incoming_times",
        "_invalidated",
        "_request_ref",
        "accessed",
        "created",
        "new",
        "renewed",
    )

    def __init__(self, request: Any) -> None:
        now = self._clock()
        environ = getattr(request, "environ", None)
        header = environ.get("HTTP_COOKIE") if environ is not None else None
        if header is not None:
            value = find_cookie(header, self._cookie.name)
        else:
            cookies = getattr(request, "cookies", None)
            value = cookies.get(self._cookie.name) if cookies is not None else None
        self._start(value, now)
        try:
            self._request_ref: Callable[[], Any] | None = weakref.ref(request)
        except TypeError:  # an object without weakref support: hold it, as Pyramid does
            self._request_ref = lambda: request
        register = getattr(request, "add_response_callback", None)
        if register is not None:
            register(self._on_response)

    @classmethod
    def from_cookie_value(cls, value: str | None) -> CookieSession:
        """A session for the incoming cookie ``value``, outside any request.

        For adapters that read the cookie themselves and later ask
        :meth:`set_cookie_header` what to send.
        """
        self = cls.__new__(cls)
        self._request_ref = None
        self._start(value, cls._clock())
        return self

    def _start(self, value: str | None, now: float) -> None:
        self._dirty = False
        self._exposed = False
        self._invalidated = False
        self._incoming: bytes | None = None
        self._incoming_times: tuple[Any, Any] = (None, None)
        self.new = True
        self.created = now
        self.renewed = now
        if value:
            state = self._read(value, now)
            if state is not None:
                dict.update(self, state)
        self.accessed: float = self.renewed

    def _read(self, value: str, now: float) -> dict[str, Any] | None:
        """Verify, then parse, the incoming cookie.  Never raises."""
        if len(value) > MAX_TOKEN_LENGTH:
            return None
        codec = self._codec
        try:
            payload, key_index = codec.protector.unseal(value)
            triple = codec.loads(payload)
        except BadCookie:
            return None
        except Exception:  # noqa: BLE001 - any parse failure of a cookie is the client's
            return None
        if type(triple) not in (list, tuple) or len(triple) != 3:
            return None
        raw_accessed, raw_created, state = triple
        if not (_is_timestamp(raw_accessed) and _is_timestamp(raw_created)) or not isinstance(state, dict):
            return None
        # A cookie from a server whose clock runs ahead must not live longer than
        # its idle or absolute timeout allows here: future times count as now.
        renewed = min(float(raw_accessed), now)
        created = min(float(raw_created), now)
        absolute = self._absolute_timeout
        if absolute is not None and now - created > absolute:
            return None  # past the absolute timeout: a new session, with a new `created`
        self.new = False
        self.renewed = renewed
        self.created = created
        if key_index:
            self._dirty = True  # verified under a fallback secret: re-issue under the primary
        timeout = self._timeout
        if timeout is not None and now - renewed > timeout:
            return None  # idle timeout: empty, but not new, and `created` is kept (Pyramid)
        self._incoming = payload
        self._incoming_times = (raw_accessed, raw_created)
        return state

    # -- the request ---------------------------------------------------------------

    @property
    def request(self) -> Any:
        """The request this session belongs to (held weakly), or None."""
        ref = self._request_ref
        return ref() if ref is not None else None

    # -- access tracking -----------------------------------------------------------

    def _touch(self) -> None:
        now = int(self._clock())
        self.accessed = now
        reissue = self._reissue_time
        if reissue is not None and now - self.renewed > reissue:
            self._dirty = True

    def _modify(self) -> None:
        self._touch()
        self._dirty = True

    def changed(self) -> None:
        """Mark the session changed: its cookie is written with the response."""
        self._dirty = True

    def __getitem__(self, key: str) -> Any:
        self._touch()
        value = dict.__getitem__(self, key)
        if type(value) not in _IMMUTABLE:
            self._exposed = True
        return value

    def get(self, key: str, default: Any = None) -> Any:
        self._touch()
        value = dict.get(self, key, default)
        if type(value) not in _IMMUTABLE:
            self._exposed = True
        return value

    def __contains__(self, key: object) -> bool:
        self._touch()
        return dict.__contains__(self, key)

    def __len__(self) -> int:
        self._touch()
        return dict.__len__(self)

    def __iter__(self) -> Iterator[str]:
        self._touch()
        return dict.__iter__(self)

    def keys(self) -> Any:
        self._touch()
        return dict.keys(self)

    def values(self) -> Any:
        self._touch()
        self._exposed = True
        return dict.values(self)

    def items(self) -> Any:
        self._touch()
        self._exposed = True
        return dict.items(self)

    # -- modification --------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        self._modify()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._modify()
        dict.__delitem__(self, key)

    def clear(self) -> None:
        self._modify()
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._modify()
        dict.update(self, *args, **kwargs)

    def __ior__(self, other: Any) -> CookieSession:  # type: ignore[override,misc]
        # Pyramid leaves |= untracked, so the write is silently lost; here it counts.
        self._modify()
        dict.update(self, other)
        return self

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._modify()
        return dict.setdefault(self, key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._modify()
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._modify()
        return dict.popitem(self)

    # -- flash messages ------------------------------------------------------------

    def flash(self, msg: Any, queue: str = "", allow_duplicate: bool = True) -> None:
        storage = self.setdefault(_FLASH_PREFIX + queue, [])
        if allow_duplicate or msg not in storage:
            storage.append(msg)

    def pop_flash(self, queue: str = "") -> list[Any]:
        return self.pop(_FLASH_PREFIX + queue, [])  # type: ignore[no-any-return]

    def peek_flash(self, queue: str = "") -> list[Any]:
        return self.get(_FLASH_PREFIX + queue, [])  # type: ignore[no-any-return]

    # -- CSRF ----------------------------------------------------------------------

    def new_csrf_token(self) -> str:
        token = os.urandom(20).hex()
        self[_CSRF_KEY] = token
        return token

    def get_csrf_token(self) -> str:
        token = self.get(_CSRF_KEY, None)
        if token is None:
            token = self.new_csrf_token()
        return token  # type: ignore[no-any-return]

    # -- ending the session ----------------------------------------------------------

    def invalidate(self) -> None:
        """End the session: empty it, and delete the cookie unless something is
        written afterwards, which then starts a new session with a new ``created``."""
        self.clear()
        self._invalidated = True
        self._incoming = None
        self.created = self._clock()

    # -- the response --------------------------------------------------------------

    def _on_response(self, request: Any, response: Any) -> None:
        headers: MutableSequence[tuple[str, str]] = response.headerlist
        if self._vary:
            merge_vary(headers)
        header = self.set_cookie_header(getattr(request, "exception", None) is not None)
        if header is not None:
            headers.append(("Set-Cookie", header))

    def set_cookie_header(self, failed: bool = False) -> str | None:
        """The ``Set-Cookie`` value this response needs, or None.

        ``failed`` says the response answers an exception; with
        ``set_on_exception=False`` nothing is sent then.  Raises
        :class:`SessionTooLarge` or :class:`SessionNotSerializable` when the
        state cannot be stored.
        """
        if failed and not self._set_on_exception:
            return None
        if self._invalidated and not dict.__len__(self):
            return self._cookie.delete_cookie()
        if not self._dirty and not self._nested_change():
            return None
        token = self._encode()
        if len(token) > MAX_TOKEN_LENGTH:
            raise SessionTooLarge(
                f"Cookie value is too long to store ({len(token)} bytes): a cookie value "
                f"holds at most {MAX_TOKEN_LENGTH} characters; store less in the session"
            )
        return self._cookie.set_cookie(token, self._clock())

    def _nested_change(self) -> bool:
        # Only a loaded session that handed out a mutable value can have changed
        # without a write; compare what it would store with what came in.
        if not (self._exposed and self._detect_nested_changes and self._incoming is not None):
            return False
        raw_accessed, raw_created = self._incoming_times
        try:
            return self._codec.dumps(raw_accessed, raw_created, self) != self._incoming
        except (TypeError, ValueError):
            return True  # something unstorable was put inside: let _encode say what

    def _encode(self) -> str:
        codec = self._codec
        try:
            return codec.encode(self.accessed, self.created, self)
        except TypeError as exc:
            raise SessionNotSerializable(self._describe_unserializable(exc)) from exc

    def _describe_unserializable(self, exc: TypeError) -> str:
        dumps = self._codec.serializer.dumps
        for key, value in dict.items(self):
            try:
                dumps({key: value})
            except TypeError as inner:
                return f"session[{key!r}] cannot be stored in a cookie: {inner}"
        return f"the session cannot be stored in a cookie: {exc}"  # pragma: no cover
