"""Build ``data/base_case.xlsx``: the allied zone from public figures (the default case).

25 regions, 13 minerals, ten half-years (2026H1-2030H2), one aggregate mine and
refinery per region and mineral where production exists (its 2025 output at the region's
cost-curve position, and its spare capacity), Project Vault stockpiles, the defence NdPr
offtake, the defence origin rule for NdPr and tungsten (DFARS 225.7018), today's export
policy (the DRC cobalt quota, China's licensing) and ten scenarios: calm and nine
departures from it. Every number is either a public figure read from
``data/sources/*.csv`` (USGS Mineral Commodity Summaries 2026, IEA, policy texts; each
CSV row keeps its source) or a planning assumption from :data:`ASSUMPTIONS`; the
``sources`` sheet says which, cell by cell.

Run ``python data/build_base_case.py [OUTPUT.xlsx]`` (default: ``base_case.xlsx`` beside
this script); ``--headlines [CASE.xlsx]`` solves the case (and, for the policy
comparison, again without its floors, stockpiles and expansions) and prints the
generated result tables of ``docs/base_case.md`` from the optimizer's results tables;
``--assumptions`` prints its assumption table. The output depends only on the package
``data/base_case/`` (one module per concern) and ``data/sources``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the package data/base_case

from base_case.assumptions import ASSUMPTIONS, assumption_table
from base_case.figures import DEFAULT_OUTPUT
from base_case.report import generated_part, headline_markdown, headlines, solve_case
from base_case.write import KEY_COLUMNS, SOURCE_COLUMNS, build, source_key, tables

__all__ = ["ASSUMPTIONS", "KEY_COLUMNS", "SOURCE_COLUMNS", "assumption_table", "build",
           "generated_part", "headline_markdown", "headlines", "solve_case", "source_key",
           "tables"]


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] == "--assumptions":
        sys.stdout.write(assumption_table() + "\n")
        return 0
    if argv and argv[0] == "--headlines":
        case = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
        sys.stdout.write(headline_markdown(headlines(solve_case(case))) + "\n")
        return 0
    path = Path(argv[0]) if argv else DEFAULT_OUTPUT
    build(path)
    sys.stdout.write(f"{path}: base case written.\n")
    return 0



if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
