"""The codec: a session's ``[accessed, created, state]`` <-> payload bytes <-> cookie value.

A codec pairs a serializer (objects <-> bytes) with a protector (bytes <-> the
cookie value: signing, encryption, or nothing).  Writing, it chooses the
cheapest way to the token that a full encode would give: signing the
incoming payload under a new head, splicing assigned values into its text (see
:mod:`cookiesession._reuse`), or encoding the state in full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from . import _json, _reuse
from ._compression import Compressed, deflate
from .exceptions import SessionNotSerializable
from .serializers import JSONSerializer

__all__ = ["Incoming", "Protector", "SessionCodec"]


class Protector(Protocol):
    """Turns payload bytes into a cookie value and back (signing or encryption)."""

    def seal(self, payload: bytes) -> str: ...

    def unseal(self, token: str) -> tuple[bytes, int]:
        """Return the payload and the index of the key that opened it (0 = primary).

        Raise :class:`~cookiesession.exceptions.BadCookie` for anything else.
        """
        ...


class Incoming(Protocol):
    """A verified cookie that a session was loaded from (see ``loading.Loaded``)."""

    @property
    def token(self) -> str: ...
    @property
    def payload(self) -> bytes: ...

    # The two times and the state exactly as parsed (the state is the parsed dict
    # itself, not the session).
    @property
    def raw_accessed(self) -> Any: ...
    @property
    def raw_created(self) -> Any: ...
    @property
    def state(self) -> dict[str, Any]: ...


class SessionCodec:
    """State triple ``[accessed, created, state]`` <-> payload bytes <-> token."""

    __slots__ = ("json_payload", "loads", "protector", "serializer", "storable_types")

    #: The object a verified payload holds; ``ValueError`` if it holds none.
    loads: Callable[[bytes], Any]

    def __init__(self, serializer: Any, protector: Protector) -> None:
        self.serializer = serializer
        self.protector = protector
        # With our own JSON serializer the payload is JSON text that can be reused
        # on the way out; any other serializer gets a plain dict, as Pyramid gives
        # it, and its bytes are opaque.  RichJSONSerializer writes JSON text too, but
        # a value's text there is not its json.dumps (a tuple is {" t": [...]}), and
        # the reuse splices json.dumps text and compares parsed values with the
        # session's: it is encoded in full.
        self.json_payload = type(serializer) is JSONSerializer
        self.loads = _json.loads if self.json_payload else serializer.loads
        # Types a value must have to be stored, when the serializer's own class says
        # (not inherited: a subclass may store more); None: any may be.
        self.storable_types: tuple[type, ...] | None = vars(type(serializer)).get("storable_types")

    def __repr__(self) -> str:
        return f"<SessionCodec {self.serializer!r} {self.protector!r}>"

    # -- writing -----------------------------------------------------------------------

    def check_value(self, key: Any, value: Any) -> None:
        """Raise :class:`SessionNotSerializable` naming ``key`` if ``value`` is of a type
        the serializer can never store (the values inside it are checked when the
        cookie is written)."""
        storable = self.storable_types
        if storable is not None and not isinstance(value, storable):
            raise SessionNotSerializable(
                f"session[{key!r}] cannot be stored in a cookie: "
                f"Object of type {type(value).__name__} is not JSON serializable"
            )

    def compressed_token(self, accessed: Any, created: Any, state: dict[str, Any]) -> str | None:
        """The token of the state compressed, to tell whether ``compress=True`` would
        store it; None when this codec compresses already."""
        if isinstance(self.protector, Compressed):
            return None
        return self.protector.seal(deflate(self.dumps(accessed, created, state)))

    def dumps(self, accessed: Any, created: Any, state: dict[str, Any]) -> bytes:
        """The payload of ``state`` (raises what the serializer raises)."""
        if self.json_payload:
            return _json.dumps([accessed, created, state]).encode("utf-8")
        return self.serializer.dumps((accessed, created, dict(dict.items(state))))  # type: ignore[no-any-return]

    def differs(self, incoming: Incoming, state: dict[str, Any]) -> bool:
        """Whether ``state`` (a plain dict) differs from the state ``incoming`` brought."""
        try:
            if self.dumps(incoming.raw_accessed, incoming.raw_created, state) == incoming.payload:
                return False
            if self.json_payload:
                return True  # our JSON writes a state one way only
            # Another serializer may write the same state differently each time (one
            # that encrypts with a fresh nonce): if it does not give the incoming bytes
            # back for the incoming state, compare the data instead.  (Parsed again:
            # the session's values are the incoming state's own objects.)
            accessed, created, pristine = self.loads(incoming.payload)
            return self.dumps(accessed, created, pristine) == incoming.payload or pristine != state
        except (TypeError, ValueError, RecursionError):
            return True  # something unstorable was put inside: the encode says what

    def encode(
        self,
        accessed: float,
        created: float,
        state: dict[str, Any],
        incoming: Incoming | None = None,
        assigned: list[Any] | None = None,
    ) -> str:
        """The token of ``[accessed, created, state]``.

        ``incoming``: the cookie ``state`` was loaded from, when ``state`` is
        still its state but for plain assignments of the keys in ``assigned``
        (None: no change at all).  The incoming payload's text is then reused
        where that gives exactly the full encode's bytes (see :mod:`._reuse`).

        Raises :class:`SessionNotSerializable` naming the key whose value cannot
        be stored.
        """
        if incoming is not None and self.json_payload:
            token = self._reuse(accessed, created, state, incoming, assigned)
            if token is not None:
                return token
        return self.protector.seal(self._payload(accessed, created, state))

    def _reuse(
        self,
        accessed: float,
        created: float,
        state: dict[str, Any],
        incoming: Incoming,
        assigned: list[Any] | None,
    ) -> str | None:
        payload = incoming.payload
        if payload[-2:] != b"}]":  # the state's object ends the payload: see _reuse.state_json
            return None
        start = payload.find(b"{")
        head = _reuse.times_json(payload, start, accessed, created, created is incoming.raw_created)
        if assigned is None:  # unchanged: the new head before the payload's own bytes from its state on
            return self.protector.seal(head + payload[start:])
        try:
            state_json = _reuse.state_json(payload.decode("utf-8"), state, assigned, incoming.state)
        except (TypeError, ValueError, RecursionError):  # an unstorable value: the full encode says which
            return None
        if state_json is None or not self._assigned_within_depth(state, assigned):
            return None
        return self.protector.seal(head + f"{state_json}]".encode())

    @staticmethod
    def _assigned_within_depth(state: dict[str, Any], assigned: list[Any]) -> bool:
        # The state's other values came in a payload; only the assigned ones are new
        # (see _check_depth), and only a container can nest.
        for key in assigned:
            value = dict.__getitem__(state, key)
            if isinstance(value, (dict, list, tuple)) and _json.deeper_than(value, _json.MAX_DEPTH - 1):
                return False
        return True

    def _payload(self, accessed: float, created: float, state: dict[str, Any]) -> bytes:
        try:
            payload = self.dumps(accessed, created, state)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SessionNotSerializable(_describe_unstorable(self.serializer, state, exc)) from exc
        # As many levels as brackets at most: a count is enough for nearly every state.
        if self.json_payload and payload.count(b"[") + payload.count(b"{") > _json.MAX_DEPTH + 1:
            _check_depth(state)
        return payload


def _check_depth(state: dict[str, Any]) -> None:
    """Refuse a state nested more than ``MAX_DEPTH`` levels deep, naming the key.

    A state that deep would still be written, but reading it back needs that many
    levels of the interpreter's stack, so a request that reads it from deep in its
    own stack could fail: no state we write nests deeper than this limit.
    """
    for key, value in dict.items(state):
        if _json.deeper_than(value, _json.MAX_DEPTH - 1):
            raise SessionNotSerializable(
                f"session[{key!r}] cannot be stored in a cookie: it nests more than "
                f"{_json.MAX_DEPTH} levels of lists and dicts"
            )


def _describe_unstorable(serializer: Any, state: dict[str, Any], exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        # Values nested about as deep as Python's recursion limit (or a cycle).
        for key, value in dict.items(state):
            if _json.deeper_than(value, _json.MAX_DEPTH - 1):
                return (
                    f"session[{key!r}] cannot be stored in a cookie: it nests more than "
                    f"{_json.MAX_DEPTH} levels of lists and dicts (or contains itself)"
                )
    for key, value in dict.items(state):
        try:
            serializer.dumps({key: value})
        except (TypeError, ValueError, RecursionError) as inner:
            return f"session[{key!r}] cannot be stored in a cookie: {inner}"
    return f"the session cannot be stored in a cookie: {exc}"  # pragma: no cover - one key always fails alone
