"""Does scaling remove HiGHS's "badly scaled" warning on the default case, and does it
change the results? (docs/reliability.md, Numerics.)

The default case's LP is solved as compiled, with its money rows (the stockpile
budget) scaled by 1e-6, with HiGHS's ``user_objective_scale=-8``, and with that and
``user_bound_scale=-14``. For each: whether HiGHS's log says "badly scaled", the
objective's relative difference from the unscaled one, and the largest differences of
the values and duals (another optimal vertex shows there).

    python benchmarks/scaling.py
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from optimizer.pipeline import prepare  # noqa: E402
from optimizer.solve.highs import CompiledLP, Solution, SolverOptions, solve  # noqa: E402
from optimizer.workbook.validation import load  # noqa: E402

MONEY_ROWS = ("stockpile_budget",)
MONEY_SCALE = 1e-6


def scaled_rows(lp: CompiledLP) -> CompiledLP:
    """``lp`` with its money rows multiplied by :data:`MONEY_SCALE`."""
    scale = np.ones(lp.matrix.shape[0])
    for name in MONEY_ROWS:
        block = lp.layout.row_block(name)
        if block is not None:
            scale[block.start:block.stop] = MONEY_SCALE
    matrix = sp.csc_array(sp.diags(scale) @ lp.matrix)
    matrix.sort_indices()
    return dataclasses.replace(lp, matrix=matrix, row_lower=lp.row_lower * scale,
                               row_upper=lp.row_upper * scale)


def run(lp: CompiledLP, extra: tuple[tuple[str, str], ...], folder: Path,
        name: str) -> tuple[Solution, bool]:
    """The solution, and whether HiGHS called the problem badly scaled (HiGHS appends
    to a log file: each solve needs its own ``name``)."""
    log = folder / f"{name}.log"
    solution = solve(lp, SolverOptions(log_file=log, extra=extra))
    return solution, "badly scaled" in log.read_text(encoding="utf-8", errors="replace")


def main() -> int:
    data, _ = load(ROOT / "data" / "base_case.xlsx")
    _, lp = prepare(data)
    objective_scale = (("user_objective_scale", "-8"),)
    both = (*objective_scale, ("user_bound_scale", "-14"))
    variants = {"as compiled": (lp, ()), "money rows × 1e-6": (scaled_rows(lp), ()),
                "user_objective_scale=-8": (lp, objective_scale),
                "and user_bound_scale=-14": (lp, both)}
    with tempfile.TemporaryDirectory() as scratch:
        base, _ = run(lp, (), Path(scratch), "base")
        assert base.values is not None and base.duals is not None and base.objective
        for number, (name, (variant, extra)) in enumerate(variants.items()):
            found, badly = run(variant, extra, Path(scratch), f"variant{number}")
            assert found.values is not None and found.duals is not None and found.objective
            scale = np.ones_like(found.duals)
            if variant is not lp:  # a scaled row's dual is the original's ÷ its scale
                for row in MONEY_ROWS:
                    block = lp.layout.row_block(row)
                    if block is not None:
                        scale[block.start:block.stop] = MONEY_SCALE
            print(f"{name:>26}: {found.status}, badly scaled {badly}, objective "
                  f"{found.objective:.10g} (relative difference "
                  f"{abs(found.objective - base.objective) / abs(base.objective):.1e}), "
                  f"largest value difference {np.max(np.abs(found.values - base.values)):.3g}, "
                  f"largest dual difference "
                  f"{np.max(np.abs(found.duals * scale - base.duals)):.3g}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
