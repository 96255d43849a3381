"""Reports only render: no module of reports/ nor results.py imports the rules package or the store's tables, at
the top or inside a function. What they show of a rule comes from the run's stored texts (run_texts), what they read
of the database through the results read model (store/run_reads.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import inclusive_check

PACKAGE = Path(inclusive_check.__file__).parent
RENDERERS = sorted([*(PACKAGE / "reports").glob("*.py"), PACKAGE / "results.py"])
FORBIDDEN = ("inclusive_check.rules", "inclusive_check.store.tables")


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module ``path`` (a module of the package at ``root``) imports, by its absolute name; ``from X import
    y`` names both X and X.y (y may be a module: ``from ..store import tables``)."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN))


@pytest.mark.parametrize("path", RENDERERS, ids=lambda p: p.name)
def test_reports_and_results_import_neither_rules_nor_tables(path: Path) -> None:
    assert _forbidden(imported(path)) == [], f"{path.relative_to(PACKAGE)} reads what only the run's texts hold"


def test_the_walk_sees_every_form_of_import(tmp_path: Path) -> None:
    """The check above can fail: each way of writing the forbidden imports is caught."""
    reports = tmp_path / "inclusive_check" / "reports"
    reports.mkdir(parents=True)
    for i, line in enumerate(
        [
            "from .. import rules",
            "from ..rules.base import number",
            "from ..store import tables as t",
            "import inclusive_check.store.tables",
            "def f():\n    from inclusive_check.rules import get\n",
        ]
    ):
        module = reports / f"m{i}.py"
        module.write_text(line + "\n", encoding="utf-8")
        assert _forbidden(imported(module, tmp_path / "inclusive_check")), line
    allowed = reports / "ok.py"
    allowed.write_text("from ..store import run_reads\nfrom ..run_texts import RunTexts\n", encoding="utf-8")
    assert _forbidden(imported(allowed, tmp_path / "inclusive_check")) == []
