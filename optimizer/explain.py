"""Plain-word explanations of a model HiGHS could not solve (MODEL.md §9).

For an infeasible model, every member of HiGHS's irreducible infeasible subset (rows
and variable bounds) is named as MODEL.md names it, with its stockpile, facility,
route, region, mineral, period and scenarios spelled out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optimizer.derive import Derived
from optimizer.solve import CompiledLP, Solution

_SECTION = {
    "capacity": "§6.1 capacity",
    "take_within_output": "§6.2 offtake",
    "concentrate_balance": "§6.3 concentrate balance",
    "refined_balance": "§6.4 refined balance",
    "stock_balance": "§6.6 stock",
    "export_cap": "§6.8 export cap",
    "stockpile_budget": "§6.10 stockpile budget",
    "expansion_budget": "§6.10 expansion budget",
    "cvar_excess": "§7 CVaR",
}


def _t(value: float) -> str:
    return f"{value:,.6g}"


class _Namer:
    """Turns (component, index) pairs into sentences."""

    def __init__(self, derived: Derived, lp: CompiledLP) -> None:
        self.derived = derived
        self.lp = lp

    def when(self, node: int) -> str:
        """``period P (scenarios a, b)``, or ``period P (all scenarios)`` on the trunk."""
        tree = self.derived.tree
        period = self.derived.data.periods[tree.nodes[node].period].period
        scenarios = tree.nodes[node].scenarios
        if len(scenarios) == len(tree.paths):
            who = "all scenarios"
        else:
            who = ("scenario " if len(scenarios) == 1 else "scenarios ") + ", ".join(scenarios)
        return f"period {period} ({who})"

    def row(self, name: str, key: Any) -> str:
        describe: Callable[[Any], str] | None = getattr(self, f"_row_{name}", None)
        text = describe(key) if describe else f"{name}[{key}]"
        return f"{text} [{_SECTION.get(name, name)}]"

    def column(self, name: str, key: Any, index: int, bound: str) -> str:
        limit = self.lp.col_upper[index] if bound == "upper" else self.lp.col_lower[index]
        describe: Callable[[Any, float, str], str] | None = getattr(self, f"_col_{name}", None)
        return describe(key, limit, bound) if describe else f"{name}[{key}] {bound} bound {limit}"

    # rows
    def _row_capacity(self, key: tuple[str, int]) -> str:
        return (
            f"output of {key[0]} within its capacity, new capacity included, "
            f"in {self.when(key[1])}"
        )

    def _row_take_within_output(self, key: tuple[str, int]) -> str:
        return f"contract take from {key[0]} within its output in {self.when(key[1])}"

    def _row_concentrate_balance(self, key: tuple[str, str, int]) -> str:
        return f"{key[1]} concentrate in {key[0]} must cover its refineries in {self.when(key[2])}"

    def _row_refined_balance(self, key: tuple[str, str, int]) -> str:
        demand = self.derived.demand_t.get(key, 0.0)
        return (
            f"refined {key[1]} in {key[0]} must meet demand of {_t(demand)} t "
            f"in {self.when(key[2])}"
        )

    def _row_stock_balance(self, key: tuple[str, int]) -> str:
        return (
            f"stockpile {key[0]}: level = previous level + purchases − releases "
            f"in {self.when(key[1])}"
        )

    def _row_export_cap(self, key: int) -> str:
        cap = self.derived.export_caps[key]
        to = f" to {cap.destination}" if cap.destination else ""
        return (
            f"export cap on {cap.mineral} {cap.stage} from {cap.region}{to}: at most "
            f"{cap.factor:g} × its capacity in {self.when(cap.node)}"
        )

    def _row_stockpile_budget(self, key: str) -> str:
        budget = self.derived.data.settings.stockpile_budget
        return f"stockpile purchases along scenario {key} within the budget of {_t(budget or 0)}"

    def _row_expansion_budget(self, key: Any) -> str:
        budget = self.derived.data.settings.expansion_budget
        return f"capacity expansion within the budget of {_t(budget or 0)}"

    # variable bounds
    def _col_output(self, key: tuple[str, int], limit: float, bound: str) -> str:
        return f"output of {key[0]} is capped at {_t(limit)} t by its capacity " \
               f"in {self.when(key[1])} [§6.1 capacity]"

    def _col_build(self, key: str, limit: float, bound: str) -> str:
        return f"new capacity at {key} is capped at {_t(limit)} t/yr (expandable_t) [§5]"

    def _col_contract_take(self, key: tuple[str, int], limit: float, bound: str) -> str:
        return f"contract take from {key[0]} is capped at {_t(limit)} t in {self.when(key[1])} " \
               "[§6.2 offtake]"

    def _col_ship(self, key: tuple[str, str, str, str, int], limit: float, bound: str) -> str:
        why = "closed (by a disruption or zone exclusivity)" if limit == 0 else \
            f"capped at {_t(limit)} t"
        return f"route {key[0]} → {key[1]} for {key[2]} {key[3]} is {why} " \
               f"in {self.when(key[4])} [§6.7 routes, §6.9 zone exclusivity]"

    def _col_purchase(self, key: tuple[str, int], limit: float, bound: str) -> str:
        return f"purchases into stockpile {key[0]} are capped at {_t(limit)} t " \
               f"(max_purchase_t × years) in {self.when(key[1])} [§6.6 stock]"

    def _col_release(self, key: tuple[str, int], limit: float, bound: str) -> str:
        why = f"capped at {_t(limit)} t (max_release_t × years)" if limit else \
            "not allowed (release needs a disruption of its mineral)"
        return f"releases from stockpile {key[0]} are {why} in {self.when(key[1])} [§6.6 stock]"

    def _col_level(self, key: tuple[str, int], limit: float, bound: str) -> str:
        stockpile = next(s for s in self.derived.data.stockpiles if s.stockpile == key[0])
        last = self.derived.tree.nodes[key[1]].period == len(self.derived.data.periods) - 1
        if bound == "upper":
            return f"stockpile {key[0]} holds at most {_t(limit)} t (capacity_t) " \
                   f"in {self.when(key[1])} [§6.6 stock]"
        what = "terminal level (terminal_min_t)" \
            if last and stockpile.terminal_min_t > stockpile.min_level_t \
            else "minimum level (min_level_t)"
        return f"stockpile {key[0]}: {what} {_t(limit)} t must be held at the end of " \
               f"{self.when(key[1])} [§6.6 stock]"

    def _col_shortfall(self, key: tuple[str, str, int, int], limit: float, bound: str) -> str:
        return f"unmet {key[1]} demand in {key[0]}, tier {key[2]}, is capped at {_t(limit)} t " \
               f"in {self.when(key[3])} [§6.5 shortfall tiers]"


def explain_infeasible(derived: Derived, lp: CompiledLP, solution: Solution) -> list[str]:
    """One line per member of the irreducible infeasible subset (empty if none came)."""
    namer = _Namer(derived, lp)
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
            head + " These cannot all hold together (an irreducible infeasible subset):\n"
            + "\n".join(f"  - {line}" for line in lines)
        )
    if status == "unbounded":
        return "The model is unbounded: some cost can fall without limit; check for negative costs."
    if status == "time_limit":
        return "The time limit ran out before an optimal plan was found; allow more time " \
               "(--time-limit) and run again."
    return f"HiGHS stopped without an optimal plan ({solution.message})."
