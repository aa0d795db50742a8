"""The run directory: one writer at a time, and a record that survives a kill mid-write.

A second ``betal tune`` on a directory in use is refused with a clear error and writes
nothing. A last line cut short by a kill is dropped with a warning (and cut off the file) on
resume; a damaged line elsewhere is reported, never silently cut away.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from designers import tune
from designers.rundir import CONFIG, LOCK, TRIALS, RunDir, RunDirError, load_trials
from designers.tuning import TuningConfig
from tests.toy_template import TOY_ID, install

install()

ROOT = Path(__file__).resolve().parents[1]


def toy_config(iterations: int = 4) -> TuningConfig:
    return TuningConfig(
        TOY_ID, target=0.5, designer="random", iterations=iterations, episodes=10, eval_episodes=10
    )


def test_a_second_process_on_a_busy_directory_gets_a_clear_error(tmp_path: Path):
    out = tmp_path / "run"
    # The first writer: a process holding the directory's lock, as a running tune does.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from designers.rundir import RunDir\n"
            "with RunDir(sys.argv[1]):\n"
            "    print('locked', flush=True)\n"
            "    time.sleep(60)\n",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        second = subprocess.run(
            [sys.executable, "-m", "betal", "tune", "BeTaL/SpatialGrid-v0", "--target", "0.5",
             "--iterations", "1", "--episodes", "5", "--out", str(out)],
            cwd=ROOT,
            env={**os.environ, "BETAL_CACHE_DIR": str(tmp_path / "cache")},
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 2 and "Traceback" not in second.stderr
    assert f"run directory {out} is in use by another process" in second.stderr
    assert sorted(p.name for p in out.iterdir()) == [LOCK], "the refused run wrote something"


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path: Path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom designers.rundir import RunDir\n"
         "with RunDir(sys.argv[1]):\n    print('locked', flush=True)\n    time.sleep(60)\n",
         str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 10
    while True:
        try:
            with RunDir(tmp_path):
                break
        except RunDirError:
            assert time.monotonic() < deadline, "a killed holder kept the lock"
            time.sleep(0.05)


def test_a_truncated_last_line_is_dropped_with_a_warning_and_run_again(tmp_path, caplog):
    whole = tune(toy_config(), tmp_path / "whole")
    lines = (tmp_path / "whole" / TRIALS).read_bytes().splitlines(keepends=True)
    out = tmp_path / "cut"
    out.mkdir()
    (out / CONFIG).write_bytes((tmp_path / "whole" / CONFIG).read_bytes())
    (out / TRIALS).write_bytes(b"".join(lines[:2]) + lines[2][:-1])  # all but the line end

    trials, cut = load_trials(out / TRIALS)
    assert len(trials) == 2 and cut == len(lines[2]) - 1
    caplog.set_level(logging.WARNING, logger="designers.rundir")
    resumed = tune(None, out, resume=True)

    [warning] = [r for r in caplog.records if r.name == "designers.rundir"]
    assert "dropping an incomplete last line" in warning.getMessage()
    assert f"({len(lines[2]) - 1} bytes;" in warning.getMessage()
    assert (out / TRIALS).read_bytes().splitlines(keepends=True)[:2] == lines[:2]
    assert len(load_trials(out / TRIALS)[0]) == 4
    assert resumed.best_params == whole.best_params and resumed.eval_rate == whole.eval_rate


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: [lines[0], b"{not json\n", *lines[2:]], r"line 2 of .* is not a trial"),
        (lambda lines: [lines[0], b"[1, 2]\n", *lines[2:]], r"a JSON list, not an object"),
        (lambda lines: [lines[0], b'{"status": "ok"}\n', *lines[2:]], r"line 2 .* not a trial"),
        (lambda lines: [lines[0], lines[0], *lines[2:]], r"holds trial 0, expected 1"),
    ],
    ids=["garbage", "not an object", "missing fields", "out of order"],
)
def test_a_damaged_line_before_the_end_is_reported_and_nothing_is_cut(damage, message, tmp_path):
    tune(toy_config(), tmp_path)
    lines = (tmp_path / TRIALS).read_bytes().splitlines(keepends=True)
    damaged = b"".join(damage(lines))
    (tmp_path / TRIALS).write_bytes(damaged)

    with pytest.raises(RunDirError, match=message):
        tune(None, tmp_path, resume=True)
    assert (tmp_path / TRIALS).read_bytes() == damaged


def test_report_reads_a_run_whose_last_line_was_cut(tmp_path: Path):
    from betal.report import find_runs

    tune(toy_config(), tmp_path / "run")
    with open(tmp_path / "run" / TRIALS, "ab") as trials:
        trials.write(b'{"iteration": 4, "sta')
    [run] = find_runs([str(tmp_path)])
    assert len(run.trials) == 4


@pytest.mark.parametrize("where", ["file", "under a file"])
def test_an_unusable_run_directory_is_refused_with_the_fix(where: str, tmp_path: Path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    out = blocker if where == "file" else blocker / "run"
    with pytest.raises(RunDirError, match=r"cannot use .* as a run directory .*--out"):
        tune(toy_config(), out)


@pytest.mark.parametrize("config", [b'{"env_id": "BeTaL/Toy', b"[1, 2]"], ids=["cut", "list"])
def test_a_damaged_config_is_one_clear_error(config: bytes, tmp_path: Path):
    tune(toy_config(iterations=1), tmp_path)
    (tmp_path / CONFIG).write_bytes(config)
    with pytest.raises(RunDirError, match=r"config.json .*(cannot be read|not an object)"):
        tune(None, tmp_path, resume=True)
