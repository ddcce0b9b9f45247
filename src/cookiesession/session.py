"""The session object: Pyramid's ``CookieSession`` semantics on a lean dict.

One class per factory (as in Pyramid, ``factory(request)`` constructs a session);
the factory's options live on that class.  The session talks to its request
through a small duck type: ``environ['HTTP_COOKIE']`` (or ``cookies``) to read the
incoming cookie, ``add_response_callback`` to be called back with the response,
and ``exception`` to honour ``set_on_exception``.  Framework adapters that hold
the session themselves call :meth:`CookieSession.set_cookie_header` instead.
"""

from __future__ import annotations

import logging
import os
import secrets
import weakref
from collections.abc import Callable, Iterable, Iterator, MutableSequence
from math import trunc as _trunc
from typing import TYPE_CHECKING, Any, ClassVar

from . import _json
from .codec import SessionCodec
from .cookies import CookieSpec, find_cookie, merge_vary
from .exceptions import BadCookie, SessionNotSerializable, SessionTooLarge
from .revocation import revocation_ttl
from .signing import MAX_TOKEN_LENGTH

if TYPE_CHECKING:
    from .revocation import RevocationStore

__all__ = ["CookieSession"]

_CSRF_KEY = "_csrft_"
_FLASH_PREFIX = "_f_"
# The session id that revocation records (only with `revocation=`): a reserved
# key in the state, in the style of the two above, so Pyramid still reads the cookie.
_SID_KEY = "_sid_"
# Values of these types cannot be changed in place, so handing one out of the
# session cannot hide a change from the response.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes})
# What the two times of a decoded payload may be: numbers, and finite.
_NUMBERS = frozenset({int, float})
_INF = float("inf")
_NEG_INF = -_INF
# What JSON allows right after a string's closing quote: a key that starts with
# none of these cannot be matched from a closing quote (see _find_key).
_AFTER_STRING = frozenset(" \t\n\r,:]}")
# Payload text at least this long is parsed when first needed (see _peek); shorter
# text costs less to parse at once.  Measured through a Pyramid request: reading one
# key lazily cost 4 µs more on a 45-character payload and 4 µs less on a 625 one.
_LAZY_FROM = 300


class SessionStateNotParsedYet:
    """The key that stands in the dict for the state while it is not parsed yet.

    C code that reads a dict's entries directly, without its methods, would find an
    empty dict there: ``json.dumps`` would write ``{}`` and a serializer such as
    orjson or pydantic-core would write only the values read so far.  With this
    key in the dict, ``json.dumps`` asks the session's ``items()`` (which parses
    the state), and those serializers refuse the session (a key that is not a
    string, of a type they do not know), rather than silently store the wrong data.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<the session's state, not parsed yet: pass session.copy() or dict(session)>"


_UNPARSED: Any = SessionStateNotParsedYet()  # Any: a key of a dict[str, Any]


_log = logging.getLogger("cookiesession.revocation")


_NO_ATTRIBUTES: dict[str, Any] = {}  # the __dict__ of an object that has none


def _strong_ref(obj: Any) -> Callable[[], Any]:
    # A function of its own: a lambda in __init__ would make `request` a closure
    # cell there, allocated on every call and read through it (measured 0.3 µs).
    return lambda: obj


def _new_session_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, 22 characters


def _outermost(text: str, start: int, at: int) -> bool:
    """Whether ``at``, outside any string in ``text``, is directly inside the
    object that opens at ``start``: as many brackets open as close between them,
    strings aside.  For text with no backslash, whose quotes alternate (see _find_key).
    """
    between = text[start + 1 : at]
    if '"' in between:
        between = "".join(between.split('"')[::2])  # the parts outside strings
    return between.count("{") + between.count("[") == between.count("}") + between.count("]")


def _find_key(text: str, key: object) -> int | None:
    """Where the value of the state's ``key`` starts in unparsed payload ``text``;
    -1 if the state has no such key; None where the text alone cannot tell.

    The text verified, so a holder of the secret wrote it, and it is trusted to be
    what Pyramid and this library write: JSON, laid out as ``json.dumps`` lays it
    out.  (``_lazy_times`` checks the head, the end and that no backslash occurs;
    what else a holder of the secret could sign is in README, "The state is parsed
    when first needed".)  So no string in it holds a quote, and its quotes open and
    close strings in turn.
    A key that holds no quote and cannot follow a closing quote (_AFTER_STRING)
    matches ``"key"`` only where a whole string reads ``key``.  If no string
    does, the state has no such key; if exactly one does, and it stands as a
    key, outside every object and array inside the state, its value is the one
    that follows.  Anything else (two strings reading ``key``: a nested or
    repeated key) is left to the full parse.
    """
    if not (type(key) is str and key and '"' not in key and key[0] not in _AFTER_STRING):
        return None
    marker = f'"{key}"'
    start = text.find("{")
    at = text.find(marker, start)
    if at < 0:
        return -1  # no string reads `key`: not a key at any depth
    after = at + len(marker)
    if text.find(marker, after) >= 0:
        return None
    follows = text[after]  # the text ends with "}]": never past its end
    if follows in ",]}":
        return -1  # the one string reading `key` is a value, not a key
    if (
        follows == ":"
        and text.startswith(": ", after)
        and (at == start + 1 or _outermost(text, start, at))  # the first key, or
    ):
        return after + 2
    return None


def _keys_in_text(text: str, keys: list[Any] | None) -> set[Any] | None:
    """Which of ``keys`` the state in unparsed payload ``text`` holds; None where
    the text alone cannot tell for one of them (see _find_key)."""
    present = set()
    for key in keys or ():
        at = _find_key(text, key)
        if at is None:
            return None
        if at >= 0:
            present.add(key)
    return present


def _lazy_times(text: str) -> list[Any] | None:
    """``[accessed, created, None]`` for payload text that starts ``[accessed,
    created, {`` and ends ``}]`` as ``json.dumps`` writes it, and holds no
    backslash; its state is then left to be parsed when first used (see
    ``CookieSession._peek``).  None for any other text, which is parsed in full at
    once.  Only the head and the end are checked here: see _find_key for what is
    trusted.  (Inlined in ``__init__``; tests hold the two ways to the same session.)
    """
    try:
        accessed, end = _json.scan_once(text, 1)
        created, state_at = _json.scan_once(text, end + 2)
    except Exception:  # noqa: BLE001 - not a number there: not the usual layout
        return None
    if (
        text.startswith("[")
        and text.startswith(", ", end)
        and text.startswith(", {", state_at)
        and text.endswith("}]")
        and "\\" not in text
    ):
        return [accessed, created, None]
    return None


class CookieSession(dict[str, Any]):
    """A dict whose contents live in a signed (or encrypted) cookie.

    Attributes, as in Pyramid: ``new`` (no valid cookie came in), ``created``
    (float epoch of the session's start), ``renewed`` (when the incoming cookie
    was issued), ``accessed`` (``int(time)`` of the last managed operation).
    """

    # Configuration, set on the subclass that each factory builds.
    _codec: ClassVar[SessionCodec]
    _cookie: ClassVar[CookieSpec]
    # From _codec and _cookie, for the hot path: the protector's unseal, whether the
    # payload is our JSON, and how our cookie starts a Cookie header if a value the
    # protector accepts can hold no separator (None otherwise; see __init__).
    _unseal: Callable[[str], tuple[bytes, int]]  # a bound method, on the class
    _json_payload: ClassVar[bool]
    _fast_prefix: ClassVar[str | None]
    _usual_prefix: ClassVar[str | None]
    _timeout: ClassVar[int | None]
    _reissue_time: ClassVar[int | None]
    _reissue_after: ClassVar[float]  # _reissue_time as reads compare it (see factory.reissue_limit)
    _absolute_timeout: ClassVar[int | None]
    # _timeout and _absolute_timeout as the fast read path compares them: finite floats
    # (see factory.finite_limit).
    _idle_limit: ClassVar[float]
    _age_limit: ClassVar[float]
    _set_on_exception: ClassVar[bool]
    _vary: ClassVar[bool]
    _detect_nested_changes: ClassVar[bool]
    _revocation: ClassVar[RevocationStore | None] = None
    _clock: Callable[[], float]  # a staticmethod on the class

    # Revocation bookkeeping: class defaults, so a session that never uses them
    # pays nothing; set on the instance (its __dict__) only when needed.
    _io_async: bool = False  # loaded by from_cookie_value_async: do no blocking I/O
    _sid_to_check: str | None = None
    _pending_revocations: tuple[tuple[str, float | None], ...] = ()
    # Set when the response callback let later callbacks run first (see _on_response).
    _deferred: bool = False

    # Per session, set by _start: the incoming cookie's payload, its token, its
    # parsed [accessed, created, state] (state None until parsed: see _unparsed),
    # and its JSON text, which stays reusable while the state differs from it only
    # by the keys assigned in _written.  None unless a state was loaded.
    _incoming: bytes | None
    _incoming_token: str | None
    _incoming_triple: list[Any] | None
    _reusable: str | None
    # The incoming JSON text while its state is not parsed yet (see _peek): the dict
    # then holds a stand-in key and the values read or assigned so far.  None once
    # the dict holds the state.
    _unparsed: str | None
    _written: list[Any] | None  # the keys assigned since, in order: see _reuse
    accessed: float

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_dirty",
        "_exposed",
        "_incoming",
        "_incoming_token",
        "_incoming_triple",
        "_invalidated",
        "_request_ref",
        "_reusable",
        "_unparsed",
        "_written",
        "accessed",
        "created",
        "new",
        "renewed",
    )

    def __init__(self, request: Any) -> None:
        # This and _start run on every request that uses the session; they are kept
        # flat on purpose, as each bytecode on this path costs about 0.1% of a load,
        # and a Python call several times what it costs in a loop.
        now = self._clock()
        try:
            header = request.environ.get("HTTP_COOKIE")
            cookies = None
        except AttributeError:  # not a WSGI request: its parsed cookies, if it has them
            header = None
            cookies = getattr(request, "cookies", None)
        prefix = self._usual_prefix
        if header is None:
            if cookies is None:
                # No Cookie header.  A test double such as pyramid.testing.DummyRequest
                # keeps cookies in an attribute of its own, where Pyramid's session reads
                # them; WebOb's request.cookies, a property, would parse the missing
                # header instead (5 µs on a first visit).
                cookies = getattr(request, "__dict__", _NO_ATTRIBUTES).get("cookies")
            self._start(now, cookies.get(self._cookie.name) if cookies else None)
        elif prefix is not None:
            # The usual request, with _start's way through it inlined (about 0.4 µs):
            # a cookie holding a current JSON session.  A cookie that is verified but
            # not that (expired, from a clock ahead of ours, malformed JSON...) is
            # left to _start, which starts over; one that is refused gets _start's
            # answer directly.  tests/test_fast_path.py holds the two ways to the
            # same session for every kind of cookie and header.
            self._exposed = self._invalidated = False
            self._written = self._unparsed = None
            if header.startswith(prefix) and ";" not in header:
                value: str | None = header[len(prefix) :]  # _start's guess: see there
            else:
                value = find_cookie(header, self._cookie.name)
                header = None  # nothing was guessed
            payload = None  # stays None if the cookie is refused
            try:
                if not value or len(value) > MAX_TOKEN_LENGTH:
                    raise BadCookie("no cookie, or one longer than any we write")
                payload, key_index = self._unseal(value)
                text = payload.decode("utf-8")
                if len(text) < _LAZY_FROM:
                    # Short: parsed at once, which costs less than reading it lazily.
                    triple, end = _json.scan_once(text, 0)
                    raw_accessed, raw_created, state = triple
                    usual_layout = end == len(text) and type(state) is dict
                else:
                    # _lazy_times(text), inlined: only the two times are parsed here;
                    # the state waits for its first use (see _peek).
                    state = None
                    raw_accessed, end = _json.scan_once(text, 1)
                    raw_created, state_at = _json.scan_once(text, end + 2)
                    triple = [raw_accessed, raw_created, None]
                    usual_layout = (
                        key_index == 0  # see _start: a fallback secret's payload is parsed
                        and text.startswith("[")
                        and text.startswith(", ", end)
                        and text.startswith(", {", state_at)
                        and text.endswith("}]")
                        and "\\" not in text
                    )
                # Two numbers (not bools) no later than now and within the timeouts.
                # The limits are finite (see factory.finite_limit), so NaN and the
                # infinities fail the comparisons; an int too large for a float fails
                # the subtraction.  An `if`, not a boolean expression: each comparison
                # then takes the interpreter's fast jump (0.8 µs here, measured).
                if (
                    usual_layout
                    and type(raw_accessed) in _NUMBERS
                    and type(raw_created) in _NUMBERS
                    and 0.0 <= now - raw_accessed <= self._idle_limit
                    and 0.0 <= now - raw_created <= self._age_limit
                ):
                    usual = True
                else:
                    usual = False
            except Exception:  # noqa: BLE001 - see below
                usual = False
            if usual:
                self.new = False
                self.created = float(raw_created)
                self.renewed = self.accessed = float(raw_accessed)
                self._dirty = key_index != 0
                if state is None:
                    self._unparsed = text
                    dict.__setitem__(self, _UNPARSED, None)
                else:
                    dict.update(self, state)
                self._incoming = payload
                self._incoming_token = value
                self._incoming_triple = triple
                self._reusable = text
            elif payload is None:
                self._start_new(now, value, header)  # as _start does with a refused cookie
            else:  # verified, so the value is our cookie's: nothing to look up again
                self._start(now, value)
        else:
            self._start(now, None, header)
        try:
            self._request_ref: Callable[[], Any] | None = weakref.ref(request)
        except TypeError:  # an object without weakref support: hold it, as Pyramid does
            self._request_ref = _strong_ref(request)
        try:
            register = request.add_response_callback
        except AttributeError:
            return  # an adapter that asks set_cookie_header() itself
        register(self._on_response)

    @classmethod
    def from_cookie_value(cls, value: str | None) -> CookieSession:
        """A session for the incoming cookie ``value``, outside any request.

        For adapters that read the cookie themselves and later ask
        :meth:`set_cookie_header` what to send.
        """
        self = cls.__new__(cls)
        self._request_ref = None
        self._start(cls._clock(), value)
        return self

    @classmethod
    def from_cookie_header(cls, header: str | None) -> CookieSession:
        """A session for a request whose ``Cookie`` header is ``header``, outside
        any request.  For adapters; faster than finding the cookie first."""
        self = cls.__new__(cls)
        self._request_ref = None
        self._start(cls._clock(), None, header)
        return self

    @classmethod
    async def from_cookie_value_async(cls, value: str | None) -> CookieSession:
        """:meth:`from_cookie_value` for asyncio adapters: the revocation check
        (with ``revocation=``) is awaited instead of blocking the event loop, and
        ``invalidate()`` leaves its revocation for :meth:`revoke_pending_async`."""
        self = cls.__new__(cls)
        self._request_ref = None
        self._io_async = True
        now = cls._clock()
        self._start(now, value)
        store = cls._revocation
        session_id = self._sid_to_check
        if store is not None and session_id is not None:
            self._sid_to_check = None
            if await store.is_revoked_async(session_id):
                dict.clear(self)
                self._start(now, None)
        return self

    def _start(self, now: float, value: str | None = None, header: str | None = None) -> None:
        """Take our incoming cookie, ``value`` or the one in the ``Cookie`` header
        ``header``: verify it, then parse it, then apply the timeouts.  Never
        raises: anything but a valid cookie is a new session (see _start_new).

        Each attribute is set once on every way through (a load is a few hundred
        bytecodes, so a dozen stores made twice would show).
        """
        self._exposed = self._invalidated = False
        self._written = self._unparsed = None
        if header is not None:
            prefix = self._fast_prefix
            if prefix is not None and header.startswith(prefix) and ";" not in header:
                # The usual header, our cookie alone: try the rest of it as the value.
                # A value the protector accepts holds nothing but urlsafe base64, so
                # no separator: find_cookie would return that same value.  If it is
                # refused, _start_new looks the cookie up properly.  (With other
                # cookies after ours, the guess would fail only after decoding most
                # of it: ";" is looked for first.)
                value = header[len(prefix) :]
            else:
                value = find_cookie(header, self._cookie.name)
                header = None
        if not value or len(value) > MAX_TOKEN_LENGTH:
            return self._start_new(now, value, header)
        try:
            payload, key_index = self._unseal(value)
            if self._json_payload:
                text: str | None = payload.decode("utf-8")
                # Parsed at once: with revocation (the state's session id is looked up
                # now), and under a fallback secret (re-issued under the primary at
                # once: only what parses may move to the primary secret).
                triple: Any = (
                    _lazy_times(text)  # type: ignore[arg-type]
                    if key_index == 0 and self._revocation is None and len(text) >= _LAZY_FROM  # type: ignore[arg-type]
                    else None
                )
                lazy = triple is not None
                if not lazy:
                    try:  # _json.loads(text), without a call on the usual path
                        triple, end = _json.scan_once(text, 0)
                    except StopIteration:
                        end = -1
                    if end != len(text):  # type: ignore[arg-type]
                        triple = _json.loads(text)  # type: ignore[arg-type]
            else:
                text = None
                lazy = False
                triple = self._codec.loads(payload)
            # Three items, as Pyramid unpacks it (a JSON string or object of three
            # yields strings here), the first two numbers only (Pyramid also took
            # strings and booleans through float()).
            raw_accessed, raw_created, state = triple
            if type(raw_accessed) not in _NUMBERS or type(raw_created) not in _NUMBERS:
                return self._start_new(now, value, header)
            renewed = float(raw_accessed)  # OverflowError for an int beyond float's range
            created = float(raw_created)
        except Exception:  # noqa: BLE001 - a cookie that fails to verify or parse is the client's
            return self._start_new(now, value, header)
        # Finite only (every comparison with NaN is false): a NaN time never times out.
        # Two comparisons with constants cost less than arithmetic on the floats.
        if not (_NEG_INF < renewed < _INF and _NEG_INF < created < _INF) or not (
            lazy or isinstance(state, dict)
        ):
            return self._start_new(now, value, header)
        # A cookie from a server whose clock runs ahead must not live longer than
        # its idle or absolute timeout allows here: future times count as now.
        if renewed > now:
            renewed = now
        if created > now:
            created = now
        absolute = self._absolute_timeout
        if absolute is not None and now - created > absolute:
            return self._start_new(now, value, header)  # with a new `created`
        if self._revocation is not None and self._is_revoked(state):
            return self._start_new(now, value, header)  # logged out: refused each time
        self.new = False
        self.created = created
        self.renewed = self.accessed = renewed
        # Verified under a fallback secret: re-issue under the primary.
        self._dirty = key_index != 0
        timeout = self._timeout
        if timeout is not None and now - renewed > timeout:
            # Idle timeout: empty, but not new, and `created` is kept (Pyramid).
            self._incoming = self._incoming_token = self._incoming_triple = self._reusable = None
            return
        if lazy:
            self._unparsed = text
            dict.__setitem__(self, _UNPARSED, None)
        else:
            dict.update(self, state)
        self._incoming = payload
        self._incoming_token = value
        self._incoming_triple = triple
        self._reusable = text

    def _start_new(self, now: float, refused: str | None, header: str | None) -> None:
        """No incoming state: a new session.  Unless ``refused`` was only _start's
        guess at our cookie in ``header``: then the cookie is looked up properly,
        and taken if that finds another value."""
        if header is not None:
            value = find_cookie(header, self._cookie.name)
            if value != refused:
                return self._start(now, value)
        self.new = True
        self._dirty = False
        self.created = self.renewed = self.accessed = now
        self._incoming = self._incoming_token = self._incoming_triple = self._reusable = None
        self._unparsed = None

    def _is_revoked(self, state: dict[str, Any]) -> bool:
        session_id = state.get(_SID_KEY)
        if type(session_id) is not str:
            return False  # written before revocation was enabled: nothing to look up
        if self._io_async:
            self._sid_to_check = session_id  # from_cookie_value_async awaits the answer
            return False
        return self._revocation.is_revoked(session_id)  # type: ignore[union-attr]

    # -- the state, parsed when first needed --------------------------------------

    def _peek(self, key: Any) -> None:
        """Put the incoming value of ``key`` into the dict, read from the unparsed
        text alone (see _find_key); or parse the whole state (:meth:`_materialize`)
        where the text alone cannot tell.  Nothing is put in when the state has no
        such key."""
        text: str = self._unparsed  # type: ignore[assignment]
        try:
            at = _find_key(text, key)
            if at is not None:
                if at >= 0:
                    dict.__setitem__(self, key, _json.scan_once(text, at)[0])
                return
        except (ValueError, StopIteration, RecursionError):
            pass  # no JSON value there (text that verified but is not JSON): the full parse decides
        self._materialize()

    def _untracked_get(self, key: str, default: Any = None) -> Any:
        """``dict.get(self, key, default)``, reading an unparsed state as a read of
        the application would (see _peek), but not counted as one: for the
        library's own reads."""
        if self._unparsed is not None and not dict.__contains__(self, key):
            self._peek(key)
        return dict.get(self, key, default)

    def _holds_nothing(self) -> bool:
        """Whether the state is empty: asked without counting as an access, and
        without parsing an unparsed state (whose text then ends with an empty object)."""
        text = self._unparsed
        if text is None:
            return not dict.__len__(self)
        # The stand-in alone, and only whitespace between the state's braces.
        return dict.__len__(self) == 1 and not text[text.find("{") + 1 : -2].strip()

    def _materialize(self) -> None:
        """Parse the unparsed state into the dict.  The values read or assigned
        before stay, the very objects handed out, so a change made inside one is kept."""
        text = self._unparsed
        if text is None:
            return
        self._unparsed = None
        dict.pop(self, _UNPARSED, None)
        try:
            state, end = _json.scan_once(text, text.find("{"))  # a dict: it starts at "{"
            parsed = end == len(text) - 1
        except Exception:  # noqa: BLE001 - see below
            parsed = False
        if not parsed:
            # Text that verified but is not JSON: only a holder of the secret can
            # write it.  From here on it counts as refused, as a full parse at load
            # would have counted it: a new session, holding what was assigned since
            # (each assignment to an unparsed state is recorded in _written).
            assigned = {key: dict.__getitem__(self, key) for key in self._written or ()}
            dict.clear(self)
            self._start_new(self._clock(), None, None)
            if assigned:
                dict.update(self, assigned)
                self._dirty = True
            return
        # The values read or assigned before stay: over the parsed ones, in the parsed
        # order, and assigned keys the state did not have after them, in order.  The
        # parsed state itself stays as it came in (the keys _encode's reuse asks about).
        if dict.__len__(self):
            held = dict(dict.items(self))
            dict.clear(self)
            dict.update(self, state)
            dict.update(self, held)
        else:
            dict.update(self, state)
        self._incoming_triple[2] = state  # type: ignore[index]

    # -- the request ---------------------------------------------------------------

    @property
    def request(self) -> Any:
        """The request this session belongs to (held weakly), or None."""
        ref = self._request_ref
        return ref() if ref is not None else None

    # -- access tracking -----------------------------------------------------------

    def _touch(self) -> None:
        # Inlined in __getitem__ and get, the accessors of nearly every request.
        now = _trunc(self._clock())
        self.accessed = now
        if now - self.renewed > self._reissue_after:
            self._dirty = True

    def _modify(self) -> None:
        # Inlined in __setitem__.  A write always re-issues: no reissue_time check.
        self.accessed = _trunc(self._clock())
        self._dirty = True
        self._reusable = None  # the state may differ from the incoming text now

    def changed(self) -> None:
        """Mark the session changed: its cookie is written with the response."""
        self._dirty = True
        self._reusable = None

    def __getitem__(self, key: str) -> Any:
        now = _trunc(self._clock())  # self._touch(), inlined
        self.accessed = now
        if now - self.renewed > self._reissue_after:
            self._dirty = True
        if self._unparsed is not None and not dict.__contains__(self, key):
            self._peek(key)
        value = dict.__getitem__(self, key)
        if type(value) not in _IMMUTABLE:
            self._exposed = True
        return value

    def get(self, key: str, default: Any = None) -> Any:
        now = _trunc(self._clock())  # self._touch(), inlined
        self.accessed = now
        if now - self.renewed > self._reissue_after:
            self._dirty = True
        if self._unparsed is not None and not dict.__contains__(self, key):
            self._peek(key)
        value = dict.get(self, key, default)
        if type(value) not in _IMMUTABLE:
            self._exposed = True
        return value

    def __contains__(self, key: object) -> bool:
        self._touch()
        if self._unparsed is not None and not dict.__contains__(self, key):
            self._peek(key)
        return dict.__contains__(self, key)

    def __len__(self) -> int:
        self._touch()
        if self._unparsed is not None:
            self._materialize()
        return dict.__len__(self)

    def __iter__(self) -> Iterator[str]:
        self._touch()
        if self._unparsed is not None:
            self._materialize()
        return dict.__iter__(self)

    def keys(self) -> Any:
        self._touch()
        if self._unparsed is not None:
            self._materialize()
        return dict.keys(self)

    def values(self) -> Any:
        self._touch()
        if self._unparsed is not None:
            self._materialize()
        self._exposed = True
        return dict.values(self)

    def items(self) -> Any:
        self._touch()
        if self._unparsed is not None:
            self._materialize()
        self._exposed = True
        return dict.items(self)

    def copy(self) -> dict[str, Any]:
        # A shallow copy shares the values: they are handed out, as with items().
        self._touch()
        if self._unparsed is not None:
            self._materialize()
        self._exposed = True
        return dict(dict.items(self))

    # dict's own versions of these read the dict's entries directly, which hold only
    # what was read or assigned so far while the state is unparsed.  Untracked, as
    # dict's are.
    # (The rest of dict's API, `|` and dict(session) included, goes through keys().)

    def __eq__(self, other: object) -> bool:
        self._materialize()
        if isinstance(other, CookieSession):
            other._materialize()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __repr__(self) -> str:
        self._materialize()
        return dict.__repr__(self)

    def __reversed__(self) -> Iterator[str]:
        self._materialize()
        return dict.__reversed__(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # copy.copy() and copy.deepcopy() copy the attributes before the entries (read
        # through items()): parse first, so a copy never holds half of each.
        self._materialize()
        return super().__reduce_ex__(protocol)

    # -- modification --------------------------------------------------------------

    def __setitem__(self, key: str, value: Any) -> None:
        # self._modify(), inlined, except that an assignment keeps the incoming
        # text reusable: _encode splices the new value in.  An unparsed state stays
        # so: the dict holds the value, which _materialize keeps over the parsed one.
        self.accessed = _trunc(self._clock())
        self._dirty = True
        # Recorded for _encode's splice, and while the state is unparsed also for
        # _materialize, which keeps them if the state is refused when parsed.
        if self._reusable is not None or self._unparsed is not None:
            written = self._written
            if written is None:
                self._written = [key]
            else:
                written.append(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._materialize()
        self._modify()
        dict.__delitem__(self, key)

    def clear(self) -> None:
        self._modify()
        self._unparsed = None  # nothing to parse: it all goes
        dict.clear(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._materialize()
        self._modify()
        dict.update(self, *args, **kwargs)

    def __ior__(self, other: Any) -> CookieSession:  # type: ignore[override,misc]
        # Pyramid leaves |= untracked, so the write is silently lost; here it counts.
        self._materialize()
        self._modify()
        dict.update(self, other)
        return self

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._materialize()
        self._modify()
        return dict.setdefault(self, key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._materialize()
        self._modify()
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._materialize()
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
        written afterwards, which then starts a new session with a new ``created``.

        With ``revocation=``, the session's id is also recorded as revoked, so
        copies of the old cookie are refused everywhere; if the store cannot record
        it, :class:`~cookiesession.exceptions.RevocationUnavailable` is raised
        (after the session was emptied).
        """
        store = self._revocation
        session_id = dict.get(self, _SID_KEY) if store is not None else None
        ended_created = self.created
        self.clear()
        self._invalidated = True
        self._incoming = None
        self.created = self._clock()
        if type(session_id) is str:
            ttl = self._revocation_ttl(ended_created, self.created)
            if self._io_async:
                self._pending_revocations = (*self._pending_revocations, (session_id, ttl))
            else:
                store.revoke(session_id, ttl)  # type: ignore[union-attr]

    async def invalidate_async(self) -> None:
        """:meth:`invalidate`, recording the revocation without blocking the event loop."""
        self._io_async = True
        self.invalidate()
        await self.revoke_pending_async()

    async def revoke_pending_async(self) -> None:
        """Record revocations that ``invalidate()`` left for an asyncio adapter.

        Adapters built on :meth:`from_cookie_value_async` await this before
        :meth:`set_cookie_header`; it raises ``RevocationUnavailable`` as ``invalidate()`` does.
        """
        pending = self._pending_revocations
        if pending:
            self._pending_revocations = ()
            store = self._revocation
            assert store is not None  # only invalidate() with a store adds revocations
            for session_id, ttl in pending:
                await store.revoke_async(session_id, ttl)

    @property
    def session_id(self) -> str | None:
        """The id that revocation records for this session; None without ``revocation=``.

        A session gets its id when it is first stored; asking for it earlier (to
        list a user's sessions for "sign out everywhere") assigns it now, and the
        session is then stored with this response.
        """
        if self._revocation is None:
            return None
        session_id = dict.get(self, _SID_KEY)
        if type(session_id) is not str:
            session_id = _new_session_id()
            dict.__setitem__(self, _SID_KEY, session_id)
            self._dirty = True
        return session_id

    @classmethod
    def _revocation_ttl(cls, created: float | None, now: float) -> float | None:
        """How long a revocation must last: until the session would have expired
        anyway (None: it never expires on the server; the store decides)."""
        return revocation_ttl(cls._timeout, cls._absolute_timeout, created, now)

    # -- the response --------------------------------------------------------------

    def _on_response(self, request: Any, response: Any) -> None:
        if not (self._dirty or self._invalidated or self._deferred):
            pending = getattr(request, "response_callbacks", None)
            if pending and self._others_pending(pending):
                # Nothing to write yet, and callbacks registered after ours still to
                # run: one of them may make the session's first change, which Pyramid
                # saves (it registers its callback at the first change).  Answer after
                # them, once (so no two callbacks that wait can wait for each other).
                self._deferred = True
                request.add_response_callback(self._on_response)
                return
        headers: MutableSequence[tuple[str, str]] = response.headerlist
        if self._vary:
            merge_vary(headers)
        header = self.set_cookie_header(getattr(request, "exception", None) is not None)
        if header is not None:
            headers.append(("Set-Cookie", header))

    def _others_pending(self, pending: Iterable[Any]) -> bool:
        """Whether ``pending`` (the request's queue of response callbacks) holds other
        callbacks but not this session's: so this one was taken off the queue to be
        called, as Pyramid's router does (a test that calls it while it is still
        queued gets the answer at once), and something may still change the session."""
        others = False
        for callback in pending:
            if getattr(callback, "__self__", None) is self:
                return False
            others = True
        return others

    def set_cookie_header(self, failed: bool = False) -> str | None:
        """The ``Set-Cookie`` value this response needs, or None.

        ``failed`` says the response answers an exception; with
        ``set_on_exception=False`` nothing is sent then.  Raises
        :class:`SessionTooLarge` or :class:`SessionNotSerializable` when the
        state cannot be stored.
        """
        if failed and not self._set_on_exception:
            return None
        if self._invalidated:
            if self._pending_revocations:
                self._revoke_pending_blocking()
            if not dict.__len__(self):
                return self._cookie.delete_cookie()
        if not self._dirty and not self._nested_change():
            return None
        token = self._encode()
        if len(token) > MAX_TOKEN_LENGTH:
            raise SessionTooLarge(
                f"Cookie value is too long to store ({len(token)} bytes): a cookie value "
                f"holds at most {MAX_TOKEN_LENGTH} characters; store less in the session"
            )
        return self._cookie.set_cookie(token, self._clock)

    def _nested_change(self) -> bool:
        # Only a loaded session that handed out a mutable value can have changed
        # without a write; compare what it would store with what came in.
        if not (self._exposed and self._detect_nested_changes):
            return False
        self._materialize()  # before reading _incoming: a state that fails to parse drops it
        payload = self._incoming
        if payload is None:
            return False
        raw_accessed, raw_created, _ = self._incoming_triple  # type: ignore[misc]
        # The JSON encoder reads a dict subclass through its items(), an access-tracked
        # method: undo that, so the comparison neither stamps `accessed` with the
        # response time nor schedules a reissue.
        accessed, dirty = self.accessed, self._dirty
        codec = self._codec
        try:
            if codec.dumps(raw_accessed, raw_created, self) == payload:
                return False
            if self._json_payload:
                return True  # our JSON writes a state one way only
            # Another serializer may write the same state differently each time (one
            # that encrypts with a fresh nonce): if it does not give the incoming bytes
            # back for the incoming state, compare the data instead.
            incoming = codec.loads(payload)
            if codec.dumps(incoming[0], incoming[1], incoming[2]) == payload:
                return True
            return bool(incoming[2] != dict(dict.items(self)))
        except (TypeError, ValueError, RecursionError):
            return True  # something unstorable was put inside: let _encode say what
        finally:
            self.accessed, self._dirty = accessed, dirty

    def _revoke_pending_blocking(self) -> None:
        # An asyncio adapter that did not await revoke_pending_async(): record the
        # logout anyway (blocking) rather than lose it.
        _log.warning("recording a revocation with a blocking call; await revoke_pending_async() first")
        pending, self._pending_revocations = self._pending_revocations, ()
        for session_id, ttl in pending:
            self._revocation.revoke(session_id, ttl)  # type: ignore[union-attr]

    def _encode(self) -> str:
        if self._revocation is not None and not dict.__contains__(self, _SID_KEY):
            # Assigned when first stored, so anonymous visitors write no cookie.
            dict.__setitem__(self, _SID_KEY, _new_session_id())
        codec = self._codec
        reusable = self._reusable
        if reusable is not None and not self._exposed and self._revocation is None:
            # No mutable value was handed out and nothing but assignments changed
            # the state, so it is the one parsed from the incoming text plus the
            # assigned keys' current values.
            written = self._written
            incoming_triple = self._incoming_triple
            created_is_incoming = self.created is incoming_triple[1]  # type: ignore[index]
            if written is None:
                token = codec.reissue(
                    self.accessed,
                    self.created,
                    self._incoming_token,  # type: ignore[arg-type]
                    self._incoming,  # type: ignore[arg-type]
                    reusable,
                    created_is_incoming=created_is_incoming,
                )
                if token is not None:
                    return token
            incoming = incoming_triple[2]  # type: ignore[index]
            if self._unparsed is not None:  # which assigned keys the state had, from its text
                incoming = _keys_in_text(reusable, written)
            if incoming is not None:
                token = codec.encode_reusing(
                    self.accessed,
                    self.created,
                    reusable,
                    self,
                    written,
                    incoming,
                    created_is_incoming=created_is_incoming,
                )
                if token is not None:
                    return token
        self._materialize()
        try:
            return codec.encode(self.accessed, self.created, self)
        except TypeError as exc:
            raise SessionNotSerializable(self._describe_unserializable(exc)) from exc
        except RecursionError as exc:
            # Values nested about as deep as Python's recursion limit: json read
            # them, deeper in the stack they cannot be written again.
            raise SessionNotSerializable(
                "the session cannot be stored in a cookie: its values are nested too deeply to encode"
            ) from exc

    def _describe_unserializable(self, exc: TypeError) -> str:
        dumps = self._codec.serializer.dumps
        for key, value in dict.items(self):
            try:
                dumps({key: value})
            except TypeError as inner:
                return f"session[{key!r}] cannot be stored in a cookie: {inner}"
        return f"the session cannot be stored in a cookie: {exc}"  # pragma: no cover
