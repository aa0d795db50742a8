"""``benchmarks/tuning.py`` on a tiny sweep: it writes its tables and skips finished runs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from tests.toy_template import TOY_ID, install

install()

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "tuning.py"


def load_script():
    spec = importlib.util.spec_from_file_location("benchmark_tuning", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and worker processes look it up there
    spec.loader.exec_module(module)
    return module


def test_tiny_sweep_writes_tables_and_a_rerun_makes_no_new_run(tmp_path: Path, capsys):
    script = load_script()
    args = [
        "--templates", TOY_ID, "--designers", "random bayes:guided=2", "--targets", "0.3,0.7",
        "--seeds", "2", "--iterations", "3", "--episodes", "10", "--eval-episodes", "20",
        "--workers", "1", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "tuning"),
    ]  # fmt: skip
    assert script.main(args) == 0
    record = json.loads((tmp_path / "tuning.json").read_text())
    assert len(record["runs"]) == 2 * 2 * 2
    assert {r["designer"] for r in record["by_designer"]} == {"random", "bayes:guided=2"}
    table = (tmp_path / "tuning.md").read_text()
    assert "| BeTaL/Toy-v0 | bayes:guided=2 | 0.30 | 2 |" in table
    capsys.readouterr()

    script.main(args)
    assert capsys.readouterr().err.count("(kept)") == 8
    again = json.loads((tmp_path / "tuning.json").read_text())
    assert again["by_target"] == record["by_target"]
