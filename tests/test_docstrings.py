"""Every public name has a docstring that names each of its parameters: the API reference
(``make docs``) is generated from them, so a name without one would be a hole in it.

Public: the names in ``__all__`` of the modules the reference documents, and the public
methods and properties of their classes (a session's, from every class it is made of).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Iterator
from typing import Any, Protocol

import pytest

from tests.conftest import require

MODULES = [
    "cookiesession",
    "cookiesession.factory",
    "cookiesession.session",
    "cookiesession.csrf",
    "cookiesession.serializers",
    "cookiesession.exceptions",
    "cookiesession.wsgi",
    "cookiesession.asgi",
    "cookiesession.starlette",
    "cookiesession.flask",
    "cookiesession.pyramid",
    "cookiesession.django",
    "cookiesession.django.middleware",
    "cookiesession.readers",
    "cookiesession.revocation",
    "cookiesession.redis_store",
    "cookiesession.user_revocation",
]
# The framework a module imports at its top.
FRAMEWORK = {
    "cookiesession.starlette": "starlette",
    "cookiesession.flask": "flask",
    "cookiesession.pyramid": "pyramid",
    "cookiesession.django": "django",
    "cookiesession.django.middleware": "django",
}


def _import(name: str) -> Any:
    framework = FRAMEWORK.get(name)
    if framework is not None:
        require(importlib.util.find_spec(framework) is not None, f"the {framework!r} package")
    if framework == "django":
        from tests import django_project

        django_project.setup()
    return importlib.import_module(name)


def _parameters(function: Any) -> list[str]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature
        return []
    return [
        name
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls")
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    """The public methods and properties ``cls`` and its own (cookiesession) bases define."""
    for owner in cls.__mro__:
        if not owner.__module__.startswith("cookiesession"):
            continue
        for name, value in vars(owner).items():
            if name.startswith("_"):
                continue
            function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            if inspect.isfunction(function):
                yield f"{owner.__qualname__}.{name}", function


def _problems(qualname: str, obj: Any, extra_doc: str = "") -> list[str]:
    doc = (obj.__doc__ or "") + extra_doc
    if not doc.strip():
        return [f"{qualname}: no docstring"]
    undescribed = [name for name in _parameters(obj) if name not in doc]
    return [f"{qualname}: parameters not described: {undescribed}"] if undescribed else []


def _public_names(module: Any) -> list[str]:
    """``__all__``, or (a module without one) the public names it defines."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_has_a_docstring_naming_its_parameters(module_name: str) -> None:
    module = _import(module_name)
    problems = [] if module.__doc__ else [f"{module_name}: no module docstring"]
    for name in _public_names(module):
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            problems += _problems(f"{module_name}.{name}", obj)
        elif inspect.isclass(obj):
            problems += [] if obj.__doc__ else [f"{module_name}.{name}: no docstring"]
            init = vars(obj).get("__init__")
            if init is not None and Protocol not in obj.__mro__:
                # Parameters of the constructor are described in the class's docstring.
                problems += _problems(f"{module_name}.{name}.__init__", init, obj.__doc__ or "")
            for qualname, function in _members(obj):
                problems += _problems(f"{function.__module__}.{qualname}", function)
    assert sorted(set(problems)) == []
