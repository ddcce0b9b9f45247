"""Any session of supported values round-trips through a real request of each framework,
with each serializer, with and without compression, in one cookie or in several.

A few examples per case keep the suite fast; the state is drawn by hypothesis, and a
session in several cookies gets an incompressible pad long enough to need them.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession._pieces import MAX_HEADER
from tests import large_apps
from tests.conftest import require
from tests.strategies import exactly, json_states, rich_states


def _has(*modules: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in modules)


FRAMEWORKS = {
    "pyramid": ("pyramid", "webtest"),
    "wsgi": ("webtest",),
    "asgi": ("starlette", "httpx"),
    "starlette": ("starlette", "httpx"),
    "flask": ("flask",),
    "django": ("django",),
}
OPTIONS = [
    {"serializer": serializer, "compress": compress, "max_cookies": max_cookies}
    for serializer in ("json", "rich")
    for compress in (False, True)
    for max_cookies in (1, 3)
]


@functools.cache
def _client(framework: str, serializer: str, compress: bool, max_cookies: int) -> large_apps.Client:
    options: dict[str, Any] = {"serializer": serializer, "compress": compress, "max_cookies": max_cookies}
    if framework == "pyramid":
        return large_apps.PyramidClient(large_apps.factory(**options))
    if framework == "wsgi":
        return large_apps.WSGIClient(large_apps.factory(**options))
    if framework in ("asgi", "starlette"):
        return large_apps.StarletteClient(options, dropin=framework == "starlette")
    if framework == "flask":
        return large_apps.FlaskClient(options)
    from tests import django_project

    django_project.setup()
    return large_apps.DjangoClient(options)


def _pad(seed: int, size: int) -> str:
    # Random bytes in base64: compression saves at most a quarter of it.
    return base64.b64encode(random.Random(seed).randbytes(size)).decode()


@st.composite
def _states(draw: st.DrawFn, serializer: str, max_cookies: int) -> dict[str, Any]:
    state: dict[str, Any] = draw(rich_states if serializer == "rich" else json_states)
    if max_cookies > 1:
        state["pad"] = _pad(draw(st.integers(0, 2**32)), draw(st.integers(3000, 4500)))
    return state


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(str(v) for v in o.values()))
@pytest.mark.parametrize("framework", list(FRAMEWORKS))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_session_round_trips_through_a_real_request(
    framework: str, options: dict[str, Any], data: st.DataObject
) -> None:
    require(_has(*FRAMEWORKS[framework]), framework)
    client = _client(framework, **options)
    state = data.draw(_states(options["serializer"], options["max_cookies"]))
    set_cookies = client.put(state)
    written = [each for each in set_cookies if "Max-Age=0" not in each and "max-age=0" not in each.lower()]
    assert [len(each) <= MAX_HEADER for each in set_cookies] == [True] * len(set_cookies)
    # A padded session needs several cookies unless compression brought it into one.
    if options["max_cookies"] > 1 and not options["compress"]:
        assert len(written) > 1
    seen = client.read()
    assert exactly(seen) == exactly(state)
