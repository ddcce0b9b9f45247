"""What the ``cookiesession`` command reads, and the codec it reads it with.

The secrets (from a file or the environment, with a warning for a file other users
can read), the Redis URL (likewise), the cookie value (bare, or
taken out of a pasted ``Cookie:`` / ``Set-Cookie:`` line or a name=value pair), the
times and durations given as options, the :class:`~cookiesession.codec.SessionCodec`
built from the options, and the check that a decoded payload is a session.  Every
mistake in this input is a :class:`UsageError` or a :class:`~cookiesession.exceptions.BadCookie`,
whose messages never quote an unverified cookie.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shlex
import stat
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from . import _pieces
from .codec import SessionCodec
from .cookies import find_cookie
from .exceptions import BadCookie, BadPayload, ConfigurationError
from .factory import seconds_option
from .serializers import JSONSerializer
from .signing import MAX_TOKEN_LENGTH, Signer

__all__ = [
    "DEFAULT_SALT",
    "REDIS_URL_ENV",
    "SECRET_ENV",
    "UsageError",
    "build_codec",
    "extract_token",
    "parse_payload",
    "read_redis_url",
    "read_secret_file",
    "read_text_argument",
    "timestamp",
    "whole_seconds",
]

SECRET_ENV = "COOKIESESSION_SECRET"  # noqa: S105 - the name of a variable, not a secret
REDIS_URL_ENV = "COOKIESESSION_REDIS_URL"
DEFAULT_SALT = "pyramid.session."


class UsageError(Exception):
    """The command line or its input is wrong (exit code 2)."""


# -- secrets and text arguments --------------------------------------------------------


def read_secret_file(path: str, what: str) -> str | bytes:
    raw = _read_private_file(path, what)
    if not raw:
        raise UsageError(f"the {what} file {path!r} is empty")
    return _text_or_bytes(raw)


def read_redis_url(args: argparse.Namespace) -> str:
    """The Redis URL, from ``--redis-url-file`` or the environment: never from argv."""
    if args.redis_url_file is not None:
        raw = _read_private_file(args.redis_url_file, "Redis URL")
        try:
            url = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise UsageError(f"the Redis URL file {args.redis_url_file!r} is not UTF-8 text") from None
    else:
        url = os.environ.get(REDIS_URL_ENV, "")
    if not url:
        raise UsageError(
            f"no Redis: set the {REDIS_URL_ENV} environment variable or pass --redis-url-file FILE"
        )
    return url


def _read_private_file(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            raw = f.read()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} file {path!r}: {exc.strerror or exc}") from None
    # As ssh does for its keys: whoever else can read the file can forge sessions (or
    # use the Redis password), so say so.  Pipes and devices (<(...), /dev/stdin) have
    # modes of their own that say nothing about who can read the secret.
    if os.name == "posix" and stat.S_ISREG(mode) and mode & 0o077:
        print(
            f"cookiesession: warning: the {what} file {path!r} is open to users other than its "
            f"owner (mode {stat.S_IMODE(mode):04o}); make it private: chmod 600 {shlex.quote(path)}",
            file=sys.stderr,
        )
    # `echo ... > file` leaves a newline; a secret never ends with one.
    return raw.rstrip(b"\r\n")


def _text_or_bytes(raw: bytes) -> str | bytes:
    try:
        # Text, as an application would pass it from its settings: the HMAC key is
        # then encoded exactly as for a str secret (latin-1, or UTF-8 if it must).
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _from_environment_or_argv(value: str) -> str | bytes:
    # Python hands over bytes that are not UTF-8 as lone surrogates, which nothing
    # can encode: take the bytes themselves, as from a file.
    return _text_or_bytes(os.fsencode(value))


def _primary_secret(args: argparse.Namespace) -> str | bytes:
    if args.secret_file is not None:
        return read_secret_file(args.secret_file, "secret")
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        raise UsageError(f"no secret: pass --secret-file FILE or set the {SECRET_ENV} environment variable")
    return _from_environment_or_argv(secret)


def read_text_argument(value: str, what: str) -> str:
    if value != "-":
        return value
    try:
        return sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the {what} from standard input: {exc}") from None


# -- the cookie value ------------------------------------------------------------------

# Text that holds a cookie pair (name=value) rather than a bare token: base64 has no
# '=' except trailing padding, and no ';'.
_HEADER_PREFIX = re.compile(r"\A(set-cookie|cookie)\s*:\s*", re.IGNORECASE)


def extract_token(text: str, cookie_name: str) -> tuple[str, int]:
    """The cookie value from a bare token, a ``Cookie:`` / ``Set-Cookie:`` line or a pair,
    and how many cookies held it: a session in several cookies (``max_cookies``) is
    joined from the pieces of a ``Cookie`` header; its signature is checked later."""
    text = text.strip()
    match = _HEADER_PREFIX.match(text)
    header: str | None = None
    if match is not None:
        header = text[match.end() :]
        if match.group(1).lower() == "set-cookie":
            header = header.split(";", 1)[0]  # the pair; the rest are attributes
    elif ";" in text or "=" in text.rstrip("="):
        header = text
    if header is None:
        token = text
    else:
        found = find_cookie(header, cookie_name)
        if found is None:
            raise BadCookie(f"no cookie named {cookie_name!r} in the input (see --cookie-name)")
        token = found
    if not token:
        raise BadCookie("the cookie value is empty")
    if not token.startswith(_pieces.HEAD):
        return token, 1
    pieces_header = header
    if pieces_header is None:
        raise BadCookie(
            "this is the first piece of a session in several cookies: give the whole Cookie header"
        )
    joined, count = _pieces.join(
        token, cookie_name, lambda name: find_cookie(pieces_header, name), _pieces.MAX_COOKIES
    )
    if joined is None:
        raise BadCookie(
            f"a session in several cookies whose pieces ({cookie_name}.1, ...) are not all in the "
            "input: give the whole Cookie header"
        )
    return joined, count


# -- times and durations (argparse types) ----------------------------------------------


def timestamp(value: str) -> float:
    """An argparse type: POSIX seconds, or an ISO-8601 time (UTC unless it says otherwise)."""
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(number):
            raise argparse.ArgumentTypeError("not a finite time")
        return number
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "neither POSIX seconds nor an ISO-8601 time such as 2024-05-01T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def whole_seconds(value: str) -> int:
    """An argparse type: a whole, non-negative number of seconds."""
    try:
        seconds = seconds_option("the duration", value)
    except ConfigurationError:
        # Its message repeats the value, which an error never does (see _cli_args).
        raise argparse.ArgumentTypeError("not a whole, non-negative number of seconds") from None
    assert seconds is not None
    return seconds


# -- the codec -------------------------------------------------------------------------


def build_codec(
    args: argparse.Namespace,
    fallback_secrets: Sequence[str | bytes] = (),
    longest_token: int = MAX_TOKEN_LENGTH,
) -> SessionCodec:
    """The codec the options describe: signed, or encrypted with ``--encrypted``;
    ``longest_token``: the longest token it verifies (longer for a joined session)."""
    secret = _primary_secret(args)
    if args.encrypted:
        return _encrypted_codec(args, secret, fallback_secrets, longest_token)
    salt = DEFAULT_SALT if args.salt is None else _from_environment_or_argv(args.salt)
    # The secret is whatever the application uses; a short one is its choice, not ours to warn about.
    signer = Signer(secret, salt, args.hashalg, fallback_secrets, warn_short=False)
    signer.longest_token = longest_token
    return SessionCodec(JSONSerializer(), signer)


def _encrypted_codec(
    args: argparse.Namespace,
    secret: str | bytes,
    fallback_secrets: Sequence[str | bytes],
    longest_token: int,
) -> SessionCodec:
    # cookiesession.encryption imports cryptography only when an Encryptor is built.
    from .encryption import DEFAULT_SALT as ENCRYPTED_DEFAULT_SALT
    from .encryption import Encryptor

    salt = ENCRYPTED_DEFAULT_SALT if args.salt is None else _from_environment_or_argv(args.salt)
    if not args.cookie_name.isascii():  # a cookie name is an ASCII token
        raise UsageError("--cookie-name must be ASCII")
    try:
        encryptor = Encryptor(secret, args.cookie_name, salt, fallback_secrets, warn_short=False)
    except ImportError as exc:  # MissingDependency: its message says what to install
        raise UsageError(str(exc)) from None
    encryptor.longest_token = longest_token
    return SessionCodec(JSONSerializer(), encryptor)


# -- the payload -----------------------------------------------------------------------


def parse_payload(payload: bytes) -> tuple[float, float, dict[str, Any]]:
    """``(accessed, created, state)`` from a decoded payload, or :class:`BadPayload`."""
    try:
        triple = JSONSerializer().loads(payload)
    except (ValueError, RecursionError):
        raise BadPayload("the payload is not JSON (a pickled session? this tool never unpickles)") from None
    if type(triple) is not list or len(triple) != 3:
        raise BadPayload("the payload is not a session: expected [accessed, created, state]")
    accessed, created, state = triple
    for name, value in (("accessed", accessed), ("created", created)):
        try:
            finite = type(value) in (int, float) and math.isfinite(value)
        except OverflowError:  # an int beyond a float's range
            finite = False
        if not finite:
            raise BadPayload(f"the payload is not a session: {name} is not a finite number")
    if not isinstance(state, dict):
        raise BadPayload("the payload is not a session: its state is not a JSON object")
    return accessed, created, state
