"""Shared checks for the workbooks committed under data/ and the scripts that build them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import openpyxl
from openpyxl.workbook.workbook import Workbook

DATA = Path(__file__).resolve().parent.parent / "data"


def builder(name: str) -> ModuleType:
    """The builder script ``data/<name>.py``, imported once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def cells(workbook: Workbook, title: str) -> list[tuple[object, ...]]:
    """A sheet's values, row by row."""
    return [tuple(row) for row in workbook[title].iter_rows(values_only=True)]


def assert_same_content(committed: Workbook, built_path: Path, rebuild: str) -> None:
    """The committed workbook holds exactly what the builder writes, sheet by sheet."""
    built = openpyxl.load_workbook(built_path)
    assert committed.sheetnames == built.sheetnames, f"stale; rebuild with: {rebuild}"
    for title in built.sheetnames:
        assert cells(committed, title) == cells(built, title), (
            f"sheet {title} differs; rebuild with: {rebuild}"
        )
