"""Solving: the model's declarations assembled into matrices and handed to HiGHS.

:func:`compile_program` assembles the sparse matrices directly from the blocks the
model declared (:mod:`optimizer.model.program`); :func:`compile_model` does the same
for any Pyomo model through Pyomo's linear standard-form compiler (the check that the
two agree, and models built elsewhere). HiGHS (highspy) solves the matrices; primal
values and duals come back as arrays in column and row order, and :class:`Layout`
maps them to the model's own indices by position, never by object look-ups. This
module is the one place that knows the solver, so it can change (a persistent
interface, a cluster) without touching the model.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from optimizer import stopping
from optimizer.model.program import Program
from optimizer.model.terms import CostIndex

log = logging.getLogger(__name__)

# HiGHS drops matrix coefficients at or below this (its ``small_matrix_value``).
SMALL_MATRIX_VALUE = 1e-9

PROGRESS_INTERVAL_S = 2.0  # how often a progress listener hears from the solve

# HiGHS fixes its thread pool on the first solve of a process.
_threads_in_use: int | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """One Pyomo component's slice of the columns (or rows): its keys in order."""

    name: str
    start: int
    keys: tuple[Any, ...]
    # The keys as columns, one array per part of a key (names as pd.Categorical, node
    # ids and tiers as integers), when the builder has them at hand; else None and
    # readers split ``keys`` themselves (see :func:`key_columns`).
    columns: tuple[Any, ...] | None = None

    @property
    def stop(self) -> int:
        return self.start + len(self.keys)


def key_columns(block: Block, width: int) -> tuple[Any, ...]:
    """A block's keys as ``width`` columns (arrays), one per part of a key."""
    if block.columns is not None:
        return block.columns
    if not block.keys:
        return tuple(np.zeros(0, dtype=object) for _ in range(width))
    if width == 1:
        return (np.asarray(block.keys, dtype=object),)
    return tuple(np.asarray(part) if isinstance(part[0], int | np.integer)
                 else np.asarray(part, dtype=object)
                 for part in zip(*block.keys, strict=True))


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each variable and constraint component sits among columns and rows."""

    columns: tuple[Block, ...]
    rows: tuple[Block, ...]
    row_sense: np.ndarray  # +1 for ≤, −1 for ≥, 0 for = (HiGHS's own row bounds)

    def column_block(self, name: str) -> Block | None:
        return next((b for b in self.columns if b.name == name), None)

    def row_block(self, name: str) -> Block | None:
        return next((b for b in self.rows if b.name == name), None)

    def locate_column(self, index: int) -> tuple[str, Any]:
        return _locate(self.columns, index)

    def locate_row(self, index: int) -> tuple[str, Any]:
        return _locate(self.rows, index)


def _locate(blocks: Sequence[Block], index: int) -> tuple[str, Any]:
    for block in blocks:
        if block.start <= index < block.stop:
            return block.name, block.keys[index - block.start]
    raise IndexError(index)


@dataclass(frozen=True, slots=True)
class CompiledLP:
    """The model as matrices: min c·x + offset, row_lower ≤ A x ≤ row_upper, bounds on x."""

    cost: np.ndarray
    offset: float
    matrix: Any  # scipy.sparse.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    layout: Layout
    costs: CostIndex = field(default_factory=CostIndex.empty)  # where §7's cost terms sit

    @property
    def size(self) -> tuple[int, int]:
        return int(self.matrix.shape[1]), int(self.matrix.shape[0])


@dataclass(frozen=True, slots=True)
class SolverOptions:
    time_limit_s: float | None = None
    threads: int | None = None
    log_file: Path | None = None
    ranging: bool = False  # also compute HiGHS's ranging of an optimal solution
    # Told (iterations, objective) every PROGRESS_INTERVAL_S seconds during the solve.
    progress: Callable[[int, float], None] | None = None
    # Any other HiGHS options, (name, value as text), set in order after the pinned
    # ones; checked beforehand by optimizer.solve.options.
    extra: tuple[tuple[str, str], ...] = ()
    # the run's deadline (time.monotonic()): the solve gets what is left of it
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class Bounds:
    """A decomposition engine's bounds on the optimum (progressive hedging's): the
    solution reported is implementable, its objective the upper bound."""

    lower: float
    upper: float
    gap: float  # relative: (upper − lower) / |upper|
    iterations: int


@dataclass(slots=True)
class Solution:
    """What HiGHS returned. ``values`` and ``duals`` are ``None`` unless optimal."""

    status: str  # optimal, infeasible, unbounded, time_limit, …
    message: str  # HiGHS's model status in words
    objective: float | None
    values: np.ndarray | None
    duals: np.ndarray | None
    solve_seconds: float
    iis_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, "lower"/"upper")
    iis_columns: list[tuple[int, str]] = field(default_factory=list)
    # Ranging (only when asked for, and optimal): for a row or column bound that is
    # active in the optimal basis, the (lower, upper) values its right-hand side or
    # bound can take, alone, before the basis changes, so over which its dual (the
    # reduced cost for a column) holds. Meaningless for basic rows and columns.
    reduced_costs: np.ndarray | None = None
    rhs_ranges: np.ndarray | None = None  # (rows, 2), in row order
    bound_ranges: np.ndarray | None = None  # (columns, 2), in column order
    # What the solver printed to standard output itself during the solve, rather than
    # to HiGHS's log (cuPDLP-C, HiGHS's PDLP, does so): kept for the run's log.
    printed: str = ""
    # HiGHS's largest primal and dual infeasibility of the solution returned, in the
    # model's own units (NaN when HiGHS gives none)
    max_primal_infeasibility: float = float("nan")
    max_dual_infeasibility: float = float("nan")
    bounds: Bounds | None = None  # set by progressive hedging (optimizer.solve.hedging)

    def value_map(self, layout: Layout, name: str) -> dict[Any, float]:
        """A variable component's values by its keys (empty when it has none)."""
        block = layout.column_block(name)
        if block is None or self.values is None:
            return {}
        return dict(zip(block.keys, self.values[block.start : block.stop].tolist(), strict=True))

    def dual_map(self, layout: Layout, name: str) -> dict[Any, float]:
        """A constraint component's duals by its keys (empty when it has none)."""
        block = layout.row_block(name)
        if block is None or self.duals is None:
            return {}
        return dict(zip(block.keys, self.duals[block.start : block.stop].tolist(), strict=True))


def compile_program(program: Program) -> CompiledLP:
    """The matrices of the declared program, columns and rows in declaration order.

    Zero coefficients are left out (as Pyomo's compiler leaves them out), and each
    column's row indices are sorted.
    """
    width, height = program.columns, program.rows
    rows = [b.row + b.start for b in program.constraints]
    columns = [b.column for b in program.constraints]
    values = [b.coefficient for b in program.constraints]
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    column = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    value = np.concatenate(values) if values else np.zeros(0)
    kept = value != 0.0
    matrix = sp.csc_array((value[kept], (row[kept], column[kept])), shape=(height, width))
    matrix.sum_duplicates()
    sense = np.concatenate([np.full(len(b.keys), b.sense, dtype=np.int8)
                            for b in program.constraints]) if program.constraints \
        else np.zeros(0, dtype=np.int8)
    rhs = np.concatenate([b.rhs for b in program.constraints]) if program.constraints \
        else np.zeros(0)
    layout = Layout(
        columns=tuple(Block(b.name, b.start, b.keys, b.key_columns)
                      for b in program.variables),
        rows=tuple(Block(b.name, b.start, b.keys, b.key_columns) for b in program.constraints),
        row_sense=sense,
    )
    lower = np.where(sense <= 0, rhs, -np.inf)
    upper = np.where(sense >= 0, rhs, np.inf)
    col_lower = np.concatenate([b.lower for b in program.variables]) if program.variables \
        else np.zeros(0)
    col_upper = np.concatenate([b.upper for b in program.variables]) if program.variables \
        else np.zeros(0)
    _warn_tiny(matrix)
    return CompiledLP(np.array(program.cost, dtype=float), float(program.offset), matrix,
                      lower, upper, col_lower, col_upper, layout, program.costs)


def compile_model(model: Any) -> CompiledLP:
    """Compile any Pyomo model to matrices with Pyomo's linear standard-form compiler,
    columns and rows in component and index order (no cost index)."""
    import pyomo.environ as pyo
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    variables = list(model.component_objects(pyo.Var, active=True, descend_into=True))
    constraints = list(model.component_objects(pyo.Constraint, active=True, descend_into=True))
    column_order = [v for component in variables for v in component.values()]
    row_order = [c for component in constraints for c in component.values()]
    info = LinearStandardFormCompiler().write(
        model, mixed_form=True, column_order=column_order, row_order=row_order
    )
    positions = _column_positions(info.columns, column_order)
    if len(info.rows) != len(row_order) or any(
        r.constraint is not c for r, c in zip(info.rows, row_order, strict=True)
    ):
        raise RuntimeError("the compiled rows are not in the model's order (empty row?)")
    layout = Layout(
        columns=_blocks(variables),
        rows=_blocks(constraints),
        row_sense=np.fromiter((r.bound_type for r in info.rows), dtype=np.int8,
                              count=len(info.rows)),
    )
    rhs = np.asarray(info.rhs, dtype=float)
    sense = layout.row_sense
    lower = np.where(sense <= 0, rhs, -np.inf)
    upper = np.where(sense >= 0, rhs, np.inf)
    bounds = [(v.lb, v.ub) for v in column_order]
    col_lower = np.array([-np.inf if lb is None else lb for lb, _ in bounds], dtype=float)
    col_upper = np.array([np.inf if ub is None else ub for _, ub in bounds], dtype=float)
    compiled_cost = np.asarray(info.c.todense(), dtype=float).ravel() if info.c.shape[0] \
        else np.zeros(len(info.columns))
    cost = np.zeros(len(column_order))
    cost[positions] = compiled_cost
    matrix = _widen(info.A.tocsc(), positions, len(column_order))
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    _warn_tiny(matrix)
    return CompiledLP(cost, offset, matrix, lower, upper, col_lower, col_upper, layout)


def _column_positions(compiled: Sequence[Any], order: Sequence[Any]) -> np.ndarray:
    """Where each compiled column sits in the model's order.

    The compiler leaves out a variable that appears in no row and not in the objective
    (a free expansion that can never run, say); such a column comes back empty, so the
    Layout stays the model's own order.
    """
    if len(compiled) == len(order) and all(a is b for a, b in zip(compiled, order, strict=True)):
        return np.arange(len(order))
    index = {id(v): j for j, v in enumerate(order)}
    positions = np.fromiter((index[id(v)] for v in compiled), dtype=np.int64, count=len(compiled))
    if np.any(np.diff(positions) <= 0):
        raise RuntimeError("the compiled columns are not in the model's order")
    return positions


def _widen(matrix: Any, positions: np.ndarray, width: int) -> Any:
    """The matrix with its columns moved to ``positions`` among ``width`` columns."""
    if matrix.shape[1] == width:
        return matrix
    counts = np.zeros(width + 1, dtype=np.int64)
    counts[positions + 1] = np.diff(matrix.indptr)
    indptr = np.cumsum(counts)
    return type(matrix)((matrix.data, matrix.indices, indptr), shape=(matrix.shape[0], width))


def _blocks(components: Sequence[Any]) -> tuple[Block, ...]:
    blocks, start = [], 0
    for component in components:
        keys = tuple(component.keys())
        blocks.append(Block(component.local_name, start, keys))
        start += len(keys)
    return tuple(blocks)


def _warn_tiny(matrix: Any) -> None:
    data = np.abs(matrix.data)
    tiny = int(np.count_nonzero((data > 0) & (data <= SMALL_MATRIX_VALUE)))
    if tiny:
        log.warning(
            "%d matrix coefficient(s) at or below %g would be dropped by HiGHS; "
            "check the units of the input", tiny, SMALL_MATRIX_VALUE,
        )


def new_highs() -> highspy.Highs:
    """A HiGHS instance, without the banner HiGHS prints to standard output on the
    first construction in a process (it would mix into the command's own output)."""
    with open(os.devnull, "w") as devnull, _standard_output_to(devnull.fileno()):
        return highspy.Highs()  # type: ignore[no-untyped-call]


def instance(lp: CompiledLP, options: SolverOptions) -> highspy.Highs:
    """A HiGHS instance with ``options`` set and ``lp`` passed, not yet run. The thread
    count must stay the same in a process: HiGHS fixes its thread pool at the first
    solve, and asking for another count later breaks the pool (a warning, and the
    count of the first is kept)."""
    global _threads_in_use
    highs = new_highs()
    highs.setOptionValue("output_flag", options.log_file is not None)
    if options.log_file is not None:
        highs.setOptionValue("log_to_console", False)
        highs.setOptionValue("log_file", str(options.log_file))
    highs.setOptionValue("random_seed", 0)
    for name, value in options.extra:  # HiGHS reads the text by the option's type
        if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise ValueError(f"HiGHS refuses {value!r} for its option {name}")
    limit = solve_time_limit(options)
    if limit is not None:
        highs.setOptionValue("time_limit", limit)
    if options.threads is not None:
        if _threads_in_use is not None and _threads_in_use != options.threads:
            log.warning("HiGHS keeps %d threads for the life of the process", _threads_in_use)
        else:
            highs.setOptionValue("threads", int(options.threads))
            _threads_in_use = options.threads
    highs.passModel(highs_lp(lp))
    return highs


MIN_TIME_LIMIT_S = 1e-3  # what HiGHS gets when the deadline has just passed


def solve_time_limit(options: SolverOptions) -> float | None:
    """HiGHS's time limit: the solver's own limit, cut to what is left before the
    run's deadline (at least :data:`MIN_TIME_LIMIT_S`)."""
    limits = [] if options.time_limit_s is None else [float(options.time_limit_s)]
    if options.deadline is not None:
        limits.append(max(options.deadline - time.monotonic(), MIN_TIME_LIMIT_S))
    return min(limits) if limits else None


def highs_lp(lp: CompiledLP) -> highspy.HighsLp:
    """The compiled LP (or anything with its matrices) as HiGHS takes it, column-wise,
    without copying the arrays."""
    model = highspy.HighsLp()
    n_rows, n_cols = lp.matrix.shape
    model.num_col_, model.num_row_ = n_cols, n_rows
    model.col_cost_ = lp.cost
    model.offset_ = lp.offset
    model.col_lower_, model.col_upper_ = lp.col_lower, lp.col_upper
    model.row_lower_, model.row_upper_ = lp.row_lower, lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = lp.matrix.indptr
    model.a_matrix_.index_ = lp.matrix.indices
    model.a_matrix_.value_ = lp.matrix.data
    return model


_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible or unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
}


def solve(lp: CompiledLP, options: SolverOptions) -> Solution:
    """Solve with HiGHS; on infeasibility, also compute an irreducible infeasible subset;
    at an optimum, also the ranging when ``options.ranging`` asks for it."""
    highs = instance(lp, options)
    if options.progress is not None:
        _report_progress(highs, options.progress)
    stopping.interrupting(highs)  # a signal stops HiGHS within an iteration
    return run_instance(highs, ranging=options.ranging)


def run_instance(highs: highspy.Highs, *, ranging: bool = False) -> Solution:
    """Run a HiGHS instance as it stands (its model, options and any basis set on it)
    and read its solution; on infeasibility, also an irreducible infeasible subset."""
    printed: list[str] = []
    with _printed_into(printed):
        started = time.perf_counter()
        highs.run()
        seconds = time.perf_counter() - started
    stopping.checkpoint()
    model_status = highs.getModelStatus()
    status = _STATUS.get(model_status, "error")
    message = highs.modelStatusToString(model_status)
    if status == "optimal":
        solution = highs.getSolution()
        info = highs.getInfo()
        optimum = Solution(
            status, message, float(info.objective_function_value),
            np.asarray(solution.col_value), np.asarray(solution.row_dual), seconds,
            reduced_costs=np.asarray(solution.col_dual), printed="".join(printed),
            max_primal_infeasibility=_infeasibility(info.max_primal_infeasibility),
            max_dual_infeasibility=_infeasibility(info.max_dual_infeasibility),
        )
        if ranging:
            _add_ranging(highs, optimum)
        return optimum
    result = Solution(status, message, None, None, None, seconds, printed="".join(printed))
    if status in ("infeasible", "infeasible or unbounded"):
        _add_iis(highs, result)
    return result


def _infeasibility(value: float) -> float:
    """HiGHS's figure, NaN where it has none (it writes −1 or +∞ then)."""
    value = float(value)
    return value if 0.0 <= value < np.inf else float("nan")


@contextlib.contextmanager
def _printed_into(printed: list[str]) -> Iterator[None]:
    """Standard output into a temporary file while the block runs, its text then
    appended to ``printed``: a solver that prints there itself (cuPDLP-C, whatever
    HiGHS's log options say) would otherwise write into the command's output and
    through the progress line."""
    with tempfile.TemporaryFile() as kept:
        with _standard_output_to(kept.fileno()):
            yield
        kept.seek(0)
        printed.append(kept.read().decode("utf-8", errors="replace"))


@contextlib.contextmanager
def _standard_output_to(target: int) -> Iterator[None]:
    """File descriptor 1, where the solver's C code prints, pointed at ``target``
    while the block runs (nothing changes where there is no standard output)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no standard output to keep clean
        yield
        return
    os.dup2(target, 1)
    try:
        yield
    finally:
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)


def _flush_c_stdio() -> None:
    """Flush the C library's output buffers (a solver's printf), where it can be reached."""
    with contextlib.suppress(OSError, AttributeError, TypeError):  # none that way (Windows)
        ctypes.CDLL(None).fflush(None)


def _report_progress(highs: highspy.Highs, progress: Callable[[int, float], None]) -> None:
    """Tell ``progress`` of HiGHS's iterations and objective now and then: HiGHS calls
    back on every simplex or interior-point iteration, the listener hears of one every
    PROGRESS_INTERVAL_S seconds."""
    last = [time.perf_counter()]

    def tick(event: Any) -> None:
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_INTERVAL_S:
            last[0] = now
            out = event.data_out
            # HiGHS counts −1 before a method starts iterating
            iterations = max(int(out.simplex_iteration_count), int(out.ipm_iteration_count), 0)
            progress(iterations, float(out.objective_function_value))

    highs.cbSimplexInterrupt.subscribe(tick)
    highs.cbIpmInterrupt.subscribe(tick)


def _add_ranging(highs: highspy.Highs, result: Solution) -> None:
    """HiGHS's ranging of the optimal basis; left out, with a warning, when HiGHS has
    none to give (no basis, say)."""
    status, ranging = highs.getRanging()
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        log.warning("HiGHS could not range the solution; the sensitivity ranges stay blank")
        return
    result.rhs_ranges = np.column_stack(
        (np.asarray(ranging.row_bound_dn.value_), np.asarray(ranging.row_bound_up.value_))
    )
    result.bound_ranges = np.column_stack(
        (np.asarray(ranging.col_bound_dn.value_), np.asarray(ranging.col_bound_up.value_))
    )


def _add_iis(highs: highspy.Highs, result: Solution) -> None:
    highs.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp)
                         | int(highspy.IisStrategy.kIisStrategyIrreducible))
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return
    result.iis_rows = [(int(i), _bound_word(b)) for i, b in zip(iis.row_index_, iis.row_bound_,
                                                                 strict=True)]
    result.iis_columns = [(int(i), _bound_word(b)) for i, b in zip(iis.col_index_, iis.col_bound_,
                                                                    strict=True)]


def _bound_word(bound: int) -> str:
    return {2: "lower", 3: "upper", 4: "both"}.get(int(bound), "free")


def write_mps(lp: CompiledLP, path: Path, names: Mapping[str, Sequence[str]]) -> None:
    """Write the LP exactly as solved, in MPS, with readable names.

    The objective constant (take-or-pay payments and other fixed costs) is kept as
    HiGHS writes it: the negated right-hand side of the objective row, which HiGHS and
    most solvers read back as the objective offset.
    """
    highs = instance(lp, SolverOptions())
    for index, name in enumerate(names["columns"]):
        highs.passColName(index, name)
    for index, name in enumerate(names["rows"]):
        highs.passRowName(index, name)
    if highs.writeModel(str(path)) != highspy.HighsStatus.kOk or not path.is_file():
        raise OSError(f"{path}: the model file could not be written")


def names(layout: Layout) -> dict[str, list[str]]:
    """MPS-safe names ``component[key,…]`` for every column and row."""
    return {
        "columns": [_name(b.name, k) for b in layout.columns for k in b.keys],
        "rows": [_name(b.name, k) for b in layout.rows for k in b.keys],
    }


def _name(component: str, key: Any) -> str:
    if key is None:
        return component
    parts = key if isinstance(key, tuple) else (key,)
    text = f"{component}[{','.join(str(p) for p in parts)}]"
    return "".join(c if c.isprintable() and not c.isspace() else "_" for c in text)
