"""Reading other libraries' session cookies (``read_also=``), so that switching to
cookiesession logs nobody out.

A factory with ``read_also=[reader, ...]`` (see :mod:`cookiesession.readers`)
tries each reader, in order, when the request brings no cookie of ours that it
accepts.  A state a reader accepts becomes the session, stored in our format
with this response; the old cookie is deleted by the same response when its name
differs from ours (with the same name, ours simply replaces it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from . import _request
from ._revocable import SID_KEY, Revocable
from .cookies import CookieSpec, find_cookie
from .exceptions import ConfigurationTypeError

__all__ = ["CookieLookup", "OldCookie", "ReadsOldCookies", "check_read_also", "read_old_cookie"]

#: The value of the request's cookie of a given name, or None.
CookieLookup = Callable[[str], "str | None"]

_PREFIXES_NEEDING_SECURE = ("__Secure-", "__Host-")


class OldCookie(NamedTuple):
    """A reader, and the ``Set-Cookie`` value deleting its cookie (None when the
    cookie has our name, so that writing ours replaces it)."""

    reader: Any
    delete_header: str | None


def check_read_also(read_also: object, cookie_name: str) -> tuple[OldCookie, ...]:
    """The ``read_also`` option checked at start-up."""
    if isinstance(read_also, (str, bytes)) or not isinstance(read_also, Sequence):
        raise ConfigurationTypeError("read_also must be a list of readers from cookiesession.readers")
    checked = []
    for reader in read_also:
        name = getattr(reader, "cookie_name", None)
        if not (isinstance(name, str) and name and callable(getattr(reader, "read", None))):
            raise ConfigurationTypeError(
                "read_also takes readers (with cookie_name and read(value, now)), "
                f"not {type(reader).__name__}"
            )
        delete_header = None
        if name != cookie_name:
            spec = CookieSpec(
                name,
                max_age=None,
                path=getattr(reader, "path", "/"),
                domain=getattr(reader, "domain", None),
                secure=name.startswith(_PREFIXES_NEEDING_SECURE),
                httponly=False,
                samesite=None,
            )
            delete_header = spec.delete_cookie()
        checked.append(OldCookie(reader, delete_header))
    return tuple(checked)


def read_old_cookie(
    old_cookies: tuple[OldCookie, ...], cookies: CookieLookup, now: float
) -> tuple[dict[str, Any], str | None] | None:
    """The state of the first old cookie a reader accepts, with the header deleting
    that cookie (or None); None when no reader accepts one.  Never raises for what
    the client sent."""
    for old in old_cookies:
        value = cookies(old.reader.cookie_name)
        if not value:
            continue
        try:
            state = old.reader.read(value, now)
        except Exception:  # noqa: BLE001, S112 - a reader of another package's making: bad input is no session
            continue
        if not isinstance(state, dict) or not all(type(key) is str for key in state):
            continue
        # Our session id is ours to give: an old state never brings one.
        state.pop(SID_KEY, None)
        return state, old.delete_header
    return None


class ReadsOldCookies(Revocable):
    """The ``read_also`` side of a session; :class:`~cookiesession.CookieSession` is one."""

    __slots__ = ()

    # Set on the class that each factory builds.
    _read_also: ClassVar[tuple[OldCookie, ...]] = ()
    # Whether the request's other cookies are looked at: read_also=, or max_cookies.
    _reads_other_cookies: ClassVar[bool] = False
    _set_on_exception: ClassVar[bool]
    # The session's own (see CookieSession).
    new: bool
    _used: bool
    _dirty: bool

    # The Set-Cookie value deleting the other library's cookie this session was read
    # from; set on the instance (its __dict__) only then.
    _old_cookie_deletion: str | None = None

    @classmethod
    def _lookup_in(cls, cookies: Mapping[str, str] | None) -> CookieLookup | None:
        # How readers find their cookies: only a factory with read_also= looks.
        if cookies is None or not cls._reads_other_cookies:
            return None
        return cookies.get

    @classmethod
    def _lookup_in_request(cls, request: Any) -> CookieLookup | None:
        if not cls._reads_other_cookies:
            return None

        def lookup(name: str) -> str | None:
            return _request.incoming_cookie(request, name)

        return lookup

    @classmethod
    def _lookup_in_header(cls, header: str | None) -> CookieLookup | None:
        if not header or not cls._reads_other_cookies:
            return None

        def lookup(name: str) -> str | None:
            return find_cookie(header, name)

        return lookup

    def _read_old_cookie(self, now: float, cookies: CookieLookup) -> None:
        # No cookie of ours was accepted: a session another library wrote becomes
        # this one, stored in our format with this response.
        found = read_old_cookie(self._read_also, cookies, now)
        if found is None:
            return
        state, deletion = found
        dict.update(self, state)
        self.new = False
        self._used = self._dirty = True
        if deletion is not None:
            self._old_cookie_deletion = deletion

    def old_cookie_deletion(self, failed: bool = False) -> str | None:
        """The ``Set-Cookie`` value deleting the other library's cookie this session
        was read from (``read_also=``), when that cookie's name differs from ours;
        else None.  ``failed``: as for :meth:`set_cookie_header`."""
        if failed and not self._set_on_exception:
            return None
        return self._old_cookie_deletion
