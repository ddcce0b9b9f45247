"""Loading a session from its cookie: verify, then parse, then apply the timeouts.

:func:`load` is the one place where an incoming cookie becomes a state, and it
never raises for anything the client sent: a cookie that does not verify, does
not parse into ``[accessed, created, {state}]`` or has timed out is simply no
session (``None``), and the caller starts a new one.  No byte of the cookie
reaches a parser before its signature (or AEAD tag) verified.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import _json
from .codec import SessionCodec
from .exceptions import BadCookie
from .signing import MAX_TOKEN_LENGTH

__all__ = ["DEFAULT_CLOCK_SKEW", "Limits", "Loaded", "load"]

#: Seconds a cookie's times may lie in the reader's future (the writer's clock ran
#: ahead) and still be read, as now; further ahead, the cookie is refused.
DEFAULT_CLOCK_SKEW = 300

_make_tuple = tuple.__new__
# What the two times of a payload may be: numbers (not bools), and finite.
_NUMBERS = frozenset({int, float})
_INF = float("inf")


class Limits(NamedTuple):
    """The timeouts a factory applies, in seconds (None: no limit), and how far
    ahead of the reader's clock a cookie's times may be."""

    timeout: int | None
    absolute_timeout: int | None
    clock_skew: int = DEFAULT_CLOCK_SKEW
    #: The longest token read: one cookie's, or with ``max_cookies`` its pieces' joined.
    longest_token: int = MAX_TOKEN_LENGTH


class Loaded(NamedTuple):
    """A cookie that verified, parsed and is within the absolute timeout: the
    session's start, and (as a :class:`~cookiesession.codec.Incoming`) what the
    codec needs to write the state back cheaply."""

    token: str
    payload: bytes
    #: The two times and the state, as parsed.
    raw_accessed: Any
    raw_created: Any
    state: dict[str, Any]
    #: The two times as the session keeps them.
    renewed: float
    created: float
    #: 0 for the primary secret, 1.. for the fallback secret that verified it.
    key_index: int
    #: The idle timeout ran out: the session keeps ``created`` but none of the
    #: state (as in Pyramid).
    expired: bool


def load(codec: SessionCodec, limits: Limits, token: str | None, now: float) -> Loaded | None:
    """The session that cookie value ``token`` holds at time ``now``, or None.

    A ``RecursionError`` is raised as it is when the caller's own stack, not the
    payload, was too deep to parse it: it is not the client's doing.
    """
    if not token or len(token) > limits.longest_token:
        return None
    try:
        payload, key_index = codec.protector.unseal(token)
    except BadCookie:
        return None
    try:
        triple = codec.loads(payload)
    except RecursionError:
        if _nests_deeper_than_we_write(codec, payload):
            return None
        raise
    except Exception:  # noqa: BLE001 - ValueError from ours; a custom serializer may raise anything
        return None
    try:
        # Three items, as Pyramid unpacks it (a JSON string or object of three
        # yields strings here, refused below).
        raw_accessed, raw_created, state = triple
    except (TypeError, ValueError):
        return None
    # Numbers only (Pyramid also took strings and booleans through float()), finite,
    # and within float's range (float() of a larger int raises OverflowError).
    if type(raw_accessed) not in _NUMBERS or type(raw_created) not in _NUMBERS or not isinstance(state, dict):
        return None
    try:
        renewed = float(raw_accessed)
        created = float(raw_created)
    except OverflowError:
        return None
    # Finite (JSON text may spell NaN and the infinities), and not too far ahead: a
    # cookie from a server whose clock runs ahead must not live longer than its
    # idle or absolute timeout allows here.  Within the allowed skew its future times
    # count as now (it lives at most that much longer); beyond it, it is refused:
    # clamping a time a year ahead would keep the cookie alive for a year.
    horizon = now + limits.clock_skew
    if not (-_INF < renewed <= horizon and -_INF < created <= horizon):
        return None
    if renewed > now:
        renewed = now
    if created > now:
        created = now
    if limits.absolute_timeout is not None and now - created > limits.absolute_timeout:
        return None
    expired = limits.timeout is not None and now - renewed > limits.timeout
    # The tuple made directly: a NamedTuple's own __new__ is a Python function, a call
    # more on every load (0.2 µs, a sixtieth of a medium one).
    return _make_tuple(
        Loaded, (token, payload, raw_accessed, raw_created, state, renewed, created, key_index, expired)
    )


def _nests_deeper_than_we_write(codec: SessionCodec, payload: bytes) -> bool:
    # Parsing failed for depth: the payload's or the stack's?  A payload deeper than
    # any state we write (its text tells, without parsing) is refused like any other
    # that does not parse; one within it failed for the caller's stack.
    if not codec.json_payload:
        return True  # another serializer's bytes: nothing tells its depth
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - json would have refused it first
        return True
    return _json.text_deeper_than(text, _json.MAX_DEPTH + 1)
