"""Serializers: objects <-> payload bytes.

A serializer has ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj`` and raises
``ValueError`` on bad input, exactly as Pyramid's serializer protocol asks.

:class:`JSONSerializer` writes the same bytes as ``json.dumps`` with its default
settings (what Pyramid and WebOb write), through one cached C encoder instead of
a new one per call; see :mod:`cookiesession._json`.
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

from . import _json

__all__ = ["JSONSerializer", "PickleSerializer"]


class JSONSerializer:
    """Serialize with ``json.dumps`` / ``json.loads`` defaults, as UTF-8 bytes."""

    __slots__ = ()

    def dumps(self, appstruct: Any) -> bytes:
        return _json.dumps(appstruct).encode("utf-8")

    def loads(self, bstruct: bytes) -> Any:
        # UnicodeDecodeError and JSONDecodeError are both ValueErrors.
        return _json.loads(bstruct)

    def __repr__(self) -> str:
        return "JSONSerializer()"


class PickleSerializer:
    """Serialize with :mod:`pickle`.  Deprecated, as in Pyramid 2.0.

    Unpickling runs code chosen by whoever wrote the bytes, so cookiesession only
    ever calls :meth:`loads` on a payload whose signature has already been verified,
    and :func:`~cookiesession.BaseCookieSessionFactory` refuses it outright.
    """

    __slots__ = ("protocol",)

    def __init__(self, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        warnings.warn(
            "PickleSerializer is deprecated: pickled sessions run arbitrary code if the "
            "secret ever leaks. Store JSON-serializable values and use JSONSerializer.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.protocol = protocol

    def dumps(self, appstruct: Any) -> bytes:
        return pickle.dumps(appstruct, self.protocol)

    def loads(self, bstruct: bytes) -> Any:
        try:
            return pickle.loads(bstruct)  # noqa: S301 - only ever on verified bytes
        except Exception as exc:  # any failure of unpickling is a bad payload
            raise ValueError("cannot unpickle the session payload") from exc

    def __repr__(self) -> str:
        return f"PickleSerializer(protocol={self.protocol})"
