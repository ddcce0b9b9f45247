"""Serializers: objects <-> payload bytes.

A serializer has ``dumps(obj) -> bytes`` and ``loads(bytes) -> obj`` and raises
``ValueError`` on bad input, exactly as Pyramid's serializer protocol asks.

:class:`JSONSerializer` writes the same bytes as ``json.dumps`` with its default
settings (what Pyramid and WebOb write), through one cached C encoder instead of
a new one per call; see :mod:`cookiesession._json`.  :class:`RichJSONSerializer`
writes the same JSON, with the values JSON has no type for tagged (see
:mod:`cookiesession._tags`).
"""

from __future__ import annotations

import pickle
import uuid
import warnings
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from . import _json, _tags

__all__ = ["JSONSerializer", "PickleSerializer", "RichJSONSerializer", "ValueTaggingSerializer"]


class JSONSerializer:
    """Serialize with ``json.dumps`` / ``json.loads`` defaults, as UTF-8 bytes."""

    __slots__ = ()

    #: A value of none of these types is refused when it is assigned (see
    #: :meth:`~cookiesession.codec.SessionCodec.check_value`); what is inside a
    #: list or dict is checked when the cookie is written.
    storable_types: tuple[type, ...] = (str, int, float, list, tuple, dict, type(None))

    def dumps(self, appstruct: Any) -> bytes:
        """``appstruct`` as compact UTF-8 JSON (``json.dumps``'s defaults).

        Raises:
            TypeError: a value JSON cannot hold.
            ValueError: a circular reference, or a float that is not finite.
        """
        return _json.dumps(appstruct).encode("utf-8")

    def loads(self, bstruct: bytes) -> Any:
        """The value ``bstruct`` (UTF-8 JSON) holds.

        Raises:
            ValueError: ``bstruct`` is not UTF-8 JSON.
        """
        # UnicodeDecodeError and JSONDecodeError are both ValueErrors.
        return _json.loads(bstruct)

    def __repr__(self) -> str:
        return "JSONSerializer()"


class ValueTaggingSerializer:
    """Pyramid's payload, ``[accessed, created, state]`` in JSON as ``json.dumps``
    writes it, with each of the state's *values* tagged by :meth:`tag` and read back
    by :meth:`untag`.  The keys stay as they are, so the state is a plain object to
    every other reader, whatever its keys look like.  Subclasses give the tags."""

    __slots__ = ()

    def tag(self, value: Any) -> Any:
        """``value`` as JSON can hold it."""
        raise NotImplementedError

    def untag(self, value: Any) -> Any:
        """A value as :meth:`tag` gave it, back; raises ``ValueError`` (or
        ``TypeError``) for a tag that does not parse, which refuses the cookie."""
        raise NotImplementedError

    def may_hold_tags(self, payload: bytes) -> bool:
        """Whether ``payload`` may hold a tagged value (False: its state is read as
        it parsed, without a walk through its values)."""
        return True

    def dumps(self, appstruct: Any) -> bytes:
        """``appstruct`` (the payload's ``(accessed, created, state)``) as JSON, each of
        the state's values tagged by :meth:`tag`; raises what :meth:`tag` raises."""
        tag = self.tag
        if type(appstruct) is tuple and len(appstruct) == 3 and isinstance(appstruct[2], dict):
            accessed, created, state = appstruct
            appstruct = [accessed, created, {key: tag(value) for key, value in state.items()}]
        else:  # a single value (the codec names an unstorable key this way)
            appstruct = tag(appstruct)
        return _json.dumps(appstruct).encode("utf-8")

    def loads(self, bstruct: bytes) -> Any:
        """The payload ``bstruct`` holds, its state's values untagged by :meth:`untag`.

        Raises:
            ValueError: ``bstruct`` is not JSON, or a tag does not parse.
        """
        triple = _json.loads(bstruct)
        state = triple[2] if type(triple) is list and len(triple) == 3 else None
        if type(state) is dict and self.may_hold_tags(bstruct):
            untag = self.untag
            triple[2] = {key: untag(value) for key, value in state.items()}
        return triple


class RichJSONSerializer(ValueTaggingSerializer):
    """JSON with exact datetimes, dates, times, timedeltas, UUIDs, Decimals, bytes,
    tuples, sets and frozensets, and the tagged values Flask's session writes.

    Each of the state's values is tagged (see :mod:`cookiesession._tags`): a state
    of plain JSON values gives exactly :class:`JSONSerializer`'s bytes, and any
    reader of that JSON (Pyramid itself) reads a tagged value as a small dict.
    Standard library only: nothing is ever imported or called by name from a cookie.
    """

    __slots__ = ()

    #: As :attr:`JSONSerializer.storable_types`.
    storable_types: tuple[type, ...] = (
        *JSONSerializer.storable_types,
        bytes,
        uuid.UUID,
        date,  # and datetime
        time,
        timedelta,
        Decimal,
        set,
        frozenset,
    )

    def tag(self, value: Any) -> Any:
        """``value`` as tagged JSON.

        Raises:
            SessionNotSerializable: a value it cannot store exactly (a ``TypeError``).
        """
        return _tags.tag(value, 1)

    def untag(self, value: Any) -> Any:
        """A tagged value back as the object it was.

        Raises:
            ValueError: a tag that does not parse (the cookie is then refused).
        """
        return _tags.untag(value)

    def __repr__(self) -> str:
        return "RichJSONSerializer()"


class PickleSerializer:
    """Serialize with :mod:`pickle`.  Deprecated, as in Pyramid 2.0.

    Unpickling runs code chosen by whoever wrote the bytes, so cookiesession only
    ever calls :meth:`loads` on a payload whose signature has already been verified,
    and :func:`~cookiesession.BaseCookieSessionFactory` refuses it outright.

    Args:
        protocol: the pickle protocol :meth:`dumps` writes.
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
        """``appstruct`` pickled; raises what :func:`pickle.dumps` raises."""
        return pickle.dumps(appstruct, self.protocol)

    def loads(self, bstruct: bytes) -> Any:
        """The object ``bstruct`` pickles; call it on verified bytes only.

        Raises:
            ValueError: ``bstruct`` does not unpickle.
        """
        try:
            return pickle.loads(bstruct)  # noqa: S301 - only ever on verified bytes
        except Exception as exc:  # any failure of unpickling is a bad payload
            raise ValueError("cannot unpickle the session payload") from exc

    def __repr__(self) -> str:
        return f"PickleSerializer(protocol={self.protocol})"
