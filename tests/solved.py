"""Results of solved cases for the tests: complete tables, and workbooks as written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.pipeline import Outcome
from optimizer.report import xlsx
from optimizer.results import Provenance, Results, collect


def collected(outcome: Outcome, input_path: Path | str = "case.xlsx", sha: str = "sha",
              seconds: float = 0.0, **options: object) -> Results:
    """Every results table of an optimal outcome."""
    return collect(outcome, Provenance(input_path, sha, seconds), **options)  # type: ignore[arg-type]


def complete_tables(outcome: Outcome, input_path: Path | str = "case.xlsx", sha: str = "sha",
                    seconds: float = 0.0) -> dict[str, pd.DataFrame]:
    """Every sheet complete and per scenario (detail sheets with their zero rows), as
    MODEL.md §8 declares them."""
    return collected(outcome, input_path, sha, seconds).complete()


def write_workbook(results: Results, path: Path, input_path: Path | str | None = None) -> Path:
    """The results workbook as ``optimizer run`` writes it (detail sheets in their form)."""
    return xlsx.write(results.workbook(), path, input_path=input_path,
                      forms={name: form.sheet for name, form in results.forms.items()})
