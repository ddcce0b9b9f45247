"""Tagged JSON values: Python values that JSON has no type for, as one-key objects.

A value JSON cannot hold is written as ``{" tag": json}``, a one-key object whose
key starts with a space.  The tags Flask's session writes are read as Flask means
them, and written where they are exact, so a cookie either side writes is read
by the other:

====================  ==========  ================================================
value                 tag         JSON
====================  ==========  ================================================
tuple                 ``" t"``    list of tagged items (Flask's)
bytes                 ``" b"``    standard base64 (Flask's)
UUID                  ``" u"``    32 hex digits (Flask's)
datetime              ``" dt"``   ISO 8601 with microseconds and UTC offset, if any
                                  (``[ISO 8601, 1]`` for ``fold=1``)
datetime (ZoneInfo)   ``" dz"``   ``[local ISO 8601, zone key, fold]``
date                  ``" da"``   ISO 8601
time                  ``" ti"``   as a datetime's ``" dt"``
timedelta             ``" td"``   ``[days, seconds, microseconds]``
Decimal               ``" de"``   its ``str()``
set / frozenset       ``" s"`` /  list of tagged items
                      ``" fs"``
a dict of one key     ``" di"``   ``{key + "__": tagged value}`` (Flask's), when
that is a tag                     the key is one of these tags
====================  ==========  ================================================

Read only (Flask writes them; their exact values cannot be written back): ``" d"``,
an HTTP date in whole seconds, is read as an aware UTC datetime, and ``" m"``
(``Markup``) as a plain ``str``, which templates escape again: the safe reading.

Flask's own datetime tag drops microseconds and the time zone, so datetimes get
tags of their own.  Every other value is written as ``json.dumps`` writes it.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._json import MAX_DEPTH

__all__ = ["TAGS", "tag", "untag"]

_Clock = TypeVar("_Clock", datetime, time)


def _exact_zone(value: datetime | time) -> None:
    # A fixed offset is written exactly by isoformat(); any other tzinfo (pytz,
    # dateutil) would come back as a different object, so it is refused.
    if value.tzinfo is not None and type(value.tzinfo) is not timezone:
        raise TypeError(
            f"a {type(value).__name__} with tzinfo {type(value.tzinfo).__name__} cannot be stored "
            "exactly: use datetime.timezone or zoneinfo.ZoneInfo"
        )


def _tag_datetime(value: datetime) -> dict[str, Any]:
    zone = value.tzinfo
    if type(zone) is ZoneInfo and zone.key is not None:
        return {" dz": [value.replace(tzinfo=None).isoformat(), zone.key, value.fold]}
    _exact_zone(value)
    # fold (which of a repeated hour) is not in ISO 8601: written only when set.
    return {" dt": [value.isoformat(), 1] if value.fold else value.isoformat()}


def _tag_time(value: time) -> dict[str, Any]:
    _exact_zone(value)
    return {" ti": [value.isoformat(), 1] if value.fold else value.isoformat()}


def _tag_timedelta(value: timedelta) -> dict[str, Any]:
    return {" td": [value.days, value.seconds, value.microseconds]}


def _to_zoned(item: Any) -> datetime:
    local, key, fold = item
    if fold not in (0, 1) or type(key) is not str:
        raise ValueError("bad zoned datetime")
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(key), fold=fold)


def _from_iso(kind: type[_Clock], text: str) -> _Clock:
    value = kind.fromisoformat(text)
    # CPython 3.11 reads a UTC offset of under a second ("+00:00:00.000001", which
    # isoformat() writes for such a timezone) as UTC itself: the offset is read here.
    if value.tzinfo is timezone.utc and text[-16:-15] in ("+", "-") and text[-15:-6] == "00:00:00.":
        offset = timedelta(microseconds=int(text[-6:]))
        value = value.replace(tzinfo=timezone(-offset if text[-16] == "-" else offset))
    return value


def _to_datetime(item: Any) -> datetime:
    if type(item) is list and len(item) == 2 and item[1] == 1:
        return _from_iso(datetime, item[0]).replace(fold=1)
    return _from_iso(datetime, item)


def _to_time(item: Any) -> time:
    if type(item) is list and len(item) == 2 and item[1] == 1:
        return _from_iso(time, item[0]).replace(fold=1)
    return _from_iso(time, item)


def _to_timedelta(item: Any) -> timedelta:
    days, seconds, microseconds = item
    if not all(type(part) is int for part in item):
        raise ValueError("bad timedelta")
    return timedelta(days=days, seconds=seconds, microseconds=microseconds)


def _to_decimal(item: Any) -> Decimal:
    if type(item) is not str:
        raise ValueError("bad Decimal")
    return Decimal(item)


def _to_http_date(item: Any) -> datetime:
    parsed = email.utils.parsedate_to_datetime(item)
    # Flask writes UTC ("GMT"); a date without a zone is read as UTC, as Werkzeug does.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _to_text(item: Any) -> str:
    if type(item) is not str:
        raise ValueError("bad text")
    return item


#: Each tag and what its JSON is read back into (``" di"`` is handled by :func:`untag`).
_READERS: dict[str, Callable[[Any], Any]] = {
    " t": tuple,
    " b": lambda item: base64.b64decode(item, validate=True),
    " u": uuid.UUID,
    " dt": _to_datetime,
    " dz": _to_zoned,
    " da": date.fromisoformat,
    " ti": _to_time,
    " td": _to_timedelta,
    " de": _to_decimal,
    " s": set,
    " fs": frozenset,
    " d": _to_http_date,
    " m": _to_text,
}
#: Every tag: a dict of one key that is one of them is written under ``" di"``.
TAGS = frozenset([*_READERS, " di"])
# What reading a tag may raise for JSON that is not what its tag says.
_READ_ERRORS = (
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    InvalidOperation,
    binascii.Error,
    ZoneInfoNotFoundError,
)


def tag(value: Any, depth: int = 0) -> Any:
    """``value`` with everything JSON cannot hold tagged: a value ``json.dumps`` writes.

    Raises ``TypeError`` for a value no tag holds exactly (``json.dumps`` would
    raise it too), ``ValueError`` for one nested deeper than ``MAX_DEPTH``.
    """
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value  # the common case first
    if depth > MAX_DEPTH:
        raise ValueError(f"it nests more than {MAX_DEPTH} levels")
    inner = depth + 1
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            if key in TAGS:
                return {" di": {f"{key}__": tag(value[key], inner)}}
        return {key: tag(item, inner) for key, item in value.items()}
    if isinstance(value, list):
        return [tag(item, inner) for item in value]
    if isinstance(value, (str, int, float)):
        return value  # subclasses (an IntEnum, Markup): as json.dumps writes them
    return _tag_other(value, inner)


def _tag_other(value: Any, inner: int) -> Any:
    if isinstance(value, tuple):
        return {" t": [tag(item, inner) for item in value]}
    if isinstance(value, bytes):
        return {" b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return {" u": value.hex}
    if isinstance(value, datetime):  # before date: a datetime is a date
        return _tag_datetime(value)
    if isinstance(value, date):
        return {" da": value.isoformat()}
    if isinstance(value, time):
        return _tag_time(value)
    if isinstance(value, timedelta):
        return _tag_timedelta(value)
    if isinstance(value, Decimal):
        return {" de": str(value)}
    if isinstance(value, frozenset):
        return {" fs": [tag(item, inner) for item in value]}
    if isinstance(value, set):
        return {" s": [tag(item, inner) for item in value]}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def untag(value: Any) -> Any:
    """The value that ``tag`` wrote as ``value`` (parsed JSON); ``ValueError`` if a
    tag's JSON is not what the tag says."""
    kind = type(value)
    if kind is list:
        return [untag(item) for item in value]
    if kind is not dict:
        return value
    # Inner values first, so a tag's JSON holds values already read back.
    value = {key: untag(item) for key, item in value.items()}
    if len(value) != 1:
        return value
    key, item = next(iter(value.items()))
    if key == " di":
        if type(item) is not dict or len(item) != 1:
            raise ValueError("bad tagged dict")
        inner_key, inner_item = next(iter(item.items()))
        if not inner_key.endswith("__"):
            raise ValueError("bad tagged dict")
        return {inner_key[:-2]: inner_item}
    reader = _READERS.get(key)
    if reader is None:
        return value
    try:
        return reader(item)
    except _READ_ERRORS as exc:
        raise ValueError(f"bad {key.strip()!r} tag") from exc
