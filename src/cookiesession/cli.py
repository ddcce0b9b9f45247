"""The ``cookiesession`` command: make secrets, and read or make session cookies.

::

    cookiesession keygen [--hashalg sha512]
    cookiesession decode TOKEN [--secret-file FILE] [--timeout S] [--json] [--unsafe] [--encrypted]
    cookiesession sign --state JSON [--accessed T] [--created T]
    cookiesession revoke TOKEN --redis-url URL [--timeout S] [--absolute-timeout S]

The secret comes from ``--secret-file`` or the ``COOKIESESSION_SECRET`` environment
variable, never from the command line, where ``ps`` and shell histories would show it.

Exit codes: 0 ok, 1 the cookie is invalid, expired or forged, 2 a usage error (bad
arguments, an unreadable file, a missing secret, input that is not what was asked for),
3 (``revoke``) Redis could not record the revocation.
Every failure is one line on standard error; no traceback, and no byte of an
unverified cookie is echoed in an error message.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import secrets
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

from . import _base64
from .codec import SessionCodec
from .cookies import find_cookie
from .exceptions import BadCookie, BadPayload, BadSignature, ConfigurationError, RevocationUnavailable
from .factory import seconds_option
from .serializers import JSONSerializer
from .signing import MAX_TOKEN_LENGTH, Signer, normalize_hashalg

__all__ = ["main"]

SECRET_ENV = "COOKIESESSION_SECRET"  # noqa: S105 - the name of a variable, not a secret
EXIT_OK = 0
EXIT_BAD_COOKIE = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
REDIS_URL_ENV = "COOKIESESSION_REDIS_URL"

_PROG = "cookiesession"
_DEFAULT_SALT = "pyramid.session."
_DEFAULT_HASHALG = "sha512"
_UNSAFE_WARNING = (
    f"{_PROG}: WARNING: UNVERIFIED: the signature was NOT checked; "
    "anyone can write a cookie that shows this content"
)


class _UsageError(Exception):
    """The command line or its input is wrong (exit code 2)."""


class _Expired(Exception):
    """A valid cookie whose session has ended (exit code 1, after printing it)."""


# -- reading input ---------------------------------------------------------------------


def _read_secret_file(path: str, what: str) -> str | bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise _UsageError(f"cannot read the {what} file {path!r}: {exc.strerror or exc}") from None
    # `keygen > file` leaves a newline; a secret never ends with one.
    raw = raw.rstrip(b"\r\n")
    if not raw:
        raise _UsageError(f"the {what} file {path!r} is empty")
    return _text_or_bytes(raw)


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
        return _read_secret_file(args.secret_file, "secret")
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        raise _UsageError(f"no secret: pass --secret-file FILE or set the {SECRET_ENV} environment variable")
    return _from_environment_or_argv(secret)


def _read_text_argument(value: str, what: str) -> str:
    if value != "-":
        return value
    try:
        return sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _UsageError(f"cannot read the {what} from standard input: {exc}") from None


# Text that holds a cookie pair (name=value) rather than a bare token: base64 has no
# '=' except trailing padding, and no ';'.
_HEADER_PREFIX = re.compile(r"\A(set-cookie|cookie)\s*:\s*", re.IGNORECASE)


def _extract_token(text: str, cookie_name: str) -> str:
    """The cookie value from a bare token, a ``Cookie:`` / ``Set-Cookie:`` line or a pair."""
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
    return token


def _timestamp(value: str) -> float:
    """An argparse type: POSIX seconds, or an ISO-8601 time (UTC unless it says otherwise)."""
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(number):
            raise argparse.ArgumentTypeError(f"{value!r} is not a finite time")
        return number
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither POSIX seconds nor an ISO-8601 time such as 2024-05-01T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _seconds(value: str) -> int:
    """An argparse type: a whole, non-negative number of seconds."""
    try:
        seconds = seconds_option("the duration", value)
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert seconds is not None
    return seconds


# -- protectors ------------------------------------------------------------------------


def _codec(args: argparse.Namespace, fallback_secrets: Sequence[str | bytes] = ()) -> SessionCodec:
    secret = _primary_secret(args)
    if args.encrypted:
        return _encrypted_codec(args, secret, fallback_secrets)
    salt = _DEFAULT_SALT if args.salt is None else _from_environment_or_argv(args.salt)
    # The secret is whatever the application uses; a short one is its choice, not ours to warn about.
    signer = Signer(secret, salt, args.hashalg, fallback_secrets, warn_short=False)
    return SessionCodec(JSONSerializer(), signer)


def _encrypted_codec(
    args: argparse.Namespace, secret: str | bytes, fallback_secrets: Sequence[str | bytes]
) -> SessionCodec:
    # cookiesession.encryption imports cryptography only when an Encryptor is built.
    from .encryption import DEFAULT_SALT, Encryptor

    salt = DEFAULT_SALT if args.salt is None else _from_environment_or_argv(args.salt)
    if not args.cookie_name.isascii():  # a cookie name is an ASCII token
        raise _UsageError("--cookie-name must be ASCII")
    try:
        encryptor = Encryptor(secret, args.cookie_name, salt, fallback_secrets, warn_short=False)
    except ImportError as exc:  # MissingDependency: its message says what to install
        raise _UsageError(str(exc)) from None
    return SessionCodec(JSONSerializer(), encryptor)


# -- decoding --------------------------------------------------------------------------


def _parse_payload(payload: bytes) -> tuple[float, float, dict[str, Any]]:
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


def _iso(epoch: float) -> str:
    spec = "seconds" if float(epoch).is_integer() else "milliseconds"
    try:
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec=spec)
    except (OverflowError, OSError, ValueError):
        return f"(out of range: {epoch!r})"


def _duration(seconds: float) -> str:
    whole = int(abs(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    if minutes or hours or days:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return " ".join(parts)


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
        "expires_iso": _iso(expires),
        # Strictly later, as the session's own `now - renewed > timeout`.
        "expired": now > expires,
        "expiry_reason": reason,
    }


def _terminal_safe(text: str) -> str:
    """Escape control, format and unpaired-surrogate characters as JSON does (``\\uXXXX``).

    Inside JSON strings this is still valid JSON, and a cookie cannot move the
    terminal's cursor or hide text.  Newlines left in the text are the indentation's.
    """

    def escape(char: str) -> str:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return "".join(escape(c) if c != "\n" and unicodedata.category(c)[0] == "C" else c for c in text)


def _decode(args: argparse.Namespace, now: float) -> dict[str, Any]:
    text = _read_text_argument(args.token, "cookie")
    token = _extract_token(text, args.cookie_name)
    if len(token) > MAX_TOKEN_LENGTH:
        raise BadSignature(f"the cookie value is longer than the {MAX_TOKEN_LENGTH} characters of any cookie")
    if args.unsafe:
        if args.encrypted:
            raise _UsageError("--unsafe shows signed cookies only: an encrypted cookie needs its secret")
        _, digest_size = normalize_hashalg(args.hashalg)
        raw = _base64.decode(token)
        if len(raw) < digest_size:
            raise BadSignature(f"the cookie is shorter than a {args.hashalg} signature")
        payload, key_index, verified = raw[digest_size:], None, False
    else:
        fallbacks = [_read_secret_file(path, "fallback secret") for path in args.fallback_secret_file]
        payload, key_index = _codec(args, fallbacks).protector.unseal(token)
        verified = True
    accessed, created, state = _parse_payload(payload)
    return {
        "verified": verified,
        # Which key verified it: 0 the secret, 1.. the fallback secrets in the order given.
        "key_index": key_index,
        "accessed": accessed,
        "accessed_iso": _iso(accessed),
        "created": created,
        "created_iso": _iso(created),
        "now": now,
        "now_iso": _iso(now),
        **_expiry(accessed, created, now, args.timeout, args.absolute_timeout),
        "state": state,
    }


def _print_decoded(result: dict[str, Any], args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        out.write(json.dumps(result, indent=2, ensure_ascii=True, allow_nan=True) + "\n")
        return
    if not result["verified"]:
        verified = "NO (--unsafe: the signature was not checked)"
    elif result["key_index"] == 0:
        verified = "yes, by the secret"
    else:
        verified = f"yes, by fallback secret {result['key_index']} (the app re-issues it under the secret)"
    lines = [
        f"verified: {verified}",
        f"accessed: {result['accessed_iso']}",
        f"created:  {result['created_iso']}",
    ]
    if result["expires"] is None:
        lines.append("expires:  not checked (give --timeout and/or --absolute-timeout)")
    else:
        reason = result["expiry_reason"]
        setting = args.timeout if reason == "idle timeout" else args.absolute_timeout
        left = result["expires"] - result["now"]
        when = f"expired {_duration(left)} ago" if result["expired"] else f"in {_duration(left)}"
        lines.append(f"expires:  {result['expires_iso']} ({reason} of {setting} s; {when})")
    state = json.dumps(result["state"], indent=2, ensure_ascii=False, allow_nan=True)
    lines.append("state:")
    lines.append(_terminal_safe(state))
    text = "\n".join(lines) + "\n"
    encoding = getattr(out, "encoding", None) or "utf-8"
    # What the output's encoding cannot carry is written as escapes (\u00e9), not an error.
    out.write(text.encode(encoding, "backslashreplace").decode(encoding))


def _cmd_decode(args: argparse.Namespace, now: float) -> int:
    result = _decode(args, now)
    if not result["verified"]:
        print(_UNSAFE_WARNING, file=sys.stderr)
    _print_decoded(result, args, sys.stdout)
    if result["expired"]:
        raise _Expired(f"the session expired at {result['expires_iso']} ({result['expiry_reason']})")
    return EXIT_OK


# -- signing and keys ------------------------------------------------------------------


def _cmd_sign(args: argparse.Namespace, now: float) -> int:
    text = _read_text_argument(args.state, "state")
    try:
        state = json.loads(text)
    except (ValueError, RecursionError):
        raise _UsageError("--state is not valid JSON") from None
    if not isinstance(state, dict):
        raise _UsageError("--state must be a JSON object (the session's dict)")
    # A fresh session's times, as the session itself writes them.
    accessed = int(now) if args.accessed is None else args.accessed
    created = now if args.created is None else args.created
    token = _codec(args).encode(accessed, created, state)
    if len(token) > MAX_TOKEN_LENGTH:
        raise _UsageError(
            f"the cookie would be {len(token)} characters; a cookie holds at most {MAX_TOKEN_LENGTH}"
        )
    print(token)
    return EXIT_OK


def _cmd_keygen(args: argparse.Namespace, now: float) -> int:
    _, digest_size = normalize_hashalg(args.hashalg)
    # As many random bytes as the digest (the strength the HMAC can use), so the
    # text (4 characters per 3 bytes) is longer than the digest, as Signer asks.
    print(secrets.token_urlsafe(max(digest_size, 32)))
    return EXIT_OK


# -- revocation ------------------------------------------------------------------------


class _Unavailable(Exception):
    """The revocation store could not be reached (exit code 3)."""


def _cmd_revoke(args: argparse.Namespace, now: float) -> int:
    from .revocation import RedisRevocationStore, revocation_ttl

    url = args.redis_url or os.environ.get(REDIS_URL_ENV)
    if not url:
        raise _UsageError(f"no Redis: pass --redis-url URL or set the {REDIS_URL_ENV} environment variable")
    result = _decode(args, now)  # verified: only a cookie signed with the secret is revoked
    session_id = result["state"].get("_sid_")
    if not isinstance(session_id, str) or not session_id:
        raise BadPayload(
            "the session has no id: it was stored by a factory without revocation=, so it cannot be revoked"
        )
    # A created time in the future counts as now, as the session counts it.
    ttl = revocation_ttl(args.timeout, args.absolute_timeout, min(result["created"], now), now)
    try:
        store = RedisRevocationStore(url, prefix=args.prefix, timeout=args.redis_timeout)
    except ImportError as exc:  # MissingDependency: its message says what to install
        raise _UsageError(str(exc)) from None
    try:
        store.revoke(session_id, ttl)
    except RevocationUnavailable:
        raise _Unavailable(
            "Redis did not record the revocation (unreachable, or it refused the command); "
            "nothing was revoked"
        ) from None
    finally:
        store.close()
    seconds = store.unbounded_ttl if ttl is None else ttl
    print(f"revoked session {session_id} for {seconds:.0f} s (until {_iso(now + seconds)})")
    return EXIT_OK


# -- the command line ------------------------------------------------------------------


def _add_token_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "token",
        metavar="TOKEN",
        help="the cookie value, a 'Cookie: ...' or 'Set-Cookie: ...' line, or - for standard input "
        "(a value that starts with '-' goes after --, as in: decode -- -AbC...)",
    )


def _add_secret_options(parser: argparse.ArgumentParser, *, fallbacks: bool) -> None:
    group = parser.add_argument_group("secret and format")
    group.add_argument(
        "--secret-file",
        metavar="FILE",
        help=f"read the secret from FILE (a trailing newline is ignored); default: ${SECRET_ENV}",
    )
    if fallbacks:
        group.add_argument(
            "--fallback-secret-file",
            metavar="FILE",
            action="append",
            default=[],
            help="an older secret that still verifies (repeatable)",
        )
    group.add_argument(
        "--salt",
        help=f"the factory's salt (default: {_DEFAULT_SALT}, or the encrypted factory's with --encrypted)",
    )
    group.add_argument(
        "--hashalg", default=_DEFAULT_HASHALG, help="the factory's hash algorithm (default: %(default)s)"
    )
    group.add_argument(
        "--cookie-name", default="session", help="the factory's cookie name (default: %(default)s)"
    )
    group.add_argument(
        "--encrypted",
        action="store_true",
        help="an EncryptedCookieSessionFactory cookie (needs cookiesession[crypto]; --hashalg is unused)",
    )


def _build_parser() -> argparse.ArgumentParser:
    # argparse reports a usage error as "usage: ...", then "cookiesession: error: ...", exit code 2.
    parser = argparse.ArgumentParser(
        prog=_PROG,
        # No prefixes: `--secret X` must be an error, not --secret-file X.
        allow_abbrev=False,
        description="Make secrets, and read or make cookiesession / pyramid.session cookies.",
        epilog="Exit codes: 0 ok, 1 the cookie is invalid, expired or forged, 2 usage error.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    keygen = commands.add_parser(
        "keygen", help="print a new random secret", description=_cmd_doc("keygen"), allow_abbrev=False
    )
    keygen.add_argument(
        "--hashalg",
        default=_DEFAULT_HASHALG,
        help="the hash the secret will sign with; sets its strength (default: %(default)s)",
    )
    keygen.set_defaults(handler=_cmd_keygen)

    decode = commands.add_parser(
        "decode",
        help="verify a cookie and show its session",
        description=_cmd_doc("decode"),
        allow_abbrev=False,
    )
    _add_token_argument(decode)
    _add_secret_options(decode, fallbacks=True)
    decode.add_argument(
        "--timeout", type=_seconds, metavar="S", help="the factory's idle timeout, in seconds"
    )
    decode.add_argument(
        "--absolute-timeout", type=_seconds, metavar="S", help="the factory's absolute timeout, in seconds"
    )
    decode.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    decode.add_argument(
        "--unsafe",
        action="store_true",
        help="show a signed cookie's content WITHOUT checking its signature (no secret needed)",
    )
    decode.set_defaults(handler=_cmd_decode)

    sign = commands.add_parser(
        "sign", help="make a cookie from a JSON state", description=_cmd_doc("sign"), allow_abbrev=False
    )
    sign.add_argument(
        "--state", required=True, metavar="JSON", help="the session as a JSON object, or - for stdin"
    )
    sign.add_argument(
        "--accessed", type=_timestamp, metavar="T", help="POSIX seconds or ISO-8601 (default: now)"
    )
    sign.add_argument(
        "--created", type=_timestamp, metavar="T", help="POSIX seconds or ISO-8601 (default: now)"
    )
    _add_secret_options(sign, fallbacks=False)
    sign.set_defaults(handler=_cmd_sign)

    revoke = commands.add_parser(
        "revoke",
        help="revoke a session in Redis, so every server refuses its cookie",
        description=_cmd_doc("revoke"),
        allow_abbrev=False,
    )
    _add_token_argument(revoke)
    revoke.add_argument(
        "--redis-url", metavar="URL", help=f"the applications' Redis (default: ${REDIS_URL_ENV})"
    )
    revoke.add_argument(
        "--prefix", default="cookiesession:revoked:", help="the store's key prefix (default: %(default)s)"
    )
    revoke.add_argument(
        "--redis-timeout", type=float, default=2.0, metavar="S", help="seconds (default: %(default)s)"
    )
    _add_secret_options(revoke, fallbacks=True)
    revoke.add_argument(
        "--timeout", type=_seconds, metavar="S", help="the factory's idle timeout, in seconds"
    )
    revoke.add_argument(
        "--absolute-timeout", type=_seconds, metavar="S", help="the factory's absolute timeout, in seconds"
    )
    revoke.set_defaults(handler=_cmd_revoke, unsafe=False)
    return parser


def _cmd_doc(name: str) -> str:
    return {
        "keygen": "Print a new random secret, as URL-safe text, at least as long as the hash's digest.",
        "decode": (
            "Verify a session cookie and print its times, its expiry and its state. The secret comes "
            f"from --secret-file or ${SECRET_ENV}, never from the command line."
        ),
        "sign": "Make a session cookie from a JSON state, for tests and debugging.",
        "revoke": (
            "Verify a session cookie and record its session id as revoked in Redis (as invalidate() "
            "does), until the session would have expired: give the factory's --timeout and/or "
            "--absolute-timeout, or the record is kept 30 days."
        ),
    }[name]


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
    except _UsageError as exc:
        return _fail(EXIT_USAGE, str(exc))
    except _Unavailable as exc:
        return _fail(EXIT_UNAVAILABLE, str(exc))
    except ConfigurationError as exc:  # a bad --hashalg, an empty secret, ...
        return _fail(EXIT_USAGE, str(exc))
    except KeyboardInterrupt:
        return 130
    finally:
        library_log.removeHandler(quiet)
