"""Problems found in the input, and the exceptions that carry them to the command line.

A problem names where it is (sheet, Excel row, column) and says what is wrong and
what was found, as MODEL.md §9 asks: ``sheet, row, column: what is wrong (found)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from optimizer.workbook import contract


def _sheet_rank(sheet: str) -> int:
    names = [s.name for s in contract.SHEETS]
    return names.index(sheet) if sheet in names else len(names)


def _column_rank(sheet: str, column: str | None) -> int:
    if column is None:
        return -1
    for candidate in contract.SHEETS:
        if candidate.name == sheet:
            names = candidate.column_names
            return names.index(column) if column in names else len(names)
    return 0


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning) in the input.

    ``row`` is the row number Excel shows (the header is row 1); ``None`` for
    problems of a whole sheet or file.
    """

    sheet: str
    row: int | None
    column: str | None
    message: str
    found: str | None = None

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(self.column)
        text = f"{', '.join(where)}: {self.message}"
        return f"{text} ({self.found})" if self.found is not None else text

    def sort_key(self) -> tuple[int, str, int, int, str]:
        """Contract sheet order, then row, then contract column order."""
        return (
            _sheet_rank(self.sheet),
            self.sheet,
            -1 if self.row is None else self.row,
            _column_rank(self.sheet, self.column),
            self.message,
        )


@dataclass(slots=True)
class Problems:
    """Collects errors and warnings during one pass over the input."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(
        self, sheet: str, row: int | None, column: str | None, message: str,
        found: object = None,
    ) -> None:
        """Record an error: the input cannot be used."""
        self.errors.append(Problem(sheet, row, column, message, _show(found)))

    def warn(
        self, sheet: str, row: int | None, column: str | None, message: str,
        found: object = None,
    ) -> None:
        """Record a warning: worth knowing, never blocking."""
        self.warnings.append(Problem(sheet, row, column, message, _show(found)))

    def sorted_errors(self) -> list[Problem]:
        return sorted(set(self.errors), key=Problem.sort_key)

    def sorted_warnings(self) -> list[Problem]:
        return sorted(set(self.warnings), key=Problem.sort_key)


def _show(found: object) -> str | None:
    """A found value as the message quotes it."""
    if found is None:
        return None
    if isinstance(found, float) and found.is_integer() and abs(found) < 1e15:
        return str(int(found))
    return str(found)


class InputError(Exception):
    """The input cannot be used; carries every error found, in order."""

    def __init__(self, errors: Sequence[Problem], warnings: Sequence[Problem] = (), *,
                 strict: bool = False) -> None:
        self.errors = tuple(errors)
        self.warnings = tuple(warnings)
        self.strict = strict  # --strict: the errors include what would be warnings
        super().__init__("\n".join(str(p) for p in self.errors))


class NotSolvedError(Exception):
    """The model has no optimal solution; the message says why in plain words."""


class ResultsNotWrittenError(Exception):
    """A plan was solved but its results could not be written; the message says what
    failed and where the solution is kept (exit status 1)."""


class KeptSolutionError(Exception):
    """A folder given to ``optimizer report`` holds no kept solution this optimizer can
    read, or one that does not match its input (exit status 2)."""


class FilesRefusedError(Exception):
    """The files a run would write clash with the input, with each other, or with a file
    that is not a run's; or their folder cannot take them. Raised before reading."""


class NotAWorkbookError(Exception):
    """The input file is not an ``.xlsx`` workbook the optimizer can read."""


class NotAnInputError(NotAWorkbookError):
    """The input file is a workbook, but not an input workbook: results, a sweep grid or
    comparison, or a template never filled in (exit status 2, one sentence)."""


def render(problems: Iterable[Problem]) -> str:
    """One problem per line."""
    return "\n".join(str(p) for p in problems)
