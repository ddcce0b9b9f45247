"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from hypothesis import strategies as st

# JSON-native state: what survives json.dumps/json.loads unchanged (no tuples, str keys only,
# no NaN, which is not equal to itself).
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=16,
)
json_states = st.dictionaries(st.text(max_size=8), json_values, max_size=5)

# What RichJSONSerializer stores exactly, on top of JSON: dates and times (naive, with
# a fixed offset, or with a ZoneInfo for datetimes), durations, UUIDs, Decimals, bytes,
# tuples, sets and frozensets, and dicts whose one key is one of its tags.
fixed_offsets = st.builds(
    timezone,
    st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)),
)
_hashable_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.uuids()
    | st.dates()
    | st.timedeltas()
    | st.binary(max_size=8)
)
rich_scalars = (
    json_scalars
    | st.datetimes(timezones=st.none() | fixed_offsets | st.timezones())
    | st.dates()
    | st.times(timezones=st.none() | fixed_offsets)
    | st.timedeltas()
    | st.uuids()
    | st.decimals(allow_nan=False)
    | st.binary(max_size=16)
    | st.sets(_hashable_scalars, max_size=4)
    | st.frozensets(_hashable_scalars, max_size=4)
)
_tag_keys = st.sampled_from([" t", " b", " u", " d", " m", " di", " dt", " dz", " s", " fs", " de", " td"])
rich_values = st.recursive(
    rich_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(_tag_keys, inner, min_size=1, max_size=1)
    ),
    max_leaves=12,
)
rich_states = st.dictionaries(st.text(max_size=8), rich_values, max_size=5)


def exactly(value: Any) -> Any:
    """A hashable picture of ``value`` that tells apart everything a round trip must keep:
    types, a datetime's fold and time zone, a float's sign of zero, a Decimal's digits."""
    kind = type(value)
    if kind is dict:
        return ("dict", tuple((key, exactly(item)) for key, item in value.items()))
    if kind in (list, tuple):
        return (kind.__name__, tuple(exactly(item) for item in value))
    if kind in (set, frozenset):
        return (kind.__name__, frozenset(exactly(item) for item in value))
    return (kind.__name__, repr(value))
