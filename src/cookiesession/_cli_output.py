"""How the ``cookiesession`` command writes times, durations, decoded sessions and secret files.

ISO-8601 times and short durations for people, the human-readable report of
``decode`` (or its JSON), and the escaping that keeps a cookie's content from
driving the terminal: control, format and unpaired-surrogate characters are written
as ``\\uXXXX``, and what the output's encoding cannot carry as backslash escapes.
A secret file is created readable and writable by its owner only (mode 600).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import unicodedata
from datetime import datetime, timezone
from typing import Any, TextIO

from ._cli_input import UsageError

__all__ = ["duration", "iso", "print_decoded", "terminal_safe", "write_private_file"]

_PRIVATE = 0o600


def iso(epoch: float) -> str:
    """POSIX seconds as an ISO-8601 UTC time (milliseconds if not whole), or a note if out of range."""
    spec = "seconds" if float(epoch).is_integer() else "milliseconds"
    try:
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec=spec)
    except (OverflowError, OSError, ValueError):
        return f"(out of range: {epoch!r})"


def duration(seconds: float) -> str:
    """A length of time, whole seconds of its magnitude, as ``1d 2h 3m 4s``."""
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


def terminal_safe(text: str) -> str:
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


def print_decoded(result: dict[str, Any], args: argparse.Namespace, out: TextIO) -> None:
    """Write what ``decode`` found: one JSON object with ``--json``, else text for people."""
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
        when = f"expired {duration(left)} ago" if result["expired"] else f"in {duration(left)}"
        lines.append(f"expires:  {result['expires_iso']} ({reason} of {setting} s; {when})")
    state = json.dumps(result["state"], indent=2, ensure_ascii=False, allow_nan=True)
    lines.append("state:")
    lines.append(terminal_safe(state))
    text = "\n".join(lines) + "\n"
    encoding = getattr(out, "encoding", None) or "utf-8"
    # What the output's encoding cannot carry is written as escapes (\u00e9), not an error.
    out.write(text.encode(encoding, "backslashreplace").decode(encoding))


def write_private_file(path: str, text: str, *, replace: bool) -> None:
    """Write ``text`` to a new file at ``path`` that only its owner can read (mode 600).

    An existing file is an error unless ``replace``; then the new file takes its
    place in one rename, so no moment exists where the secret is in a file others
    can read (the old file's mode is not inherited).
    """
    data = text.encode("utf-8")
    try:
        if replace:
            _replace_with_private_file(path, data)
        else:
            # O_EXCL: never an existing file, nor whatever a symbolic link points at.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE)
            _write_private(fd, data)
    except FileExistsError:
        raise UsageError(f"{path!r} exists: pass --force to replace it") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path!r}: {exc.strerror or exc}") from None


def _replace_with_private_file(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".cookiesession-secret-")
    try:
        _write_private(fd, data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_private(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as f:
        if hasattr(os, "fchmod"):  # exactly 600, whatever the umask; not on Windows
            os.fchmod(f.fileno(), _PRIVATE)
        f.write(data)
