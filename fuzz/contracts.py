"""What the library promises for arbitrary client input, one check per fuzz target.

Each check takes the raw bytes a fuzzer (or a regression file) supplies, turns them into the
input of one entry point, and raises :class:`ContractViolation` (or lets an unexpected exception
escape) when the promise is broken:

* ``signed_token``: ``b64decode`` and ``Signer.unsign`` raise nothing but ``BadCookie``; what
  they accept is exactly what an independent decoder (stdlib ``base64`` + ``hmac``) accepts in
  canonical form.
* ``encrypted_token``: the encrypted protector's ``unseal`` raises nothing but ``BadCookie``.
* ``cookie_header``: ``find_cookie`` raises nothing, and what it returns is a piece of the header.
* ``pieces``: a session in several cookies (``max_cookies``): from ``session``, ``session.1``,
  ... whose values are anything at all, building it raises nothing, and it loads a state exactly
  when the first value's head (``~k~``) names pieces that are all there and whose text, joined,
  is a signed state (the join done here, from the format's description).
* ``session``: building a session, from a cookie value or from a request whose ``Cookie``
  header is anything at all, raises nothing and gives an empty new session unless the cookie is
  validly signed and holds ``[accessed, created, {state}]`` that the standard library parses (a
  signed payload nested deeper than the parser can follow gives a new session too); a loaded
  session holds the parsed state, writes it back unchanged when only read, and stores
  assignments made on top of it.

The oracles here are written independently of the code under test on purpose: a check that
asked the library whether the library was right could not fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cookiesession import (
    BadCookie,
    EncryptedCookieSessionFactory,
    SignedCookieSessionFactory,
    UnstorableSession,
)
from cookiesession._base64 import decode as b64decode
from cookiesession._base64 import encode as b64encode
from cookiesession.cookies import find_cookie
from cookiesession.signing import MAX_TOKEN_LENGTH, Signer

__all__ = [
    "FALLBACK_SECRET",
    "NOW",
    "SECRET",
    "TARGETS",
    "ContractViolation",
    "encrypted_factory",
    "encrypted_target",
]

SECRET = "fuzz-primary-secret-" + "0123456789abcdef" * 4
FALLBACK_SECRET = "fuzz-fallback-secret-" + "fedcba9876543210" * 4
SALT = "pyramid.session."
COOKIE_NAME = "session"
#: The fixed clock of every session the checks build, so a replay sees what the fuzzer saw.
NOW = 1_700_000_000.0
TIMEOUT = 1200

SIGNER = Signer(SECRET, SALT, "sha512", [FALLBACK_SECRET])
_FALLBACK_SIGNER = Signer(FALLBACK_SECRET, SALT, "sha512")
SESSIONS = SignedCookieSessionFactory(
    SECRET, COOKIE_NAME, timeout=TIMEOUT, fallback_secrets=[FALLBACK_SECRET], clock=lambda: NOW
)
_ORACLE_KEYS = tuple((SALT + s).encode("latin-1") for s in (SECRET, FALLBACK_SECRET))
_URLSAFE = re.compile(r"[A-Za-z0-9_-]*")
_HEADER_NAMES = (COOKIE_NAME, "s", "__Host-id", "a.b")


class ContractViolation(AssertionError):
    """The library broke a promise it makes about untrusted input."""


def _expect(condition: bool, message: str) -> None:
    # Not `assert`: the checks must hold under `python -O` too.
    if not condition:
        raise ContractViolation(message)


def _text(data: bytes) -> str:
    """Any str: UTF-8 when the bytes are UTF-8 (reaching non-Latin text), else Latin-1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def oracle_unsign(token: str, longest: int = MAX_TOKEN_LENGTH) -> tuple[bytes, int] | None:
    """Payload and key index of a canonical, validly signed token of at most ``longest``
    characters, by the stdlib alone."""
    if len(token) > longest or _URLSAFE.fullmatch(token) is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        return None  # a non-canonical spelling of these bytes
    digest = hashlib.sha512().digest_size
    if len(raw) < digest:
        return None
    sig, payload = raw[:digest], raw[digest:]
    for index, key in enumerate(_ORACLE_KEYS):
        if hmac.compare_digest(hmac.new(key, payload, "sha512").digest(), sig):
            return payload, index
    return None


def check_signed_token(data: bytes) -> None:
    token = _text(data)
    try:
        raw = b64decode(token)
    except BadCookie:
        pass
    else:
        _expect(b64encode(raw) == token, "b64decode accepted a non-canonical encoding")
    try:
        opened: tuple[bytes, int] | None = SIGNER.unsign(token)
    except BadCookie:
        opened = None
    _expect(opened == oracle_unsign(token), "Signer.unsign disagrees with the stdlib oracle")


def check_cookie_header(data: bytes) -> None:
    name = _HEADER_NAMES[data[0] % len(_HEADER_NAMES)] if data else COOKIE_NAME
    header = _text(data[1:])
    value = find_cookie(header, name)
    if value is None:
        starts_pair = re.search(r"(?:^|[; \t,])" + re.escape(name) + "=", header)
        _expect(starts_pair is None, "find_cookie missed a cookie present in the header")
    else:
        _expect(isinstance(value, str), "find_cookie returned a non-str")
        # Text of the header; where the header has backslashes, WebOb's escapes in it are
        # undone (\073 is ";"), so the value need only be no longer than the header.
        if "\\" in header:
            _expect(len(value) <= len(header), "find_cookie returned more text than the header holds")
        else:
            _expect(value in header, "find_cookie returned text that is not in the header")
            _expect(";" not in value, "find_cookie returned a value spanning a ';'")
    # Whatever precedes it, a well-formed cookie appended last is the one found.
    token = b64encode(data[:48])
    found = find_cookie(f"{header}; {name}={token}", name)
    _expect(found == token, "find_cookie lost a well-formed cookie after arbitrary text")


class _Request:
    """The request duck type the session reads: an environ and a response-callback hook."""

    def __init__(self, cookie_header: str) -> None:
        self.environ = {"HTTP_COOKIE": cookie_header}
        self.callbacks: list[Callable[[Any, Any], None]] = []

    def add_response_callback(self, callback: Callable[[Any, Any], None]) -> None:
        self.callbacks.append(callback)


@contextmanager
def _room_to_recurse() -> Iterator[None]:
    """A recursion limit high enough for the standard library's JSON to follow any
    nesting a cookie can hold (one level per character at most), wherever the
    caller's stack stands: the oracle's answer must not depend on it."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 2 * MAX_TOKEN_LENGTH)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _parsed_state(payload: bytes) -> dict[str, Any] | None:
    """The state of a verified payload as the standard library parses it: the
    third item of a JSON list of two numbers and an object; None for anything else."""
    try:
        with _room_to_recurse():
            triple = json.loads(payload.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is a ValueError too
        return None
    if not (isinstance(triple, list) and len(triple) == 3 and isinstance(triple[2], dict)):
        return None
    if not all(type(time) in (int, float) for time in triple[:2]):
        return None
    return triple[2]


def _cookie_of(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


def check_session(data: bytes) -> None:
    mode = data[0] % 4 if data else 0
    rest = data[1:]
    if mode == 3:
        header = _text(rest)
        request = _Request(header)
        session = SESSIONS(request)
        _expect(len(request.callbacks) == 1, "the session did not register exactly one callback")
        value = find_cookie(header, COOKIE_NAME)
    else:
        if mode == 0:
            value = _text(rest)
        elif mode == 1:  # validly signed arbitrary bytes: fuzzes what runs after verification
            value = SIGNER.sign(rest)
        else:  # signed by the fallback secret: the re-issue path
            value = _FALLBACK_SIGNER.sign(rest)
        session = SESSIONS.from_cookie_value(value)
    state = _stored_state(session)
    verified = oracle_unsign(value) if value else None
    parsed = _parsed_state(verified[0]) if verified is not None else None
    if parsed is None:
        _expect(session.new is True and state == {}, "a cookie without a signed state loaded a session")
    elif session.new:
        _expect(state == {}, "a new session is not empty")
    else:
        _expect(state == {} or _same_json(state, parsed), "a loaded session differs from its cookie")
    _expect(session.created <= NOW and session.renewed <= NOW, "a session time lies in the future")
    # A read (which may re-issue the cookie), then the response.
    _expect(len(session) == len(state), "the session's length differs from its state")
    try:
        written = session.set_cookie_header()
    except UnstorableSession:
        # Only a verified cookie that re-encodes larger (re-issue under the primary secret)
        # can get here; it is the application's state, not the client's input.
        _expect(parsed is not None, "an unverified cookie made the session unstorable")
    else:
        if session.new:
            _expect(written is None, "a new session that was only read wrote a cookie")
        elif written is not None:
            stored = oracle_unsign(_cookie_of(written))
            _expect(
                stored is not None and _same_json(_parsed_state(stored[0]), state),
                "a session that was only read wrote back a different state",
            )
    if value and not session.new:
        _check_assignments_are_stored(value, state)


PIECES = SignedCookieSessionFactory(SECRET, COOKIE_NAME, timeout=TIMEOUT, clock=lambda: NOW, max_cookies=4)
_HEAD = re.compile(r"~([2-4])~")
# What a piece's value may hold and still be sent as it is (no separator, quote or escape).
_PLAIN_VALUE = re.compile(r"[^;,\s\"\\=]*")


def _oracle_pieces(values: list[str]) -> dict[str, Any] | None:
    head = _HEAD.match(values[0])
    if head is None or len(values) < int(head[1]) or not all(values[1 : int(head[1])]):
        return None
    # Four cookies of at most 4096 bytes each: no longer token is read.
    verified = oracle_unsign(values[0][head.end() :] + "".join(values[1 : int(head[1])]), 4 * 4096)
    return _parsed_state(verified[0]) if verified is not None else None


def check_pieces(data: bytes) -> None:
    values = _text(data).split("\x00")[:5]
    header = "; ".join(f"{COOKIE_NAME}.{i}={v}" if i else f"{COOKIE_NAME}={v}" for i, v in enumerate(values))
    session = PIECES.from_cookie_header(header)
    state = _stored_state(session)
    if not all(_PLAIN_VALUE.fullmatch(value) for value in values):
        return  # values no browser sends as they are: the promise is only that nothing raised
    expected = _oracle_pieces(values)
    if expected is None:
        _expect(session.new is True and state == {}, "pieces that do not join into a signed state loaded")
    else:
        # (A verified state past its idle timeout loads empty.)
        _expect(state == {} or _same_json(state, expected), "a session in pieces differs from its cookies")
    try:
        written = session.set_cookie_headers()
    except UnstorableSession:
        _expect(expected is not None, "unverified pieces made the session unstorable")
    else:
        _expect(all(len(each) <= 4096 for each in written), "a Set-Cookie longer than 4096 bytes")


def _same_json(a: object, b: object) -> bool:
    with _room_to_recurse():  # NaN equals NaN here
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _check_assignments_are_stored(value: str, state: dict[str, Any]) -> None:
    """Keys assigned on top of a loaded state (whatever the layout of its verified
    text, which the session may copy from) are stored with their new values."""
    session = SESSIONS.from_cookie_value(value)
    expected = dict(state)
    for number, key in enumerate([*list(state)[:2], "added"]):
        session[key] = number
        expected[key] = number
    try:
        header = session.set_cookie_header()
    except UnstorableSession:
        return  # larger than a cookie holds, as above
    stored = oracle_unsign(_cookie_of(header)) if header is not None else None
    _expect(
        stored is not None and _same_json(_parsed_state(stored[0]), expected),
        "assignments on a loaded session were not stored as made",
    )


def encrypted_factory() -> Any:
    """An encrypted session factory keyed with SECRET; None without the ``crypto`` extra."""
    try:
        return EncryptedCookieSessionFactory(SECRET, COOKIE_NAME, timeout=TIMEOUT, clock=lambda: NOW)
    except ImportError:  # MissingDependency: the `cryptography` package is not installed
        return None


def encrypted_target() -> Callable[[bytes], None] | None:
    """The check of the encrypted-token decoder, when the library has encrypted sessions."""
    factory = encrypted_factory()
    if factory is None:
        return None
    # The factory's protector (codec.Protector: seal/unseal), whatever class implements it.
    protector = factory._codec.protector

    def check_encrypted_token(data: bytes) -> None:
        token = _text(data)
        try:
            protector.unseal(token)
        except BadCookie:
            opened = False
        else:
            opened = True
        session = factory.from_cookie_value(token)
        if not opened:
            _expect(session.new is True and _stored_state(session) == {}, "a bad token loaded a session")
        _expect(session.created <= NOW and session.renewed <= NOW, "a session time lies in the future")

    return check_encrypted_token


TARGETS: dict[str, Callable[[bytes], None]] = {
    "signed_token": check_signed_token,
    "cookie_header": check_cookie_header,
    "session": check_session,
    "pieces": check_pieces,
}
_encrypted = encrypted_target()
if _encrypted is not None:
    TARGETS["encrypted_token"] = _encrypted


def _stored_state(session: Any) -> dict[str, Any]:
    # The state as stored, read without counting as an access.
    return dict(dict.items(session))
