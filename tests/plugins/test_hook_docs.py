"""Every hook is documented in docs/plugins.md with its exact signature and docstring."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from metricsmith.plugins import hookspecs

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
HOOKS: dict[str, Callable[..., object]] = {
    name: function
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("metricsmith_")
}


def squeezed(text: str) -> str:
    """Text with every run of whitespace made one space, so line wrapping does not matter."""
    return " ".join(text.split())


def test_hookspecs_holds_only_hook_specifications() -> None:
    assert HOOKS
    functions = dict(inspect.getmembers(hookspecs, inspect.isfunction))
    defined_here = {n for n, f in functions.items() if f.__module__ == hookspecs.__name__}
    assert defined_here == set(HOOKS)
    for function in HOOKS.values():
        assert hasattr(function, f"{hookspecs.PROJECT_NAME}_spec")


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_documented_with_its_exact_signature(name: str) -> None:
    signature = f"{name}{inspect.signature(HOOKS[name])}"
    assert f"```python\n{signature}\n```" in DOCS, f"docs/plugins.md lacks: {signature}"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_docstring_is_in_the_docs(name: str) -> None:
    docstring = inspect.getdoc(HOOKS[name])
    assert docstring, f"{name} has no docstring"
    assert squeezed(docstring) in squeezed(DOCS)


def test_the_docs_document_no_hook_that_does_not_exist() -> None:
    documented = set(re.findall(r"^### `(metricsmith_\w+)`$", DOCS, flags=re.MULTILINE))
    assert documented == set(HOOKS)
