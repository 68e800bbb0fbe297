"""The package's layout: arrows point one way (LAYOUT.md, docs/design.md).

The results are pure tables from arrays: nothing under ``optimizer/results`` imports
Pyomo or the writers of ``optimizer/report``, so a report can never reach back into
the modelling objects and the tables never depend on how they are written.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "optimizer"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_results_import_neither_pyomo_nor_the_writers() -> None:
    modules = sorted((PACKAGE / "results").glob("*.py"))
    assert len(modules) >= 10
    for module in modules:
        for name in _imports(module):
            assert not name.startswith("pyomo"), f"{module.name} imports {name}"
            assert not name.startswith("optimizer.report"), f"{module.name} imports {name}"


def test_writers_compute_nothing_from_the_model() -> None:
    for module in sorted((PACKAGE / "report").glob("*.py")):
        for name in _imports(module):
            assert not name.startswith(("pyomo", "optimizer.model")), \
                f"{module.name} imports {name}"
