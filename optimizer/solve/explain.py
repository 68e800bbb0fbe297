"""Plain-word explanations of a model HiGHS could not solve (MODEL.md §9).

For an infeasible model, every member of HiGHS's irreducible infeasible subset (rows
and variable bounds) is named as MODEL.md names it, with its stockpile, facility,
route, region, mineral, period and scenarios spelled out. The words and sections are
those of the component that declared the block (its
:class:`~optimizer.model.component.Rows` and :class:`~optimizer.model.component.Columns`
descriptors); a block no component describes (a user's constraint) is named by its
block name and key.
"""

from __future__ import annotations

from typing import Any

from optimizer.model import descriptors
from optimizer.model.component import Context, Descriptors
from optimizer.model.derive import Derived
from optimizer.solve.highs import CompiledLP, Solution


class _Namer:
    """Turns (component, index) pairs into sentences, in the words of the component
    that declared the block (:mod:`optimizer.model.component`)."""

    def __init__(self, derived: Derived, lp: CompiledLP, described: Descriptors) -> None:
        self.context = Context.for_explanations(derived)
        self.lp = lp
        self.described = described

    def row(self, name: str, key: Any) -> str:
        """What the row requires, and its section (its block name when undescribed)."""
        rows = self.described.rows.get(name)
        text = rows.explain(self.context, key) if rows and rows.explain else f"{name}[{key}]"
        return f"{text} [{rows.section if rows else name}]"

    def column(self, name: str, key: Any, index: int, bound: str) -> str:
        """What limits the column on the side ``bound``, and its section."""
        limit = self.lp.col_upper[index] if bound == "upper" else self.lp.col_lower[index]
        columns = self.described.columns.get(name)
        if columns is None or columns.explain is None:
            return f"{name}[{key}] {bound} bound {limit}"
        return f"{columns.explain(self.context, key, limit, bound)} [{columns.section}]"


def explain_infeasible(derived: Derived, lp: CompiledLP, solution: Solution) -> list[str]:
    """One line per member of the irreducible infeasible subset (empty if none came)."""
    namer = _Namer(derived, lp, descriptors())
    lines = []
    for index, _bound in solution.iis_rows:
        name, key = lp.layout.locate_row(index)
        lines.append(namer.row(name, key))
    for index, bound in solution.iis_columns:
        if bound == "free":
            continue
        name, key = lp.layout.locate_column(index)
        for side in ("lower", "upper") if bound == "both" else (bound,):
            if side == "lower" and lp.col_lower[index] == 0.0 and name != "level":
                continue  # non-negativity speaks for itself
            lines.append(namer.column(name, key, index, side))
    return lines


def not_solved_message(derived: Derived, lp: CompiledLP, solution: Solution) -> str:
    """What went wrong, in plain words, for the command line and the log."""
    status = solution.status
    if status in ("infeasible", "infeasible or unbounded"):
        lines = explain_infeasible(derived, lp, solution)
        head = "No plan satisfies every constraint: the model is infeasible."
        if not lines:
            return head + " HiGHS found no irreducible infeasible subset to show."
        return (
            head + " These cannot all hold together (an irreducible infeasible subset; "
            "[§…] is the section of docs/model.md):\n"
            + "\n".join(f"  - {line}" for line in lines)
        )
    if status == "unbounded":
        return "The model is unbounded: some cost can fall without limit; check for negative costs."
    if status == "time_limit":
        return "The time limit ran out before an optimal plan was found; allow more time " \
               "(--time-limit) and run again."
    return f"HiGHS stopped without an optimal plan ({solution.message})."
