"""Build ``data/base_case.xlsx``: the allied zone from public figures (the default case).

25 regions, 14 minerals, ten half-years (2026H1-2030H2), one aggregate mine and
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

import argparse
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
    parser = argparse.ArgumentParser(
        prog="python data/build_base_case.py",
        description="Build the default case, data/base_case.xlsx, from data/sources and the "
                    "assumptions of data/base_case/.")
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the case (default: %(default)s); with "
                             "--headlines, the case to solve")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--headlines", action="store_true",
                      help="solve the case (and again without its floors, stockpiles and "
                           "expansions) and print docs/base_case.md's generated tables")
    what.add_argument("--assumptions", action="store_true",
                      help="print the assumption table of docs/base_case.md")
    args = parser.parse_args(argv)
    if args.assumptions:
        sys.stdout.write(assumption_table() + "\n")
    elif args.headlines:
        sys.stdout.write(headline_markdown(headlines(solve_case(args.output))) + "\n")
    else:
        build(args.output)
        sys.stdout.write(f"{args.output}: base case written.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
