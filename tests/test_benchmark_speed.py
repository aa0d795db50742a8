"""The speed benchmarks on short measurements: they measure, print and write their tables.

``benchmarks/throughput.py`` (instances and env steps per second) and
``benchmarks/llm_concurrency.py`` (LLM student episodes per second against a slow loopback
server). The figures themselves belong on a quiet machine; here only their presence and
sense count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmark_scripts import load_benchmark

ROOT = Path(__file__).resolve().parents[1]
SPATIAL = "BeTaL/SpatialGrid-v0"


def test_a_short_run_writes_every_figure_of_each_case(tmp_path: Path, capsys):
    script = load_benchmark("throughput")
    args = ["--seconds", "0.02", "--only", "SpatialGrid-v0", "--out", str(tmp_path)]
    assert script.main(args) == 0

    record = json.loads((tmp_path / "throughput.json").read_text())
    assert record["command"] == f"benchmarks/throughput.py --seconds 0.02 --only {SPATIAL}"
    assert [row["case"] for row in record["rows"]] == list(script.CASES[SPATIAL])
    for row in record["rows"]:
        rates = [value for key, value in row.items() if key.endswith("_per_s")]
        assert len(rates) == 6 and all(rate > 0 for rate in rates)
    table = (tmp_path / "throughput.md").read_text()
    assert "| BeTaL/SpatialGrid-v0 | board 10, 3 particles, 20 ops |" in table
    assert table.count("\n| BeTaL/") == len(script.CASES[SPATIAL])
    assert "instances/s" in capsys.readouterr().out


def test_an_unknown_template_is_refused_with_the_near_name(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as stopped:
        load_benchmark("throughput").main(
            ["--only", "BeTaL/SpatialGird-v0", "--out", str(tmp_path)]
        )
    assert stopped.value.code == 2
    assert "Did you mean 'BeTaL/SpatialGrid-v0'?" in capsys.readouterr().err
    assert not (tmp_path / "throughput.md").exists()


def test_llm_concurrency_overlaps_the_server_delay(tmp_path: Path):
    # A separate process: the script points the openai client at its server through os.environ.
    done = subprocess.run(
        [
            sys.executable, str(ROOT / "benchmarks" / "llm_concurrency.py"), "--episodes", "16",
            "--delay", "0.1", "--concurrency", "1", "8", "--repeats", "1", "--out", str(tmp_path),
        ],
        cwd=ROOT,
        env={**os.environ, "BETAL_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "llm_concurrency.json").read_text())
    one, eight = record["rows"]
    assert (one["concurrency"], eight["concurrency"]) == (1, 8)
    assert one["max_in_flight"] == 1 and 1 < eight["max_in_flight"] <= 8
    # Sixteen answers of 0.1 s each take 1.6 s one by one and about 0.2 s eight at a time.
    assert eight["episodes_per_s"] > 3 * one["episodes_per_s"]
    assert "| 8 | 16 |" in (tmp_path / "llm_concurrency.md").read_text()
