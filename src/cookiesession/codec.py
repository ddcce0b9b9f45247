"""The codec: a session's ``[accessed, created, state]`` <-> payload bytes <-> cookie value.

A codec pairs a serializer (objects <-> bytes) with a protector (bytes <-> the
cookie value: signing, encryption, or nothing), and knows the shortcuts that
reuse an incoming cookie's text (see :mod:`cookiesession._reuse`).
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any, Protocol

from . import _json, _reuse

__all__ = ["Protector", "SessionCodec"]


class Protector(Protocol):
    """Turns payload bytes into a cookie value and back (signing or encryption).

    A protector may also set ``urlsafe_tokens = True`` to promise that
    :meth:`unseal` refuses every token with a character outside ``A-Z a-z 0-9 - _``;
    sessions then read the usual ``Cookie`` header faster (see ``CookieSession.__init__``).
    And it may have ``resign(token, payload, head)`` (see :meth:`Signer.resign`),
    which a read-only re-issue uses to keep most of the incoming token.
    """

    def seal(self, payload: bytes) -> str: ...

    def unseal(self, token: str) -> tuple[bytes, int]:
        """Return the payload and the index of the key that opened it (0 = primary).

        Raise :class:`~cookiesession.exceptions.BadCookie` for anything else.
        """
        ...


class SessionCodec:
    """State triple ``[accessed, created, state]`` <-> payload bytes <-> token."""

    __slots__ = ("_resign", "json_payload", "protector", "serializer", "urlsafe_tokens")

    def __init__(self, serializer: Any, protector: Protector) -> None:
        from .serializers import JSONSerializer

        self.serializer = serializer
        self.protector = protector
        self.urlsafe_tokens = getattr(protector, "urlsafe_tokens", False) is True
        # A protector that can sign a payload again reusing its old token's text
        # (the Signer; see reissue).
        self._resign = getattr(protector, "resign", None)
        # Our own JSON serializer can encode the session (a dict subclass) in place,
        # and sessions can read and reuse the payload's JSON text directly; any other
        # serializer gets a plain dict, as Pyramid gives it, and bytes.
        self.json_payload = type(serializer) is JSONSerializer

    def __repr__(self) -> str:
        return f"<SessionCodec {self.serializer!r} {self.protector!r}>"

    def dumps(self, accessed: float, created: float, state: dict[str, Any]) -> bytes:
        if self.json_payload:
            return self.serializer.dumps([accessed, created, state])  # type: ignore[no-any-return]
        return self.serializer.dumps((accessed, created, dict(dict.items(state))))  # type: ignore[no-any-return]

    def loads(self, payload: bytes) -> Any:
        return self.serializer.loads(payload)

    def encode(self, accessed: float, created: float, state: dict[str, Any]) -> str:
        if self.json_payload:  # the serializer's own work, minus two calls
            return self.protector.seal(_json.dumps([accessed, created, state]).encode("utf-8"))
        return self.protector.seal(self.dumps(accessed, created, state))

    def reissue(
        self,
        accessed: float,
        created: float,
        token: str,
        payload: bytes,
        text: str,
        *,
        created_is_incoming: bool,
    ) -> str | None:
        """:meth:`encode` for the unchanged state of ``payload`` (``text`` decoded;
        parsed, or not parsed yet: see :mod:`cookiesession._reuse`), which came in
        as ``token``: only the two times at its head change.
        The new head goes before the payload's own bytes from its state on; with a
        protector that can (:meth:`Signer.resign`) most of ``token`` is kept too.
        ``created_is_incoming``: ``created`` is the very float parsed from ``text``
        (see :func:`_reuse.times_json`).  None where that cannot be done.
        """
        if text[-2:] != "}]":
            return None
        start = text.find("{")  # where the state begins: see _reuse.state_json
        head = _reuse.times_json(text, start, accessed, created, created_is_incoming).encode()
        # The head is ASCII (numbers, commas, whitespace), so `start` counts bytes too.
        resign = self._resign
        if resign is None:  # an encrypted token changes as a whole
            return self.protector.seal(head + payload[start:])
        if len(head) != start:  # an equal length keeps the token's text in place
            return None
        return resign(token, payload, head)  # type: ignore[no-any-return]

    def encode_reusing(
        self,
        accessed: float,
        created: float,
        text: str,
        state: dict[str, Any],
        assigned: list[Any] | None,
        incoming: Container[Any],
        *,
        created_is_incoming: bool,
    ) -> str | None:
        """:meth:`encode` for a ``state`` read from ``text`` (the incoming payload,
        parsed or not parsed yet) as ``incoming`` and since changed only by assigning the keys in
        ``assigned`` (None: not changed); ``incoming`` may be any container that
        answers ``key in incoming`` for those keys as the parsed state would (see
        :func:`_reuse.state_json`).  The state's JSON is copied from
        ``text``, with those keys' values spliced in, instead of encoded again
        (see :mod:`cookiesession._reuse`).  None where that cannot be done; the
        caller then encodes the state in full.
        """
        try:
            state_json = _reuse.state_json(text, state, assigned, incoming)
        except Exception:  # noqa: BLE001 - e.g. an unstorable value: the full encode says what
            return None
        if state_json is None:
            return None
        head = _reuse.times_json(text, text.find("{"), accessed, created, created_is_incoming)
        return self.protector.seal(f"{head}{state_json}]".encode())
