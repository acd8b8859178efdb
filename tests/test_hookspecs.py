"""Keep the hook reference honest (datasette's meta-tests): every hook is
documented in full, annotated, listed in docs/hooks.md with its exact
signature, and has a test named ``test_hook_<name>``."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from orderkit import hookspecs

REPO = Path(__file__).resolve().parents[1]
HOOKS = sorted(
    name
    for name, fn in vars(hookspecs).items()
    if inspect.isfunction(fn) and hasattr(fn, "orderkit_spec")
)
DESIGN_HOOKS = {
    "fetch_orders",
    "map_status",
    "clean_address",
    "allocate_warehouse",
    "apply_gifts",
    "book_pickup",
    "register_channels",
    "register_couriers",
}


def test_the_design_hooks_exist() -> None:
    assert set(HOOKS) >= DESIGN_HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_full_docstring(name: str) -> None:
    fn = getattr(hookspecs, name)
    doc = inspect.getdoc(fn) or ""
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name}: :param {param}: missing"
    assert ":returns:" in doc, f"{name}: :returns: missing"
    assert "Errors:" in doc, f"{name}: error policy missing"
    assert "versionadded" in doc, f"{name}: versionadded missing"
    opts = fn.orderkit_spec
    if opts.get("firstresult"):
        assert "Stops at first non-None result" in doc, f"{name}: firstresult not stated"
    assert "None" in doc, f"{name}: must say what None means"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_annotated(name: str) -> None:
    fn = getattr(hookspecs, name)
    annotations = inspect.get_annotations(fn)
    assert set(inspect.signature(fn).parameters) | {"return"} <= set(annotations), name


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_in_the_docs_with_its_signature(name: str) -> None:
    doc = (REPO / "docs/hooks.md").read_text(encoding="utf-8")
    signature = f"{name}{inspect.signature(getattr(hookspecs, name))}"
    assert f"## `{name}`" in doc, f"docs/hooks.md has no section for {name}"
    assert signature.replace("'", "") in doc, f"docs/hooks.md: signature of {name} drifted"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name: str) -> None:
    pattern = re.compile(rf"def test_hook_{name}(_|\()")
    sources = [p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("test_*.py")]
    assert any(pattern.search(s) for s in sources), f"no test_hook_{name}* test"
