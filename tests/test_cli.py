"""The ``betal`` command line, run as a user runs it: in a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
        (["tune", SPATIAL, "--target", "1.5"], "target 1.5 is outside (0, 1)"),
        (
            ["tune", SPATIAL, "--target", "0.5", "--free", "board_sise"],
            "cannot free unknown parameter 'board_sise'. Did you mean 'board_size'?",
        ),
        (
            ["tune", SPATIAL, "--target", "0.5", "--student", "spatial-exact:slipp=0.1"],
            "student 'spatial-exact' has no setting 'slipp'. Did you mean 'slip'?",
        ),
        (
            ["tune", SPATIAL, "--target", "0.5", "--student", "openai:modle=gpt-4o"],
            "student 'openai' has no setting 'modle'. Did you mean 'model'?",
        ),
        (["eval", SPATIAL, "--params", "[1, 2]"], "--params must be a JSON object"),
        (["eval", SPATIAL, "--episodes", "0"], "episodes must be a positive integer, got 0"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path):
    out = tmp_path / "run"
    if args[0] == "tune" and "--resume" not in args:
        args = [*args, "--out", str(out)]
    done = betal(*args, tmp_path=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("betal: error:")]
    assert message in error or (message in done.stderr and "invalid parameters" in error)
    assert not out.exists(), "a refused run must leave no run directory behind"


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


@pytest.mark.slow
@pytest.mark.parametrize("env_id", ["BeTaL/ArithmeticSequence-v0", "BeTaL/Airline-v0"])
def test_tune_finishes_on_the_embedded_default_student(env_id: str, tmp_path: Path):
    done = betal("tune", env_id, "--target", "0.5", "--json", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    result = last_json(done.stdout)
    assert result["env"] == env_id and result["stopped"] == "completed"
    assert result["trials"] == 10 and result["episodes_used"] == 10 * 50 + 500
    assert result["invalid_proposals"] == 0 and result["tokens"] == 0
    assert result["eval_gap"] == abs(result["eval_rate"] - 0.5) < 0.25
