"""A session that is read from its cookie only when the application first uses it.

The WSGI and ASGI adapters put one of these where the application looks for its
session (``environ['cookiesession.session']``, ``scope['session']``), because the
environ and the scope must stay plain dicts.  Until something touches it, no
cookie is verified, and the response gets neither ``Set-Cookie`` nor
``Vary: Cookie``: a request that never looks at the session cannot depend on it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from .cookies import find_cookie
from .exceptions import ConfigurationTypeError
from .session import CookieSession

__all__ = ["LazySession", "check_session_factory"]


def check_session_factory(session_factory: object) -> type[CookieSession]:
    """The factory itself, if it is one of ours; a ConfigurationTypeError at start-up if not."""
    if not (isinstance(session_factory, type) and issubclass(session_factory, CookieSession)):
        raise ConfigurationTypeError(
            "session_factory must be a factory made by cookiesession (for example "
            f"SignedCookieSessionFactory(secret)), not {type(session_factory).__name__}"
        )
    if session_factory is CookieSession:
        raise ConfigurationTypeError(
            "session_factory must be a configured factory such as SignedCookieSessionFactory(secret), "
            "not the CookieSession base class"
        )
    return session_factory


class LazySession(MutableMapping[str, Any]):
    """A mapping that stands for a :class:`CookieSession` not read yet.

    Every mapping operation goes to the real session (so its access and change
    tracking work as usual); other attributes (``flash``, ``get_csrf_token``,
    ``invalidate``, ``new``, ``created``, ...) are forwarded too.  ``load()``
    returns the real session, for code that wants the object itself; the adapters
    read ``loaded_session``, which is that session once used and None before.
    """

    __slots__ = ("_cookie_header", "_factory", "_prefetched", "loaded_session")

    def __init__(self, session_factory: type[CookieSession], cookie_header: str) -> None:
        self._factory = session_factory
        self._cookie_header = cookie_header
        self.loaded_session: CookieSession | None = None
        self._prefetched: CookieSession | None = None

    @property
    def loaded(self) -> bool:
        """Whether the application has used the session (so the response may need a cookie)."""
        return self.loaded_session is not None

    def load(self) -> CookieSession:
        """The real session, read from the cookie on first use, with its whole state
        parsed: code that asks for the object itself may hand it to a serializer
        that reads a dict's entries directly (pydantic, orjson), which would meet
        an unparsed state's stand-in (see ``CookieSession._peek``)."""
        session = self._session()
        session._materialize()
        return session

    def _session(self) -> CookieSession:
        # The real session, as it is: the mapping's methods below are the session's
        # own, which read its state lazily.
        session = self.loaded_session
        if session is None:
            session = self._prefetched
            if session is None:
                session = self._factory.from_cookie_header(self._cookie_header)
            self.loaded_session = session
        return session

    async def prefetch_async(self) -> None:
        """Read the cookie now, awaiting the revocation check (``revocation=``), so
        the endpoint's first use does no blocking I/O on the event loop.  Until the
        endpoint uses it, the session still counts as unused (no cookie, no Vary)."""
        if self.loaded_session is None and self._prefetched is None:
            factory = self._factory
            value = find_cookie(self._cookie_header, factory._cookie.name)
            self._prefetched = await factory.from_cookie_value_async(value)

    def __repr__(self) -> str:
        # Never loads (a debugger or a log line must not change the response).
        session = self.loaded_session
        return "<LazySession (not read yet)>" if session is None else f"<LazySession {session!r}>"

    def __getattr__(self, name: str) -> Any:
        # Only called for names not found on the proxy: the session's own API.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._session(), name)

    # -- the mapping, straight to the session's tracked methods ------------------------

    def __getitem__(self, key: str) -> Any:
        return self._session()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._session()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._session()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._session()

    def __iter__(self) -> Iterator[str]:
        return iter(self._session())

    def __len__(self) -> int:
        return len(self._session())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazySession):
            other = other._session()
        return self._session() == other

    __hash__ = None  # type: ignore[assignment]  # a mutable mapping, like dict

    def get(self, key: str, default: Any = None) -> Any:
        return self._session().get(key, default)

    def keys(self) -> Any:
        return self._session().keys()

    def values(self) -> Any:
        return self._session().values()

    def items(self) -> Any:
        return self._session().items()

    def pop(self, key: str, *default: Any) -> Any:
        return self._session().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        return self._session().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        return self._session().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._session().update(*args, **kwargs)

    def clear(self) -> None:
        self._session().clear()

    def copy(self) -> dict[str, Any]:
        return self._session().copy()

    # copy.copy() and copy.deepcopy() give a plain dict, detached from the session
    # (the default would copy the proxy, and its copy would write to the same cookie).
    def __copy__(self) -> dict[str, Any]:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(self.copy(), memo)

    def __reversed__(self) -> Iterator[str]:
        session = self._session()
        session._touch()  # an access, as iteration is
        return reversed(session)

    # `session | other` and `other | session`: a new plain dict, as with a dict.
    def __or__(self, other: Any) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: Any) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = dict(other)
        merged.update(self._session().items())
        return merged

    def __ior__(self, other: Any) -> LazySession:
        self._session().update(other)
        return self
