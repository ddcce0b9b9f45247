"""The ``cookiesession`` command's arguments, and errors about them that never repeat a value.

argparse's own errors quote what was typed (``unrecognized arguments: --secret hunter2``,
``invalid choice: 'hunter2'``, ``invalid float value: 'hunter2'``), so a secret typed by
mistake would land on the terminal, in a CI log or in a bug report.  :class:`QuietParser`
names the options instead and leaves every value out.  Options that would put a secret
on the command line (``--secret``, ``--redis-url``) are refused with a pointer to the
file or environment variable that replaces them.
"""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from ._cli_input import DEFAULT_SALT, REDIS_URL_ENV, SECRET_ENV

__all__ = [
    "QuietParser",
    "add_redis_options",
    "add_secret_options",
    "add_token_argument",
    "command_doc",
]

_HIDDEN = "(value not shown)"
# A Python string literal, as argparse quotes a value with %r.
_QUOTED = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")
# Names the parser itself defines may be quoted in an error (a list of choices).
_COMMANDS = frozenset({"keygen", "decode", "sign", "revoke"})
# Options someone may try for a value that must stay off the command line.
_HINTS = {
    "--secret": f"the secret comes from --secret-file FILE or ${SECRET_ENV}",
    "--fallback-secret": "an older secret comes from --fallback-secret-file FILE",
}


def _without_values(message: str) -> str:
    def hide(match: re.Match[str]) -> str:
        try:
            text = ast.literal_eval(match.group())
        except (ValueError, SyntaxError):
            return _HIDDEN
        return match.group() if text in _COMMANDS else _HIDDEN

    return _QUOTED.sub(hide, message)


# What an option's name looks like (all of ours are lower-case long options); a value
# may start with '-' too (keygen's secrets can), and is never shown as a name.
_OPTION_NAME = re.compile(r"--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def _unrecognized(extras: Sequence[str]) -> str:
    names = [arg.split("=", 1)[0] for arg in extras]
    shown = [name for name in names if len(name) <= 40 and _OPTION_NAME.fullmatch(name)]
    message = "unrecognized arguments"
    if shown:
        message += ": " + " ".join(shown)
    if len(shown) < len(extras) or any("=" in arg for arg in extras):
        message += " (values not shown)"
    hints = [hint for name, hint in _HINTS.items() if name in shown]
    return "; ".join([message, *hints])


class QuietParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors name options but show no value."""

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(_unrecognized(extras))
        return parsed

    def error(self, message: str) -> NoReturn:
        super().error(_without_values(message))


_REDIS_URL_REFUSED = (
    "not accepted: a URL on the command line shows its password to ps and shell histories; "
    f"set ${REDIS_URL_ENV} or pass --redis-url-file FILE"
)


class _RefusedRedisUrl(argparse.Action):
    """``--redis-url``, taken only to say what to use instead (before any other error)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option: Any = None
    ) -> None:
        raise argparse.ArgumentError(self, _REDIS_URL_REFUSED)


def add_token_argument(parser: argparse.ArgumentParser, *, optional: bool = False) -> None:
    parser.add_argument(
        "token",
        metavar="TOKEN",
        nargs="?" if optional else None,
        help="the cookie value, a 'Cookie: ...' or 'Set-Cookie: ...' line, or - for standard input "
        "(a value that starts with '-' goes after --, as in: decode -- -AbC...)",
    )


def add_secret_options(parser: argparse.ArgumentParser, *, fallbacks: bool) -> None:
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
        help=f"the factory's salt (default: {DEFAULT_SALT}, or the encrypted factory's with --encrypted)",
    )
    group.add_argument(
        "--hashalg", default="sha512", help="the factory's hash algorithm (default: %(default)s)"
    )
    group.add_argument(
        "--cookie-name", default="session", help="the factory's cookie name (default: %(default)s)"
    )
    group.add_argument(
        "--encrypted",
        action="store_true",
        help="an EncryptedCookieSessionFactory cookie (needs cookiesession[crypto]; --hashalg is unused)",
    )


def add_redis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis-url-file",
        metavar="FILE",
        help=f"read the applications' Redis URL from FILE (default: ${REDIS_URL_ENV})",
    )
    # The URL may hold a password, which ps and shell histories would show.
    parser.add_argument("--redis-url", action=_RefusedRedisUrl, help=argparse.SUPPRESS)


def command_doc(name: str) -> str:
    return {
        "keygen": (
            "Make a new random secret, as URL-safe text, at least as long as the hash's digest: "
            "printed, or written with --output to a new file only its owner can read."
        ),
        "decode": (
            "Verify a session cookie and print its times, its expiry and its state. The secret comes "
            f"from --secret-file or ${SECRET_ENV}, never from the command line."
        ),
        "sign": "Make a session cookie from a JSON state, for tests and debugging.",
        "revoke": (
            "Verify a session cookie and record its session id as revoked in Redis (as invalidate() "
            "does), until the session would have expired: give the factory's --timeout and/or "
            "--absolute-timeout (and its --clock-skew, if not the default), or the record is kept "
            "30 days. With --user ID instead of a cookie, "
            "every session of that user created before now is refused (factories with user_key=; "
            "no secret needed). The Redis URL comes from "
            f"--redis-url-file or ${REDIS_URL_ENV}, never from the command line."
        ),
    }[name]
