"""The ``cookiesession`` command: make secrets, and read or make session cookies.

::

    cookiesession --version
    cookiesession keygen [--hashalg sha512] [--output FILE [--force]]
    cookiesession decode TOKEN [--secret-file FILE] [--timeout S] [--json] [--unsafe] [--encrypted]
    cookiesession sign --state JSON [--accessed T] [--created T]
    cookiesession revoke TOKEN [--redis-url-file FILE] [--timeout S] [--absolute-timeout S]
                         [--clock-skew S]
    cookiesession revoke --user ID [--redis-url-file FILE] [--timeout S] [--absolute-timeout S]
                         [--clock-skew S]

The secret comes from ``--secret-file`` or the ``COOKIESESSION_SECRET`` environment
variable, and the Redis URL (which may hold a password) from ``--redis-url-file`` or
``COOKIESESSION_REDIS_URL``: never from the command line, where ``ps`` and shell
histories would show them.  A file that other users can read draws a warning.

Exit codes: 0 ok, 1 the cookie is invalid, expired or forged, 2 a usage error (bad
arguments, an unreadable file, a missing secret, input that is not what was asked for),
3 (``revoke``) Redis could not record the revocation.
Every failure is one line on standard error; no traceback, and no byte of an
unverified cookie, nor any value given to an option, is echoed in an error message.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__, _base64
from ._cli_args import QuietParser, add_redis_options, add_secret_options, add_token_argument, command_doc
from ._cli_input import (
    UsageError,
    build_codec,
    extract_token,
    parse_payload,
    read_redis_url,
    read_secret_file,
    read_text_argument,
    timestamp,
    whole_seconds,
)
from ._cli_output import iso, print_decoded, write_private_file
from ._compression import MARK as COMPRESSED
from ._compression import inflate
from ._pieces import longest_token
from .exceptions import BadCookie, BadPayload, BadSignature, ConfigurationError, RevocationUnavailable
from .loading import DEFAULT_CLOCK_SKEW
from .signing import MAX_TOKEN_LENGTH, normalize_hashalg

__all__ = ["main"]

EXIT_OK = 0
EXIT_BAD_COOKIE = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3

_PROG = "cookiesession"
_DEFAULT_HASHALG = "sha512"
_UNSAFE_WARNING = (
    f"{_PROG}: WARNING: UNVERIFIED: the signature was NOT checked; "
    "anyone can write a cookie that shows this content"
)


class _Expired(Exception):
    """A valid cookie whose session has ended (exit code 1, after printing it)."""


# -- decoding --------------------------------------------------------------------------


def _expiry(
    accessed: float, created: float, now: float, timeout: int | None, absolute_timeout: int | None
) -> dict[str, Any]:
    """When the session ends, as the session itself decides it (future times count as now)."""
    candidates: list[tuple[float, str]] = []
    if timeout is not None:
        candidates.append((min(accessed, now) + timeout, "idle timeout"))
    if absolute_timeout is not None:
        candidates.append((min(created, now) + absolute_timeout, "absolute timeout"))
    if not candidates:
        return {"expires": None, "expires_iso": None, "expired": None, "expiry_reason": None}
    expires, reason = min(candidates)
    return {
        "expires": expires,
        "expires_iso": iso(expires),
        # Strictly later, as the session's own `now - renewed > timeout`.
        "expired": now > expires,
        "expiry_reason": reason,
    }


def _decode(args: argparse.Namespace, now: float) -> dict[str, Any]:
    text = read_text_argument(args.token, "cookie")
    token, cookies = extract_token(text, args.cookie_name)
    longest = longest_token(cookies)
    if len(token) > longest:
        raise BadSignature(f"the cookie value is longer than the {longest} characters of any cookie")
    if args.unsafe:
        if args.encrypted:
            raise UsageError("--unsafe shows signed cookies only: an encrypted cookie needs its secret")
        _, digest_size = normalize_hashalg(args.hashalg)
        raw = _base64.decode(token)
        if len(raw) < digest_size:
            raise BadSignature(f"the cookie is shorter than a {args.hashalg} signature")
        payload, key_index, verified = raw[digest_size:], None, False
        if payload[:1] == COMPRESSED:
            raise BadPayload("the payload is compressed: --unsafe never inflates what no signature verified")
    else:
        fallbacks = [read_secret_file(path, "fallback secret") for path in args.fallback_secret_file]
        payload, key_index = build_codec(args, fallbacks, longest).protector.unseal(token)
        payload = inflate(payload)  # verified: a compressed payload is inflated, bounded
        verified = True
    accessed, created, state = parse_payload(payload)
    return {
        "verified": verified,
        # Which key verified it: 0 the secret, 1.. the fallback secrets in the order given.
        "key_index": key_index,
        "accessed": accessed,
        "accessed_iso": iso(accessed),
        "created": created,
        "created_iso": iso(created),
        "now": now,
        "now_iso": iso(now),
        **_expiry(accessed, created, now, args.timeout, args.absolute_timeout),
        "state": state,
    }


def _cmd_decode(args: argparse.Namespace, now: float) -> int:
    result = _decode(args, now)
    if not result["verified"]:
        print(_UNSAFE_WARNING, file=sys.stderr)
    print_decoded(result, args, sys.stdout)
    if result["expired"]:
        raise _Expired(f"the session expired at {result['expires_iso']} ({result['expiry_reason']})")
    return EXIT_OK


# -- signing and keys ------------------------------------------------------------------


def _cmd_sign(args: argparse.Namespace, now: float) -> int:
    text = read_text_argument(args.state, "state")
    try:
        state = json.loads(text)
    except (ValueError, RecursionError):
        raise UsageError("--state is not valid JSON") from None
    if not isinstance(state, dict):
        raise UsageError("--state must be a JSON object (the session's dict)")
    # A fresh session's times, as the session itself writes them.
    accessed = int(now) if args.accessed is None else args.accessed
    created = now if args.created is None else args.created
    token = build_codec(args).encode(accessed, created, state)
    if len(token) > MAX_TOKEN_LENGTH:
        raise UsageError(
            f"the cookie would be {len(token)} characters; a cookie holds at most {MAX_TOKEN_LENGTH}"
        )
    print(token)
    return EXIT_OK


def _cmd_keygen(args: argparse.Namespace, now: float) -> int:
    _, digest_size = normalize_hashalg(args.hashalg)
    # As many random bytes as the digest (the strength the HMAC can use), so the
    # text (4 characters per 3 bytes) is longer than the digest, as Signer asks.
    secret = secrets.token_urlsafe(max(digest_size, 32))
    if args.output is None:
        print(secret)
    else:
        write_private_file(args.output, secret + "\n", replace=args.force)
    return EXIT_OK


# -- revocation ------------------------------------------------------------------------


class _Unavailable(Exception):
    """The revocation store could not be reached (exit code 3)."""


def _cmd_revoke(args: argparse.Namespace, now: float) -> int:
    from .revocation import revocation_ttl

    if (args.token is None) == (args.user is None):
        raise UsageError("give either a cookie (TOKEN) or --user ID, not both")
    url = read_redis_url(args)
    if args.user is not None:
        if not args.user:
            raise UsageError("--user needs a user id")
        ttl = revocation_ttl(args.timeout, args.absolute_timeout, None, now, args.clock_skew)
        seconds = _record(url, args, lambda store: store.revoke_user(args.user, now, ttl), ttl)
        print(f"revoked every session of user {args.user} created before {iso(now)}, for {seconds:.0f} s")
        return EXIT_OK
    result = _decode(args, now)  # verified: only a cookie signed with the secret is revoked
    session_id = result["state"].get("_sid_")
    if not isinstance(session_id, str) or not session_id:
        raise BadPayload(
            "the session has no id: it was stored by a factory without revocation=, so it cannot be revoked"
        )
    # A created time in the future counts as now, as the session counts it.
    ttl = revocation_ttl(
        args.timeout, args.absolute_timeout, min(result["created"], now), now, args.clock_skew
    )
    seconds = _record(url, args, lambda store: store.revoke(session_id, ttl), ttl)
    print(f"revoked session {session_id} for {seconds:.0f} s (until {iso(now + seconds)})")
    return EXIT_OK


def _record(url: str, args: argparse.Namespace, write: Callable[[Any], None], ttl: float | None) -> float:
    """Make the Redis store, ``write`` to it, close it; the seconds the record lasts."""
    from .revocation import RedisRevocationStore

    try:
        store = RedisRevocationStore(url, prefix=args.prefix, timeout=args.redis_timeout)
    except ImportError as exc:  # MissingDependency: its message says what to install
        raise UsageError(str(exc)) from None
    try:
        write(store)
    except RevocationUnavailable:
        raise _Unavailable(
            "Redis did not record the revocation (unreachable, or it refused the command); "
            "nothing was revoked"
        ) from None
    finally:
        store.close()
    return store.unbounded_ttl if ttl is None else ttl


# -- the command line ------------------------------------------------------------------


def _build_parser() -> argparse.ArgumentParser:
    # argparse reports a usage error as "usage: ...", then "cookiesession: error: ...", exit code 2.
    # QuietParser: its errors name options but never repeat a value given to one.
    parser = QuietParser(
        prog=_PROG,
        # No prefixes: `--secret X` must be an error, not --secret-file X.
        allow_abbrev=False,
        description="Make secrets, and read or make cookiesession / pyramid.session cookies.",
        epilog="Exit codes: 0 ok, 1 the cookie is invalid, expired or forged, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"{_PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    keygen = commands.add_parser(
        "keygen", help="print a new random secret", description=command_doc("keygen"), allow_abbrev=False
    )
    keygen.add_argument(
        "--hashalg",
        default=_DEFAULT_HASHALG,
        help="the hash the secret will sign with; sets its strength (default: %(default)s)",
    )
    keygen.add_argument(
        "--output",
        metavar="FILE",
        help="write the secret to FILE, created readable by its owner only (mode 600), "
        "instead of printing it",
    )
    keygen.add_argument("--force", action="store_true", help="with --output: replace FILE if it exists")
    keygen.set_defaults(handler=_cmd_keygen)

    decode = commands.add_parser(
        "decode",
        help="verify a cookie and show its session",
        description=command_doc("decode"),
        allow_abbrev=False,
    )
    add_token_argument(decode)
    add_secret_options(decode, fallbacks=True)
    decode.add_argument(
        "--timeout", type=whole_seconds, metavar="S", help="the factory's idle timeout, in seconds"
    )
    decode.add_argument(
        "--absolute-timeout",
        type=whole_seconds,
        metavar="S",
        help="the factory's absolute timeout, in seconds",
    )
    decode.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    decode.add_argument(
        "--unsafe",
        action="store_true",
        help="show a signed cookie's content WITHOUT checking its signature (no secret needed)",
    )
    decode.set_defaults(handler=_cmd_decode)

    sign = commands.add_parser(
        "sign", help="make a cookie from a JSON state", description=command_doc("sign"), allow_abbrev=False
    )
    sign.add_argument(
        "--state", required=True, metavar="JSON", help="the session as a JSON object, or - for stdin"
    )
    sign.add_argument(
        "--accessed", type=timestamp, metavar="T", help="POSIX seconds or ISO-8601 (default: now)"
    )
    sign.add_argument(
        "--created", type=timestamp, metavar="T", help="POSIX seconds or ISO-8601 (default: now)"
    )
    add_secret_options(sign, fallbacks=False)
    sign.set_defaults(handler=_cmd_sign)

    revoke = commands.add_parser(
        "revoke",
        help="revoke a session in Redis, so every server refuses its cookie",
        description=command_doc("revoke"),
        allow_abbrev=False,
    )
    add_token_argument(revoke, optional=True)
    revoke.add_argument(
        "--user",
        metavar="ID",
        help="instead of a cookie: refuse every session of this user (the value under the "
        "factories' user_key) created before now",
    )
    add_redis_options(revoke)
    revoke.add_argument(
        "--prefix", default="cookiesession:revoked:", help="the store's key prefix (default: %(default)s)"
    )
    revoke.add_argument(
        "--redis-timeout", type=float, default=2.0, metavar="S", help="seconds (default: %(default)s)"
    )
    add_secret_options(revoke, fallbacks=True)
    revoke.add_argument(
        "--timeout", type=whole_seconds, metavar="S", help="the factory's idle timeout, in seconds"
    )
    revoke.add_argument(
        "--absolute-timeout",
        type=whole_seconds,
        metavar="S",
        help="the factory's absolute timeout, in seconds",
    )
    revoke.add_argument(
        "--clock-skew",
        type=whole_seconds,
        default=DEFAULT_CLOCK_SKEW,
        metavar="S",
        help="the factory's clock_skew, in seconds (default: %(default)s), added to the record's life",
    )
    revoke.set_defaults(handler=_cmd_revoke, unsafe=False)
    return parser


def _fail(code: int, message: str) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None, *, clock: Callable[[], float] = time.time) -> int:
    """Run the command line; return the exit code (0 ok, 1 bad cookie, 2 usage error)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace, float], int] = args.handler
    # Errors are reported here, in one line; the library's log records (a failed
    # revocation) would repeat them through logging's last-resort handler.
    library_log = logging.getLogger("cookiesession")
    quiet = logging.NullHandler()
    library_log.addHandler(quiet)
    try:
        return handler(args, clock())
    except _Expired as exc:
        return _fail(EXIT_BAD_COOKIE, str(exc))
    except BadCookie as exc:
        # BadCookie messages are ours and never quote the cookie.
        return _fail(EXIT_BAD_COOKIE, f"invalid cookie: {exc}")
    except UsageError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except _Unavailable as exc:
        return _fail(EXIT_UNAVAILABLE, str(exc))
    except ConfigurationError as exc:  # a bad --hashalg, an empty secret, ...
        return _fail(EXIT_USAGE, str(exc))
    except KeyboardInterrupt:
        return 130
    finally:
        library_log.removeHandler(quiet)
