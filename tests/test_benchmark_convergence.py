"""``benchmarks/convergence.py`` on the toy template: a row and a curve per size of the space."""

from __future__ import annotations

import json
from pathlib import Path

from tests.benchmark_scripts import load_benchmark
from tests.toy_template import TOY_ID, install

install()


def test_one_row_per_size_with_progress_and_a_plot(tmp_path: Path, capsys):
    script = load_benchmark("convergence")
    args = [
        "--templates", TOY_ID, "--targets", "0.5", "--seeds", "1", "--workers", "1",
        "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "convergence"),
    ]  # fmt: skip
    assert script.main(args) == 0

    progress = capsys.readouterr().err
    assert "[4/4]" in progress and "target 0.5: gap" in progress
    table = (tmp_path / "convergence.md").read_text()
    for size in ("1", "2", "4", "all"):
        assert f"\n| {size} | " in table
    record = json.loads((tmp_path / "convergence.json").read_text())
    assert len(record) == 4
    plots = list(tmp_path.glob("convergence-*.png"))
    assert len(plots) == 1 and plots[0].stat().st_size > 5000
