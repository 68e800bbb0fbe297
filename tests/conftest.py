"""Fixtures shared by several test modules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.pipeline import Outcome
from tests.cases import Tables, valid_tables, write_tables
from tests.solved import complete_tables
from tests.test_results import CASES, solve_case

Writer = Callable[..., Path]
Validator = Callable[[Path], tuple[int, list[str]]]

_ERRORS_HEADER = "problem(s) in the input:"


@pytest.fixture
def tables() -> Tables:
    """A fresh copy of the small valid case, free to break."""
    return valid_tables()


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """Write tables to ``input.xlsx`` (or ``name``) in a fresh folder; returns the path."""

    def writer(
        tables: Mapping[str, Sequence[Mapping[str, Any] | None]],
        headers: Mapping[str, Sequence[str]] | None = None,
        name: str = "input.xlsx",
    ) -> Path:
        return write_tables(tmp_path / name, tables, headers)  # type: ignore[arg-type]

    return writer


@pytest.fixture
def validate_cli(capsys: pytest.CaptureFixture[str]) -> Validator:
    """Run ``optimizer validate PATH``; returns the exit status and the error lines
    printed (empty when the input is valid)."""

    def run(path: Path) -> tuple[int, list[str]]:
        capsys.readouterr()
        status = main(["validate", str(path)])
        lines = capsys.readouterr().err.splitlines()
        for index, line in enumerate(lines):
            if line.endswith(_ERRORS_HEADER):
                errors = lines[index + 1 :]
                assert line == f"{len(errors)} {_ERRORS_HEADER}"
                return status, errors
        return status, []

    return run


@pytest.fixture(scope="module", params=list(CASES))
def solved(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Outcome, dict[str, pd.DataFrame]]:
    """Each results test case, solved to optimal, with its results tables."""
    outcome, input_path = solve_case(CASES[request.param](),
                                     tmp_path_factory.mktemp(request.param))
    assert outcome.optimal
    return outcome, complete_tables(outcome, input_path, "sha", 0.0)
