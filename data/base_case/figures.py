"""Public figures read from ``data/sources/*.csv``, each keeping its source row."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # data/
SOURCES = HERE / "sources"
DEFAULT_OUTPUT = HERE / "base_case.xlsx"

Record = dict[str, object]

# ================================================================ figures and their sources


@dataclass(frozen=True, slots=True)
class Figure:
    """A cell value together with where it comes from (one row of the ``sources`` sheet)."""

    value: float | int | str
    unit: str
    source: str
    url: str
    derivation: str


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a CSV in ``data/sources``; ``line`` counts the header as line 1."""

    file: str
    line: int
    fields: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.fields[column]

    def number(self, column: str) -> float:
        return float(self.fields[column])

    def cite(self) -> str:
        return f"data/sources/{self.file} line {self.line}"

    def url(self) -> str:
        return first_url(self.fields.get("source", ""))


def first_url(text: str) -> str:
    found = re.search(r"https?://[^\s;,)]+", text)
    return found.group(0).rstrip(".") if found else ""


class PublicFigures:
    """The CSVs of ``data/sources``, read once, looked up by column values."""

    def __init__(self, folder: Path) -> None:
        self.rows: dict[str, list[Row]] = {}
        for path in sorted(folder.glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as handle:
                self.rows[path.name] = [
                    Row(path.name, line, record)
                    for line, record in enumerate(csv.DictReader(handle), start=2)
                ]

    def find(self, file: str, **match: str) -> list[Row]:
        return [
            row for row in self.rows[file]
            if all(row.fields[column] == value for column, value in match.items())
        ]

    def one(self, file: str, **match: str) -> Row:
        found = self.find(file, **match)
        if len(found) != 1:
            raise LookupError(f"{file}: {len(found)} rows match {match}")
        return found[0]


def cited(rows: Iterable[Row]) -> tuple[str, str]:
    """The ``source`` and ``url`` cells for figures read from ``rows``."""
    rows = list(rows)
    files: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        files[row.file].append(row.line)
    source = "; ".join(
        f"data/sources/{file} line{'s' if len(lines) > 1 else ''} "
        + ", ".join(str(n) for n in sorted(set(lines)))
        for file, lines in files.items()
    )
    texts = [row.fields.get("source", "") for row in rows]
    origin = texts[0].split(";")[0] if texts else ""
    urls = list(dict.fromkeys(u for u in (first_url(t) for t in texts) if u))
    return f"{source} ({origin})" if origin else source, " ; ".join(urls[:3])
