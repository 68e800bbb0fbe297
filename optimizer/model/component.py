"""What a model component is, in one place: its build step and how its blocks are named.

A :class:`Component` is one concept of MODEL.md (supply, trade, a mandate, …): the
``define(program, indices, terms)`` that declares its blocks, and a descriptor for each
block it declares. A block's descriptor carries its MODEL.md section and the component's
own words for it: what an infeasibility explanation says of a row or a bound
(:mod:`optimizer.solve.explain`), and what the ``sensitivity`` sheet says of a binding limit
(:mod:`optimizer.results.sensitivity`). A component also declares the cost components
of MODEL.md §7 it adds, with their meaning, which the results' accounting and read_me
show, and what it reports (:class:`Reported`): the columns it adds to the detail tables
of §8, its ``summary`` figures, its headlines and its chart series, each computed from
the solution by block name or from the complete results sheets. Readers iterate over
the components that :mod:`optimizer.model` lists instead of keeping tables of their
own, so adding an instrument adds a module, not a tour of the package (docs/design.md,
"Adding an instrument").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from optimizer.data import Facility, Stockpile
from optimizer.model.derive import Derived

if TYPE_CHECKING:  # the build step's types; the descriptors themselves need none of them
    from optimizer.model.indices import Indices
    from optimizer.model.program import Program
    from optimizer.model.terms import Terms

Define = Callable[["Program", "Indices", "Terms"], None]


def amount(value: float) -> str:
    """A quantity as the words write it: six significant digits, thousands separated."""
    return f"{value:,.6g}"


@dataclass(frozen=True)
class Context:
    """What the words are written from: the derived data, and how the reader places a
    node (explanations write ``period P (scenarios a, b)``, the sensitivity sheet
    ``period P, scenarios a, b``)."""

    derived: Derived
    parenthesised: bool = True

    @classmethod
    def for_explanations(cls, derived: Derived) -> Context:
        return cls(derived, parenthesised=True)

    @classmethod
    def for_sheet(cls, derived: Derived) -> Context:
        return cls(derived, parenthesised=False)

    @property
    def currency(self) -> str:
        return self.derived.data.settings.currency

    @cached_property
    def facilities(self) -> dict[str, Facility]:
        return {f.facility: f for f in self.derived.data.facilities}

    @cached_property
    def stockpiles(self) -> dict[str, Stockpile]:
        return {s.stockpile: s for s in self.derived.data.stockpiles}

    def scenarios(self, node: int) -> str:
        """``all scenarios`` on the trunk, else ``scenario a`` or ``scenarios a, b``."""
        tree = self.derived.tree
        through = tree.nodes[node].scenarios
        if len(through) == len(tree.paths):
            return "all scenarios"
        return ("scenario " if len(through) == 1 else "scenarios ") + ", ".join(through)

    def when(self, node: int) -> str:
        """The node's period and scenarios, as this reader writes them (each node's
        words made once: a sheet names the same nodes thousands of times)."""
        found = self._when.get(node)
        if found is None:
            period = self.derived.data.periods[self.derived.tree.nodes[node].period].period
            who = self.scenarios(node)
            found = self._when[node] = (f"period {period} ({who})" if self.parenthesised
                                        else f"period {period}, {who}")
        return found

    @cached_property
    def _when(self) -> dict[int, str]:
        return {}


class Binding(Protocol):
    """A binding limit as the sensitivity sheet found it: a row (else a column's bound),
    its key in the Layout, and its dual (a bound's reduced cost)."""

    @property
    def key(self) -> Any: ...

    @property
    def row(self) -> bool: ...

    @property
    def dual(self) -> float: ...


RowWords = Callable[[Context, Any], str]  # (context, row key) -> what the row requires
BoundWords = Callable[[Context, Any, float, str], str]  # (…, column key, limit, side)
LimitWords = Callable[[Context, Binding], str]  # the ``what`` cell of the sensitivity sheet


@dataclass(frozen=True, slots=True)
class Limit:
    """A kind of limit the sensitivity sheet shows where it binds: its section, its
    words, and the unit of its right-hand side."""

    kind: str  # e.g. "capacity"; the sheet's rows come grouped by kind
    section: str  # e.g. "§6.1 capacity"
    words: LimitWords
    money: bool = False  # the right-hand side is money (a budget), else tonnes
    nonnegative: bool = True  # its right-hand side is never below 0 (a capacity, a budget)


@dataclass(frozen=True, slots=True)
class Rows:
    """A constraint block a component declares: its name in the Layout, its section, its
    words for an infeasible subset, and the limit it is on the sensitivity sheet (none:
    the sheet leaves it out)."""

    name: str
    section: str
    explain: RowWords | None = None
    limit: Limit | None = None


@dataclass(frozen=True, slots=True)
class Columns:
    """A variable block a component declares: its name, the section of its bounds, its
    words for a bound in an infeasible subset (the section is appended), and the limits
    its upper bounds stand for on the sensitivity sheet."""

    name: str
    section: str
    explain: BoundWords | None = None
    limits: tuple[Limit, ...] = ()


@dataclass(frozen=True, slots=True)
class Cost:
    """A cost component of MODEL.md §7: its name on the results (a ``summary`` figure, a
    ``scenarios`` column) and what it sums. A first-stage cost is decided once for all
    scenarios (capex); the results list the others first, in the order of the
    components, then the first-stage ones."""

    name: str
    meaning: str
    first_stage: bool = False


# ---------------------------------------------------------------- what a component reports


class Weighted(Protocol):
    """The scenario tree as the results read it: π_n × δ_t by node."""

    @property
    def weight(self) -> np.ndarray: ...


class SolvedBlocks(Protocol):
    """What a component's result extraction reads of an optimal solution (the results'
    ``tables.Solved``): values and duals of a block by name, with their keys."""

    @property
    def derived(self) -> Derived: ...

    @property
    def tree(self) -> Weighted: ...

    def values(self, name: str) -> np.ndarray: ...

    def duals(self, name: str) -> np.ndarray: ...

    def column_keys(self, name: str, width: int) -> tuple[Any, ...]: ...

    def row_keys(self, name: str, width: int) -> tuple[Any, ...]: ...


Sheets = Mapping[str, pd.DataFrame]  # results sheets by name, complete and per scenario
TableColumnsOf = Callable[[SolvedBlocks, pd.DataFrame], Mapping[str, np.ndarray]]
FiguresOf = Callable[[SolvedBlocks], Mapping[str, float]]


@dataclass(frozen=True, slots=True)
class TableColumns:
    """Columns a component adds to a detail table of MODEL.md §8 (declared in the
    results contract): ``compute(solved, table)`` gives each, aligned with the rows of
    the table in node form (``node`` in place of ``scenario``); the results clear
    solver noise from them. In the expected-values form of the sheet a *quantity* is
    summed with probabilities, a *mean* averaged where it is not blank."""

    sheet: str  # e.g. "shortfalls"
    compute: TableColumnsOf
    quantities: tuple[str, ...] = ()
    means: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.quantities, *self.means)


@dataclass(frozen=True, slots=True)
class Finding:
    """A headline a component adds: the sentence, its main number, the number's unit
    and the sheet to check it on."""

    headline: str
    figure: float
    unit: str
    sheet: str


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One chart a component adds to the ``charts`` sheet: its kind (declared in the
    results contract), the mineral it is of, and its values by (scenario, period); the
    shown scenarios are its series, the periods its categories."""

    kind: str
    mineral: str
    values: pd.Series


HeadlinesOf = Callable[[Derived, Sheets], list[Finding]]
ChartsOf = Callable[[Derived, Sheets], list[ChartSeries]]


def _no_figures(solved: SolvedBlocks) -> Mapping[str, float]:
    return {}


def _no_findings(derived: Derived, sheets: Sheets) -> list[Finding]:
    return []


def _no_charts(derived: Derived, sheets: Sheets) -> list[ChartSeries]:
    return []


@dataclass(frozen=True, slots=True)
class Reported:
    """What a component reports beside the results of §8 every case has: columns on
    the detail tables, ``summary`` figures (by the names the results contract declares),
    headlines (read after the largest shortfall's) and charts (after every mineral's
    own). Headlines and charts are built from the complete sheets, per scenario."""

    columns: tuple[TableColumns, ...] = ()
    figures: FiguresOf = _no_figures
    headlines: HeadlinesOf = _no_findings
    charts: ChartsOf = _no_charts


@dataclass(frozen=True, slots=True)
class Component:
    """One concept of the model: its build step and the descriptors of what it declares
    and reports."""

    name: str
    define: Define
    rows: tuple[Rows, ...] = ()
    columns: tuple[Columns, ...] = ()
    costs: tuple[Cost, ...] = ()
    reported: Reported = field(default_factory=Reported)


def table_columns(components: tuple[Component, ...], sheet: str) -> tuple[TableColumns, ...]:
    """The columns ``components`` add to the detail table ``sheet``, in component order;
    a column added twice is an error."""
    found = tuple(c for component in components for c in component.reported.columns
                  if c.sheet == sheet)
    names = [n for c in found for n in c.names]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{sheet}: result columns added twice: {', '.join(twice)}")
    return found


def number(value: float) -> str:
    """A number as a headline shows it: billions and millions with two decimals,
    whole numbers from 100, else one or two decimals; what rounds to nothing is 0."""
    size = abs(value)
    if size < 0.005:
        return "0"
    if size >= 1e9:
        return f"{value / 1e9:,.2f} billion"
    if size >= 1e6:
        return f"{value / 1e6:,.2f} million"
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def largest(frame: pd.DataFrame, column: str) -> dict[str, Any]:
    """The first row with the largest ``column`` (found without reading every row)."""
    values = frame[column].to_numpy(dtype=float)
    position = int(np.argmax(np.where(np.isnan(values), -np.inf, values)))
    return {str(k): v for k, v in frame.iloc[position].items()}


def cost_components(components: tuple[Component, ...]) -> tuple[Cost, ...]:
    """The cost components the ``components`` declare: operating costs in component
    order, then the first-stage ones; a name declared twice is an error."""
    costs = [c for component in components for c in component.costs]
    names = [c.name for c in costs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"cost components declared twice: {', '.join(twice)}")
    return (*(c for c in costs if not c.first_stage), *(c for c in costs if c.first_stage))


@dataclass(frozen=True, slots=True)
class Descriptors:
    """Every block's descriptor of a list of components, by block name and limit kind."""

    rows: dict[str, Rows]
    columns: dict[str, Columns]
    limits: dict[str, Limit]  # by kind, in order of declaration

    @classmethod
    def of(cls, components: tuple[Component, ...]) -> Descriptors:
        """The descriptors of ``components``; a block described twice is an error."""
        rows = _unique("constraint", [r for c in components for r in c.rows])
        columns = _unique("variable", [v for c in components for v in c.columns])
        limits: dict[str, Limit] = {}
        for component in components:
            for block in component.rows:
                if block.limit is not None:
                    limits.setdefault(block.limit.kind, block.limit)
            for variables in component.columns:
                for limit in variables.limits:
                    limits.setdefault(limit.kind, limit)
        return cls(rows, columns, limits)


def _unique(what: str, blocks: list[Any]) -> dict[str, Any]:
    by_name: dict[str, Any] = {}
    for block in blocks:
        if block.name in by_name:
            raise ValueError(f"two components describe the {what} block {block.name!r}")
        by_name[block.name] = block
    return by_name
