"""The ``betal`` command line, run as a user runs it: in a separate process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from designers.rundir import TRIALS

ROOT = Path(__file__).resolve().parents[1]
SPATIAL = "BeTaL/SpatialGrid-v0"
TUNE_KEYS = {
    "env", "target", "designer", "student", "best_params", "search_rate", "eval_rate",
    "eval_gap", "eval_ci", "trials", "episodes_used", "invalid_proposals", "tokens", "wall_s",
}  # fmt: skip


def betal(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "betal", *args],
        cwd=ROOT,
        env={**os.environ, "BETAL_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
    )


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_tune_prints_a_summary_and_one_json_line(tmp_path: Path):
    out = tmp_path / "run"
    done = betal(
        "tune", SPATIAL, "--target", "0.5", "--iterations", "3", "--episodes", "20",
        "--eval-episodes", "50", "--out", str(out), "--json", tmp_path=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = last_json(done.stdout)
    assert result.keys() >= TUNE_KEYS
    assert result["env"] == SPATIAL and result["designer"] == "bayes"
    assert result["student"].startswith("spatial-exact")
    assert "tuning result" in done.stderr and "verification gap" in done.stderr
    assert result == {**json.loads((out / "result.json").read_text())}


def test_eval_reads_parameters_from_a_file(tmp_path: Path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"board_size": 4, "n_operations": 3}))
    done = betal(
        "eval", SPATIAL, "--params", f"@{params}", "--episodes", "30", "--json",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = last_json(done.stdout)
    assert record["episodes"] == 30 and record["params"]["board_size"] == 4
    assert 0.0 <= record["rate"] <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["tune", "BeTaL/SpatialGird-v0", "--target", "0.5"],
            "Did you mean 'BeTaL/SpatialGrid-v0'",
        ),
        (["tune", SPATIAL, "--target", "2"], "target 2.0 is outside (0, 1)"),
        (["tune", SPATIAL, "--target", "0.5", "--designer", "bayse"], "Did you mean 'bayes'"),
        (["eval", SPATIAL, "--params", '{"board_sise": 5, "n_particles": -1}'], "board_size"),
        (["eval", SPATIAL, "--params", "{oops"], "--params is not valid JSON"),
        (["tune", "--resume", "/nonexistent/run"], "not a run directory"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path):
    done = betal(*args, tmp_path=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_listings_name_every_template_designer_and_student(tmp_path: Path):
    envs = json.loads(betal("envs", "--json", tmp_path=tmp_path).stdout)
    assert SPATIAL in [e["id"] for e in envs]
    spatial = next(e for e in envs if e["id"] == SPATIAL)
    assert {"board_size", "n_particles", "n_operations"} <= {
        p["name"] for p in spatial["parameters"]
    }
    designers = {
        d["name"] for d in json.loads(betal("designers", "--json", tmp_path=tmp_path).stdout)
    }
    assert {"random", "random-replay", "bayes", "llm", "llm-oneshot", "best-of-n"} <= designers
    students = {
        s["name"] for s in json.loads(betal("students", "--json", tmp_path=tmp_path).stdout)
    }
    assert {"spatial-exact", "openai"} <= students
    assert "board_size" in betal("envs", SPATIAL, tmp_path=tmp_path).stdout


def _tune_args(out: Path) -> list[str]:
    return [
        "tune", SPATIAL, "--target", "0.4", "--iterations", "8", "--episodes", "40",
        "--eval-episodes", "100", "--seed", "5", "--out", str(out), "--json",
    ]  # fmt: skip


def _lines(out: Path) -> list[dict]:
    path = out / TRIALS
    text = path.read_text() if path.exists() else ""
    return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


def _without_wall(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "wall_s"}


@pytest.mark.slow
def test_a_killed_run_resumes_without_losing_or_repeating_a_trial(tmp_path: Path):
    whole = betal(*_tune_args(tmp_path / "whole"), tmp_path=tmp_path)
    assert whole.returncode == 0, whole.stderr

    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "betal", *_tune_args(out)],
        cwd=ROOT,
        env={**os.environ, "BETAL_CACHE_DIR": str(tmp_path / "cache")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(_lines(out)) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = _lines(out)
    assert 3 <= len(finished) < 8, "the run should have been killed part-way"

    resumed = betal("tune", "--resume", str(out), "--json", tmp_path=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    trials = _lines(out)
    assert [t["iteration"] for t in trials] == list(range(8))
    assert [_without_wall(t) for t in trials[: len(finished)]] == [
        _without_wall(t) for t in finished
    ]
    assert [_without_wall(t) for t in trials] == [
        _without_wall(t) for t in _lines(tmp_path / "whole")
    ]
    assert _without_wall(last_json(resumed.stdout)) == _without_wall(last_json(whole.stdout))
