"""``betal tune`` killed with SIGKILL at random moments, resumed each time, ends as if never killed.

The kill points are drawn from a seeded generator: after some number of finished trials plus
a random delay, so they land while the designer proposes, while the student plays, while a
trial line is written, during verification or before the process has started its run. After
every kill the trials on disk must be a prefix of the uninterrupted run's; after the last
resume the trials and the result (wall times aside) must equal it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from designers.rundir import CONFIG, RESULT, load_trials

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = 6
KILLS = 4


def _command(out: Path) -> list[str]:
    return [
        sys.executable, "-m", "betal", "tune", "BeTaL/SpatialGrid-v0", "--target", "0.4",
        "--iterations", str(ITERATIONS), "--episodes", "30", "--eval-episodes", "60",
        "--seed", "5", "--out", str(out), "--json",
    ]  # fmt: skip


def _resume_command(out: Path) -> list[str]:
    if not (out / CONFIG).exists():  # killed before it wrote anything: start it again
        return _command(out)
    return [sys.executable, "-m", "betal", "tune", "--resume", str(out), "--json"]


def _environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BETAL_CACHE_DIR": str(tmp_path / "cache")}


def _trials(out: Path) -> list[dict[str, Any]]:
    trials, _ = load_trials(out / "trials.jsonl")
    return [_without_wall(trial.to_dict()) for trial in trials]


def _without_wall(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "wall_s"}


def _kill_at_random(command: list[str], out: Path, rng: random.Random, tmp_path: Path) -> bool:
    """Start ``command`` and SIGKILL it at a random point; whether it was killed."""
    finished = len(_trials(out))
    wait_for = min(ITERATIONS, finished + rng.randint(0, 2))
    delay = rng.uniform(0.0, 0.6)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_environment(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(_trials(out)) < wait_for and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    killed = process.poll() is None
    if killed:
        process.send_signal(signal.SIGKILL)
    process.wait()
    return killed


@pytest.mark.slow
def test_a_run_killed_again_and_again_resumes_to_the_uninterrupted_result(tmp_path: Path):
    whole_dir = tmp_path / "whole"
    whole = subprocess.run(
        _command(whole_dir), cwd=ROOT, env=_environment(tmp_path), capture_output=True, text=True
    )
    assert whole.returncode == 0, whole.stderr
    expected = _trials(whole_dir)
    assert len(expected) == ITERATIONS

    out = tmp_path / "killed"
    rng = random.Random(20250101)
    kills = 0
    for _ in range(KILLS):
        kills += _kill_at_random(_resume_command(out), out, rng, tmp_path)
        on_disk = _trials(out)
        assert on_disk == expected[: len(on_disk)], "a finished trial was lost or changed"
    assert kills >= 2, "the run finished before most kills; the kill points test nothing"

    resumed = subprocess.run(
        _resume_command(out), cwd=ROOT, env=_environment(tmp_path), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert _trials(out) == expected
    final = json.loads((out / RESULT).read_text())
    assert _without_wall(final) == _without_wall(json.loads((whole_dir / RESULT).read_text()))
    last = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert _without_wall(last) == _without_wall(final)
