"""The memory guard (issue 15, item 8): a case whose estimated peak memory passes the
memory available is refused before the build, with the estimate, in one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import memory
from optimizer.cli import main
from optimizer.model.derive import derive
from optimizer.workbook.validation import load
from tests.cases import valid_tables, write_tables


def test_node_entities_are_counted_per_tree_node(tmp_path: Path) -> None:
    data, _ = load(write_tables(tmp_path / "case.xlsx", valid_tables()))
    # 7 nodes: 2026 shared, then calm, ga_ban and li_dump apart in 2027 and 2028;
    # per node 4 facilities + 4 routes (the "*" route is two) + 2 stockpiles
    # + 2 × 3 regions × 2 minerals = 22
    found = memory.estimate(derive(data))
    assert (found.nodes, found.node_entities) == (7, 154)
    assert found.bytes == memory.BASE_BYTES + 154 * memory.BYTES_PER_NODE_ENTITY


def test_a_case_too_large_for_the_memory_available_is_refused_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_tables(tmp_path / "case.xlsx", valid_tables())
    monkeypatch.setenv(memory.MEMORY_VARIABLE, str(100_000_000))  # 95 MB
    assert main(["run", str(source), "-o", str(tmp_path / "r.xlsx"), "-q"]) == 2
    # 180 MB + 154 × 3,000 bytes, in MB
    message = ("This case needs about 180 MB of memory (7 tree nodes, 154 node entities), "
               "more than the 95 MB available: use fewer scenarios or periods, or a "
               "machine with more memory.")
    assert capsys.readouterr().err == message + "\n"
    assert message in (tmp_path / "r.failed.log").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx", "r.failed.log"]


def test_the_memory_available_is_read_from_the_system() -> None:
    available = memory.available_bytes()
    assert available is not None and available > 0
