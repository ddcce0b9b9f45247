"""Sessions larger than one cookie (``max_cookies=N``): one token, cut into pieces.

The whole state is signed (or sealed) once, as for a single cookie; only the
token's text is cut.  A token that fits one cookie is written as it always was,
byte for byte.  A longer one is cut into ``k`` pieces (``2 <= k <= max_cookies``)
written as the cookies ``name``, ``name.1``, ... ``name.(k-1)``; the first carries
a head, ``~k~``, before its piece::

    session=~3~<first piece>    session.1=<second piece>    session.2=<third piece>

``~`` is a cookie-octet (never quoted) that neither a signed nor an encrypted
token holds (both are URL-safe base64), so a head is never a whole token, and a
reader that does not know pieces (Pyramid, or a factory with ``max_cookies=1``)
refuses it as any bad cookie.  The reader joins the pieces in their names' order
and verifies the joined token once: a piece dropped, cut short, swapped with
another, replayed from an older response or taken from another session makes a
token that does not verify, so the request gets a fresh session.  The count in
the head is not signed; it only says where to look, and a wrong one makes a join
that does not verify either.

Each ``Set-Cookie`` value (name, value and every attribute) is at most
:data:`MAX_HEADER` bytes, and a session that needs more than ``max_cookies`` of
them is refused when the response is made, by :class:`SessionTooLarge` naming
the size, the limit, and a setting that would fit it.  A response that writes
fewer pieces than the request brought deletes the others.

Reading is bounded: the head's count is taken only up to ``max_cookies``, each
piece is found by :func:`~cookiesession.cookies.find_cookie` (linear in the
header), and a join longer than any the factory writes is not verified.
"""

from __future__ import annotations

from collections.abc import Callable

from .cookies import CookieSpec
from .exceptions import ConfigurationError, ConfigurationTypeError, SessionTooLarge
from .signing import MAX_TOKEN_LENGTH

__all__ = [
    "HEAD",
    "MAX_COOKIES",
    "MAX_HEADER",
    "capacity",
    "check_max_cookies",
    "cut",
    "deletions",
    "join",
    "longest_token",
    "piece_name",
    "rename",
    "split",
    "too_large",
]

#: What starts (and ends) the head of a first piece.
HEAD = "~"
#: The most cookies one session may take: ten full cookies already make a
#: ``Cookie`` header of about 40 KB, five times what common servers accept.
MAX_COOKIES = 10
#: The longest ``Set-Cookie`` value written for a piece: browsers keep a cookie
#: whose name and value hold at most 4096 bytes, and counting the attributes too
#: leaves no browser or proxy room to disagree.
MAX_HEADER = 4096
# The longest head, "~10~".
_LONGEST_HEAD = len(f"{HEAD}{MAX_COOKIES}{HEAD}")

#: Looks up the request's cookie of a given name (None when it has none).
Lookup = Callable[[str], "str | None"]


def check_max_cookies(value: object, splittable: bool = True) -> int:
    """The ``max_cookies`` option checked at start-up; ``splittable``: whether the
    factory's cookie is a signed or encrypted token (only those are cut)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationTypeError(f"max_cookies must be a whole number, not {type(value).__name__}")
    if not 1 <= value <= MAX_COOKIES:
        raise ConfigurationError(
            f"max_cookies={value} is out of range: 1 (one cookie, the default) to {MAX_COOKIES}"
        )
    if value != 1 and not splittable:
        raise ConfigurationError(
            "max_cookies applies to signed and encrypted cookies, whose pieces are verified "
            "together; BaseCookieSessionFactory's cookie is its serializer's text, kept whole"
        )
    return value


def longest_token(max_cookies: int) -> int:
    """The longest token a factory with ``max_cookies`` reads (and verifies)."""
    return MAX_TOKEN_LENGTH if max_cookies == 1 else max_cookies * MAX_HEADER


def piece_name(name: str, index: int) -> str:
    """The name of piece ``index`` of cookie ``name`` (0 is the cookie itself)."""
    return f"{name}.{index}" if index else name


def rename(header: str, name: str, index: int) -> str:
    """A ``Set-Cookie`` value of cookie ``name`` made the same for piece ``index``."""
    return piece_name(name, index) + header[len(name) :] if index else header


def join(head: str, name: str, lookup: Lookup, max_cookies: int) -> tuple[str | None, int]:
    """The token the pieces of a request hold, from the value ``head`` of its cookie
    ``name`` (``lookup`` finds the others), and how many cookies the head says the
    request brought (1: it is no head).

    The token is None when the head is malformed, names more pieces than
    ``max_cookies``, or a piece is missing; whether the token verifies is for the
    protector to say.  Never raises.
    """
    end = head.find(HEAD, 1, _LONGEST_HEAD)
    count_text = head[1:end]
    if end < 0 or not (count_text.isascii() and count_text.isdigit()) or count_text[0] == "0":
        return None, 1
    count = int(count_text)
    if not 2 <= count <= max_cookies:
        return None, 1
    return _gather(head[end + 1 :], name, lookup, count), count


def _gather(first: str, name: str, lookup: Lookup, count: int) -> str | None:
    parts = [first]
    total = len(first)
    for index in range(1, count):
        part = lookup(piece_name(name, index))
        if not part:
            return None
        total += len(part)
        if total > count * MAX_HEADER:  # longer than any piece we write: not joined
            return None
        parts.append(part)
    return "".join(parts)


def split(token: str, spec: CookieSpec, clock: Callable[[], float], max_cookies: int) -> list[str] | None:
    """The ``Set-Cookie`` values storing ``token`` in at most ``max_cookies`` cookies
    of ``spec``, each at most :data:`MAX_HEADER` bytes; None if it needs more.

    A token that fits one cookie gets that cookie's usual header.
    """
    single = spec.set_cookie(token, clock)
    if len(token) <= MAX_TOKEN_LENGTH and len(single) <= MAX_HEADER:
        return [single]
    # What a header holds besides its value (the date of `expires` has a fixed width).
    empty = spec.set_cookie("", clock)
    name = spec.name
    values = cut(token, [MAX_HEADER - len(rename(empty, name, i)) for i in range(max_cookies)])
    if values is None:
        return None
    return [rename(spec.set_cookie(value, clock), name, index) for index, value in enumerate(values)]


def cut(token: str, rooms: list[int]) -> list[str] | None:
    """The values of the fewest cookies (at least two, at most ``len(rooms)``) that
    store ``token``, the first with its head, where ``rooms[i]`` is how long the value
    of cookie ``i`` may be; None if they cannot."""
    for count in range(2, len(rooms) + 1):
        head = f"{HEAD}{count}{HEAD}"
        if len(head) + len(token) > sum(rooms[:count]):
            continue
        # Each piece as long as its cookie allows; the last takes the rest.
        values = []
        start = 0
        for index in range(count):
            room = rooms[index] - (len(head) if index == 0 else 0)
            end = len(token) if index == count - 1 else start + room
            values.append((head if index == 0 else "") + token[start:end])
            start = end
        return values
    return None


def capacity(spec: CookieSpec, clock: Callable[[], float], max_cookies: int) -> int:
    """The longest token ``max_cookies`` cookies of ``spec`` hold."""
    empty = spec.set_cookie("", clock)
    rooms = sum(MAX_HEADER - len(rename(empty, spec.name, index)) for index in range(max_cookies))
    return rooms - len(f"{HEAD}{max_cookies}{HEAD}")


def deletions(spec: CookieSpec, start: int, carried: int) -> list[str]:
    """The ``Set-Cookie`` values deleting pieces ``start`` to ``carried - 1``."""
    deleting = spec.delete_cookie()
    return [rename(deleting, spec.name, index) for index in range(max(start, 1), carried)]


def too_large(
    token: str,
    compressed: str | None,
    spec: CookieSpec,
    clock: Callable[[], float],
    max_cookies: int,
    most: int = MAX_COOKIES,
) -> SessionTooLarge:
    """The error for a ``token`` that ``max_cookies`` cookies of ``spec`` cannot hold,
    naming its size, the limit, and a setting that would store it.

    ``compressed``: the same state's token with ``compress=True`` (None when the
    factory compresses already, or cannot); ``most``: the most cookies the factory
    could be given (1 for one that cannot split its cookie).
    """
    if max_cookies == 1:
        limit = f"a cookie value holds at most {MAX_TOKEN_LENGTH} characters"
    else:
        limit = (
            f"max_cookies={max_cookies} cookies hold at most {capacity(spec, clock, max_cookies)} "
            f"characters (each Set-Cookie, name and attributes included, at most {MAX_HEADER} bytes)"
        )
    advice = _advice(token, compressed, spec, clock, max_cookies, most)
    return SessionTooLarge(f"Cookie value is too long to store ({len(token)} bytes): {limit}; {advice}")


def _fewest_cookies(token: str, spec: CookieSpec, clock: Callable[[], float], most: int) -> int | None:
    for count in range(2, most + 1):
        if split(token, spec, clock, count) is not None:
            return count
    return None


def _advice(
    token: str,
    compressed: str | None,
    spec: CookieSpec,
    clock: Callable[[], float],
    max_cookies: int,
    most: int,
) -> str:
    if compressed is not None and split(compressed, spec, clock, max_cookies) is not None:
        return f"compress=True would store it ({len(compressed)} bytes)"
    needed = _fewest_cookies(token, spec, clock, most)
    if needed is not None:
        return f"max_cookies={needed} would store it"
    needed = None if compressed is None else _fewest_cookies(compressed, spec, clock, most)
    if needed is not None:
        return f"compress=True with max_cookies={needed} would store it"
    return "store less in the session"
