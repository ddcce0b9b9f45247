"""The cookie itself: finding ours in a ``Cookie`` header, rendering ``Set-Cookie``.

Rendering follows WebOb 1.8's ``Response.set_cookie`` byte for byte (attribute
order ``Domain``, ``Max-Age``, ``Path``, ``expires``, ``secure``, ``HttpOnly``,
``SameSite``), with everything that does not depend on the request computed
once, when the factory is created, and validated there too.
"""

from __future__ import annotations

import math
import re
import string
import time
from collections.abc import Callable, MutableSequence
from typing import Any

from .exceptions import ConfigurationError, ConfigurationTypeError
from .signing import MAX_TOKEN_LENGTH

__all__ = [
    "LONGEST_ESCAPED_VALUE",
    "LONGEST_MAX_AGE",
    "CookieSpec",
    "find_cookie",
    "merge_vary",
    "quote_cookie_value",
]

# RFC 6265 section 4.1.1: a cookie name is an RFC 2616 token.
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
# RFC 6265's cookie-octets: what WebOb writes in a cookie value as it is.  Any other
# character (space, '"', ',', ';', '\\', controls, non-ASCII) makes it quote the whole
# value, and write each character that is neither an octet nor a space as a 3-digit
# octal escape; its parser undoes those escapes (and a backslash before any other one).
_COOKIE_OCTETS = string.ascii_letters + string.digits + "!#$%&'()*+-./:<=>?@[]^_`{|}~"
# What WebOb writes unescaped in Path and Domain, and inside a quoted value (the
# octets and space); anything else in Path or Domain becomes a value no browser
# matches, so we refuse it.
_ATTR_CHARS = frozenset(_COOKIE_OCTETS + " ")
_NOT_AN_OCTET = re.compile(f"[^{re.escape(_COOKIE_OCTETS)}]")
_QUOTING = {code: chr(code) if chr(code) in _ATTR_CHARS else f"\\{code:03o}" for code in range(256)}
_ESCAPE = re.compile(r"\\([0-3][0-7][0-7]|.)")
#: The longest cookie value :func:`find_cookie` unescapes.  An escape turns at most
#: four characters (``\\ooo``) into one, so a longer value is still longer than
#: MAX_TOKEN_LENGTH (4064, the longest value a session cookie holds) once unescaped:
#: it is refused for its length, and undoing its escapes would only cost time.
LONGEST_ESCAPED_VALUE = 4 * MAX_TOKEN_LENGTH
# Names WebOb's Morsel refuses because they read as cookie attributes.
_RESERVED_NAMES = frozenset(
    {"path", "comment", "domain", "max-age", "expires", "secure", "httponly", "samesite"}
)
_SAMESITE = ("strict", "lax", "none")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# WebOb's Response.delete_cookie uses this date; browsers drop the cookie at once.
_EXPIRED = "Wed, 31-Dec-97 23:59:59 GMT"
#: The longest max_age a factory takes, in seconds: now + max_age stays a date with
#: a four-digit year for thousands of years to come.
LONGEST_MAX_AGE = 10**11


def cookie_date(epoch: float) -> str:
    """Format ``epoch`` as WebOb does: ``Wdy, DD-Mon-YYYY HH:MM:SS GMT``."""
    global _last_date
    second = math.floor(epoch)  # what gmtime() formats
    last_second, text = _last_date
    if second == last_second:
        return text  # every response in the same second writes the same date
    t = time.gmtime(second)
    text = (
        f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d}-{_MONTHS[t.tm_mon]}-{t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )
    _last_date = (second, text)  # one tuple, replaced whole: safe between threads
    return text


_last_date: tuple[int | None, str] = (None, "")


def quote_cookie_value(value: str) -> str:
    """``value`` (text of code points below 256) as WebOb writes it in ``Set-Cookie``:
    as it is if it holds only cookie-octets, else quoted, with octal escapes."""
    if _NOT_AN_OCTET.search(value) is None:
        return value
    return '"' + value.translate(_QUOTING) + '"'


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    return chr(int(escaped, 8)) if len(escaped) == 3 else escaped


def find_cookie(header: str, name: str) -> str | None:
    """Return the value of the last cookie called ``name`` in a ``Cookie`` header.

    The last occurrence wins, as in WebOb, and as there a pair ends at ``;`` or
    ``,``, surrounding double quotes are removed, and backslash escapes are undone
    (see :func:`quote_cookie_value`).  Nothing here raises: a neighbouring cookie
    that is malformed or not UTF-8 is simply not looked at, unlike WebOb, which
    fails the whole request.  The value found is untrusted text; the signature
    check decides what it is worth.  A value longer than
    :data:`LONGEST_ESCAPED_VALUE` is returned with its escapes as they are: no
    escaping makes it short enough to be a cookie, so it is refused for its length.
    The work is linear in the header's length.
    """
    key = name + "="
    if (
        header.startswith(key)
        and ";" not in header
        and "," not in header
        and " " not in header
        and "\t" not in header
    ):
        # The usual header, our cookie alone: with no separator anywhere, no later
        # pair can start, so the search below would stop at 0 too (after scanning
        # the whole value backwards).
        value = header[len(key) :]
    else:
        found = _last_pair_value(header, key)
        if found is None:
            return None
        value = found
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    if "\\" in value and len(value) <= LONGEST_ESCAPED_VALUE:
        value = _ESCAPE.sub(_unescape, value)
    return value


def _last_pair_value(header: str, key: str) -> str | None:
    end = len(header)
    while True:
        pos = header.rfind(key, 0, end)
        if pos < 0:
            return None
        # The match must start a pair: at the start, or after ';' or whitespace.
        if pos == 0 or header[pos - 1] in "; \t,":
            break
        end = pos + len(key) - 1
    start = pos + len(key)
    # A pair ends at ';' or, as in WebOb (RFC 2965's separator), at ','; a value
    # WebOb quoted has neither inside (each is escaped there).
    stop = header.find(";", start)
    comma = header.find(",", start, None if stop < 0 else stop)
    if comma >= 0:
        stop = comma
    value = header[start:] if stop < 0 else header[start:stop]
    return value.strip(" \t")


def merge_vary(headers: MutableSequence[tuple[Any, Any]], *, binary: bool = False) -> None:
    """Make the response's ``Vary`` name ``Cookie``: merged into an existing
    ``Vary``, never listed twice.

    ``headers`` is a list of ``(name, value)`` pairs, all ``str`` (WSGI, Pyramid)
    or, with ``binary=True``, all ``bytes`` (ASGI: latin-1, lower-case names).
    """
    vary, cookie, comma = (b"vary", b"Cookie", b", ") if binary else ("vary", "Cookie", ", ")
    first = -1
    # A response may carry several Vary headers (RFC 9110 5.3: they form one list),
    # so every one is looked at before anything is added.
    for i, (name, value) in enumerate(headers):
        if len(name) == 4 and name.lower() == vary:  # lower() only for names that may match
            text = value.decode("latin-1") if binary else value
            tokens = [token.strip().lower() for token in text.split(",")]
            if "cookie" in tokens or "*" in tokens:
                return
            if first < 0:
                first = i
    if first < 0:  # the usual case, on every response that used the session
        headers.append((vary if binary else "Vary", cookie))
        return
    name, value = headers[first]
    headers[first] = (name, value + comma + cookie if value.strip() else cookie)


def _check_chars(option: str, value: str, allowed: frozenset[str]) -> None:
    bad = sorted({c for c in value if c not in allowed})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ConfigurationError(f"{option}={value!r} contains characters a cookie cannot carry: {shown}")


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise ConfigurationTypeError("cookie_name must be a non-empty str")
    _check_chars("cookie_name", name, _TOKEN_CHARS)
    if name[0] == "$" or name.lower() in _RESERVED_NAMES:
        raise ConfigurationError(f"cookie_name={name!r} reads as a cookie attribute; choose another name")


def _check_attribute(option: str, value: object) -> None:
    if value is not None:
        if not isinstance(value, str):
            raise ConfigurationTypeError(f"{option} must be a str or None")
        _check_chars(option, value, _ATTR_CHARS)


def _checked_samesite(samesite: object, secure: bool) -> str | None:
    if samesite is None:
        return None
    if isinstance(samesite, bytes):
        samesite = samesite.decode("ascii", "replace")
    if not isinstance(samesite, str) or samesite.lower() not in _SAMESITE:
        raise ConfigurationError(f"samesite={samesite!r}: SameSite must be 'strict', 'lax', 'none' or None")
    if samesite.lower() == "none" and not secure:
        raise ConfigurationError(
            "samesite='none' needs secure=True: browsers reject SameSite=None cookies that are not Secure"
        )
    return samesite


def _check_prefix_rules(name: str, *, secure: bool, path: str | None, domain: str | None) -> None:
    # RFC 6265bis matches the prefixes case-insensitively, and browsers that do
    # silently drop a `__host-` cookie that breaks the rules.
    folded = name.lower()
    if folded.startswith("__secure-") and not secure:
        raise ConfigurationError(f"cookie_name={name!r}: the __Secure- prefix needs secure=True")
    if folded.startswith("__host-") and (not secure or path != "/" or domain):
        raise ConfigurationError(
            f"cookie_name={name!r}: the __Host- prefix needs secure=True, path='/' and no domain"
        )


class CookieSpec:
    """Validated cookie attributes, pre-rendered into the two halves of a header."""

    __slots__ = ("_delete_header", "_head", "_tail", "max_age", "name", "prefix")

    def __init__(
        self,
        name: str,
        *,
        max_age: int | None,
        path: str | None,
        domain: str | None,
        secure: bool,
        httponly: bool,
        samesite: str | None,
        partitioned: bool = False,
    ) -> None:
        _check_name(name)
        _check_attribute("path", path)
        _check_attribute("domain", domain)
        samesite = _checked_samesite(samesite, secure)
        if max_age is not None and max_age > LONGEST_MAX_AGE:
            # Each response dates `expires` as now + max_age, and that date must be
            # one a cookie can carry; browsers keep a cookie at most 400 days anyway.
            raise ConfigurationError(
                f"max_age={max_age} is too long: at most {LONGEST_MAX_AGE} seconds (about 3000 years)"
            )
        if partitioned and not secure:
            raise ConfigurationError("partitioned=True needs secure=True (CHIPS cookies must be Secure)")
        _check_prefix_rules(name, secure=secure, path=path, domain=domain)

        self.name = name
        self.prefix = name + "="  # how our cookie starts in a Cookie header
        self.max_age = max_age
        domain_attr = f"; Domain={domain}" if domain else ""
        path_attr = f"; Path={path}" if path else ""
        max_age_attr = f"; Max-Age={max_age}" if max_age is not None else ""
        tail = ""
        if secure:
            tail += "; secure"
        if httponly:
            tail += "; HttpOnly"
        if samesite is not None:
            tail += f"; SameSite={samesite}"
        if partitioned:
            tail += "; Partitioned"
        # WebOb's order puts Max-Age before Path and expires (clock-dependent) after it.
        self._head = domain_attr + max_age_attr + path_attr
        self._tail = tail
        self._delete_header = f"{name}={domain_attr}; Max-Age=0{path_attr}; expires={_EXPIRED}{tail}"

    def __repr__(self) -> str:
        return f"<CookieSpec {self.name!r}>"

    def set_cookie(self, value: str, clock: Callable[[], float]) -> str:
        """The ``Set-Cookie`` value storing ``value``; ``clock()`` dates ``expires``."""
        if self.max_age is None:
            return f"{self.name}={value}{self._head}{self._tail}"
        return f"{self.name}={value}{self._head}; expires={cookie_date(clock() + self.max_age)}{self._tail}"

    def delete_cookie(self) -> str:
        """The ``Set-Cookie`` value that makes a browser drop the cookie."""
        return self._delete_header
