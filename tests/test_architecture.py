"""The shape of the code: no source file over 600 lines, no import circle, nothing low importing something high.

Imports are read from the source (``ast``), never by importing it. Every import counts, wherever it stands: at the
top of a module, inside a function (a lazy import is still a dependency, and one that hides a circle at import
time), and under ``if TYPE_CHECKING:`` (a reader follows it as any other). ``from package import name`` is an
import of ``package.name`` when that is a module, else of ``package``. A package's ``__init__`` is a module like
any other; the import of a package that Python makes before one of its modules is not counted.

Known exceptions are listed below, each with the reason; they are files other work is changing now, and each
entry should go when that work lands (a test below fails on an exception that is no longer needed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "inclusive_check"
MAX_LINES = 600

# The layers, low to high: a module may import its own layer and the layers below it, never one above. A module
# is placed by the longest prefix of its dotted name (without the package) listed here.
LAYERS: tuple[tuple[str, ...], ...] = (
    # plain helpers and data, importing nothing of the package above this layer
    (
        "bounds",
        "inputs",
        "safetext",
        "gcpause",
        "terminal",
        "periods",
        "rule_ids",
        "market_params",
        "overlay_models",
        "wording",
        "traceability",
        "i18n",
    ),
    ("contract",),  # the document contract
    ("store", "figures"),  # SQL tables, the database, what a document stores; figures (exact, as people read them)
    ("rules", "run_texts"),  # the rules, judged in SQL over the store
    ("ruleset", "ruleset_models", "ruleset_parse", "ruleset_checks", "ruleset_schema", "overlay", "dispensations"),
    ("engine", "scoring", "market", "market_series", "market_reference", "market_public"),  # runs, scores, market
    ("results",),  # a stored run read back as the results contract
    ("check", "rule_facts", "impact", "impact_runs", "impact_compare", "impact_settings", "impact_diff", "reproduce"),
    ("reports",),  # render only
    ("cli", "cli_common", "cli_types", "portal", "__main__"),  # the faces: every cli_* module, the portal
)

# Files over MAX_LINES that other work is splitting now.
LONG: dict[str, str] = {}

# Circles that other work is removing now: each as the set of its modules.
CIRCLES: dict[frozenset[str], str] = {}

# (importer, imported) pairs that run upward and that other work is removing now.
UPWARD: dict[tuple[str, str], str] = {}

# Results and reports only render: they read what a run stored, never the rules package or the store's tables.
RENDERERS = ("results", "reports")
NOT_FOR_RENDERERS = ("rules", "store.tables")
# (importer, imported) pairs that other work is removing now (reports work of issue 26).
RENDERER_IMPORTS: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (without the package): ``store.ingest``, ``rules``."""
    root = SRC / PACKAGE
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            out[".".join(parts)] = path
    return out


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> Iterator[str]:
    """The modules of the package that one import statement names."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                yield from _known(name.removeprefix(PACKAGE).lstrip("."), known)
        return
    if node.level:  # relative: from the module's own package, up level - 1
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
        prefix = ".".join([*base, *(node.module.split(".") if node.module else [])])
    elif node.module and (node.module == PACKAGE or node.module.startswith(PACKAGE + ".")):
        prefix = node.module.removeprefix(PACKAGE).lstrip(".")
    else:
        return
    for alias in node.names:
        sub = f"{prefix}.{alias.name}" if prefix else alias.name
        if sub in known:
            yield sub
        else:
            yield from _known(prefix, known)


def _known(name: str, known: set[str]) -> Iterator[str]:
    while name and name not in known:
        name = name.rpartition(".")[0]
    if name:
        yield name


@cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"), str(path))
        is_package = path.name == "__init__.py"
        graph[module] = {
            target
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for target in _targets(module, is_package, node, known)
            if target != module
        }
    return graph


def _layer(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        for i, names in enumerate(LAYERS):
            if prefix in names:
                return i
    if module.startswith("cli_"):
        return len(LAYERS) - 1
    raise AssertionError(f"{module} has no layer: add it (or its package) to LAYERS in {Path(__file__).name}")


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(frozenset(component))
    return out


def _upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, targets in graph.items() for b in targets if _layer(b) > _layer(a))


def _path(module: str) -> str:
    return str(_modules()[module].relative_to(SRC / PACKAGE))


def test_no_source_file_is_over_600_lines() -> None:
    long = {}
    for module, path in _modules().items():
        lines = len(path.read_text("utf-8").splitlines())
        if lines > MAX_LINES and _path(module) not in LONG:
            long[_path(module)] = lines
    assert not long, f"over {MAX_LINES} lines (split by job): {long}"


def test_no_import_circle() -> None:
    found = [c for c in _circles(_graph()) if c not in CIRCLES]
    assert not found, "import circles: " + "; ".join(" <-> ".join(sorted(c)) for c in found)


def test_nothing_low_imports_something_high() -> None:
    found = [
        f"{a} (layer {_layer(a)}) imports {b} (layer {_layer(b)})" for a, b in _upward(_graph()) if (a, b) not in UPWARD
    ]
    assert not found, "upward imports:\n  " + "\n  ".join(found)


def _renderer_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (a, b)
        for a, targets in graph.items()
        if a.split(".")[0] in RENDERERS
        for b in targets
        if any(b == name or b.startswith(name + ".") for name in NOT_FOR_RENDERERS)
    )


def test_results_and_reports_import_neither_the_rules_nor_the_tables() -> None:
    found = [f"{a} imports {b}" for a, b in _renderer_imports(_graph()) if (a, b) not in RENDERER_IMPORTS]
    assert not found, found


def test_contract_and_store_import_nothing_above_the_store() -> None:
    """The named promise of the layers, checked apart from the table above, so that no edit of it can loosen this."""
    above = {
        *("rules", "ruleset", "ruleset_models", "ruleset_parse", "ruleset_checks", "ruleset_schema", "overlay"),
        *("dispensations", "engine", "scoring", "results", "reports", "check", "reproduce", "portal", "cli"),
        *("market", "market_series", "market_reference", "market_public", "run_texts"),
    }
    found = [
        f"{a} imports {b}"
        for a, targets in _graph().items()
        if a.split(".")[0] in ("contract", "store")
        for b in targets
        if b.split(".")[0] in above or b.startswith(("cli_", "impact"))
    ]
    assert not found, found


@pytest.mark.parametrize(
    "exceptions, still",
    [
        (LONG, lambda key: len((SRC / PACKAGE / key).read_text("utf-8").splitlines()) > MAX_LINES),
        (CIRCLES, lambda key: key in _circles(_graph())),
        (UPWARD, lambda key: key in _upward(_graph())),
        (RENDERER_IMPORTS, lambda key: key in _renderer_imports(_graph())),
    ],
    ids=["long", "circles", "upward", "renderers"],
)
def test_every_exception_is_still_needed(exceptions: dict[object, str], still: object) -> None:
    """An exception whose work has landed is taken out, so that the rule holds again for that file."""
    assert callable(still)
    stale = [
        key for key in exceptions if (isinstance(key, str) and not (SRC / PACKAGE / key).exists()) or not still(key)
    ]
    assert not stale, f"no longer needed, remove from {Path(__file__).name}: {stale}"


def test_the_reader_sees_circles_and_upward_imports() -> None:
    """The graph reader itself: a circle made of a lazy import and a TYPE_CHECKING import is found, and so is an
    upward one (the shape of the rules/base <-> rules/findings circle this test was written against)."""
    graph = {"contract.a": {"rules.b"}, "rules.b": {"rules.c"}, "rules.c": {"rules.b"}, "store.x": set()}
    assert _circles(graph) == [frozenset({"rules.b", "rules.c"})]
    assert _upward(graph) == [("contract.a", "rules.b")]
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .findings import Finding\n"
        "def f():\n    from ..store import tables as t\n"
        "from . import base\nimport inclusive_check.ruleset\n"
    )
    known = {"rules.findings", "rules.base", "store", "store.tables", "ruleset"}
    targets = {
        target
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in _targets("rules.x", False, node, known)
    }
    assert targets == {"rules.findings", "store.tables", "rules.base", "ruleset"}
