"""The complete detail tables as Parquet (MODEL.md §8): the machine-readable results.

A folder beside the workbook, ``<results name>_detail/``, holds one file per detail
table in node form (one row per index and tree node, zero rows included: names as
dictionary-encoded text, amounts as float64, ``node`` as an integer) and the tree:
``nodes.parquet`` (node, period, probability, parent, years, discount) and
``paths.parquet`` (scenario, period, node: the node each scenario is at in each
period). Any per-scenario view is one join of a table with ``paths`` on ``node``;
``docs/results.md`` shows it in pandas, DuckDB and Power Query. The folder is written
under a temporary name and moved into place whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from optimizer.files import detail_folder as detail_folder  # where run.py checks it
from optimizer.files import replacing_folder
from optimizer.results import Results
from optimizer.stopping import checkpoint

TREE_FILES = ("nodes", "paths")


def write(results: Results, folder: Path) -> Path:
    """Write every complete detail table and the tree into ``folder``; returns it."""
    tree = results.tree
    nodes = tree.nodes.drop(columns=["scenarios"]).assign(
        years=tree.years, discount=np.asarray(tree.derived.discount)[tree.period])
    with replacing_folder(folder) as temporary:
        for name, table in results.detail.items():
            checkpoint()  # a signal stops the run between tables (optimizer.stopping)
            _write_table(table, temporary / f"{name}.parquet")
        _write_table(nodes, temporary / "nodes.parquet")
        _write_table(tree.paths, temporary / "paths.parquet")
    return folder


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def read(folder: Path, name: str) -> pd.DataFrame:
    """One table of a detail folder, as pandas reads it (names as categoricals)."""
    return pd.read_parquet(folder / f"{name}.parquet")
