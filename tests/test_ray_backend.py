"""The Ray backend on a local Ray instance with 2 CPUs: the same results as the local backend.

Evaluations, tuning runs, sweeps and the command line give, for the same seed, what the local
backend gives (everything but wall time); a worker process killed in the middle of a batch is
retried by Ray and changes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip(
    "ray", reason="ray is not installed (pip install 'betal-envs[ray]'); make test installs it"
)

from agents.backends import LocalBackend  # noqa: E402
from agents.budget import Budget, spending  # noqa: E402
from agents.evaluation import evaluate  # noqa: E402
from agents.ray_backend import RayBackend  # noqa: E402
from agents.registry import make_student  # noqa: E402
from agents.student import Episode, Student  # noqa: E402
from betal.cli import main  # noqa: E402
from betal_envs.errors import ConfigError  # noqa: E402
from designers.rundir import CONFIG, PLOT, RESULT, TRIALS  # noqa: E402
from designers.sweep import run_sweep  # noqa: E402
from designers.tuning import TuningConfig, tune  # noqa: E402

# One Ray instance for the whole module, on one pytest-xdist worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("ray")

SPATIAL = "BeTaL/SpatialGrid-v0"


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    # "local": a new instance of its own, even where a cluster runs on this machine.
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


def _without_wall(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "wall_s"}


def _trials(run: Path) -> list[dict[str, Any]]:
    return [_without_wall(json.loads(line)) for line in (run / TRIALS).read_text().splitlines()]


def _same_evaluation(a: Any, b: Any) -> bool:
    return _without_wall(a.to_dict()) == _without_wall(b.to_dict())


@dataclass
class KillsItsWorkerOnce(Student):
    """Plays as ``inner``, but the first act anywhere kills the process it runs in."""

    inner: Student
    marker: str

    def act(self, observation: Any, info: dict[str, Any], episode: Episode) -> Any:
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return self.inner.act(observation, info, episode)
        os.kill(os.getpid(), signal.SIGKILL)

    def describe(self) -> str:
        return self.inner.describe()


def _fails(value: int) -> int:
    raise ConfigError(f"value {value} is not allowed")


@pytest.mark.parametrize(
    ("env_id", "spec", "params"),
    [
        (SPATIAL, "spatial-exact:slip=0.1", {"n_operations": 20}),
        (SPATIAL, "spatial-random", {}),
        ("BeTaL/ArithmeticSequence-v0", None, {}),
        ("BeTaL/Maze-v0", "maze-bfs:epsilon=0.2", {}),
        ("BeTaL/Airline-v0", None, {}),
    ],
)
def test_an_evaluation_on_ray_equals_the_local_one(env_id: str, spec: str | None, params: dict):
    student = make_student(spec, env_id)
    local = evaluate(student, env_id, params, episodes=40, seed=7)
    for backend in (RayBackend(), RayBackend(batch_size=3)):
        assert _same_evaluation(
            evaluate(student, env_id, params, episodes=40, seed=7, backend=backend), local
        )


def test_a_killed_worker_is_retried_and_the_result_is_unchanged(tmp_path: Path):
    inner = make_student("spatial-exact:slip=0.1", SPATIAL)
    marker = tmp_path / "killed"
    killer = KillsItsWorkerOnce(inner, str(marker))

    record = evaluate(killer, SPATIAL, episodes=30, seed=2, backend=RayBackend(batch_size=5))

    assert marker.exists(), "no worker was killed, so nothing was retried"
    assert _same_evaluation(record, evaluate(inner, SPATIAL, episodes=30, seed=2))


def test_a_tuning_run_on_ray_writes_the_trials_and_result_of_a_local_run(tmp_path: Path):
    config = TuningConfig(
        SPATIAL, target=0.5, designer="random", iterations=4, episodes=20, eval_episodes=60, seed=3
    )
    local = tune(config, tmp_path / "local")
    on_ray = tune(config, tmp_path / "ray", backend=RayBackend())

    assert _without_wall(on_ray.to_dict()) == _without_wall(local.to_dict())
    assert _trials(tmp_path / "ray") == _trials(tmp_path / "local")


def test_a_sweep_on_ray_writes_the_run_directories_a_local_sweep_writes(tmp_path: Path):
    configs = [
        TuningConfig(
            SPATIAL,
            target=t,
            designer="random",
            iterations=3,
            episodes=20,
            eval_episodes=40,
            seed=s,
        )
        for t, s in ((0.3, 0), (0.7, 1), (0.5, 2))
    ]

    def jobs(root: Path) -> list[tuple[TuningConfig, Path]]:
        return [(c, root / f"run{n}") for n, c in enumerate(configs)]

    local = {r["seed"]: r for r in run_sweep(jobs(tmp_path / "local"), LocalBackend())}
    # A run cut off after two trials (marked by their wall time): the task goes on from them.
    cut = tmp_path / "ray" / "run2"
    cut.mkdir(parents=True)
    shutil.copy(tmp_path / "local" / "run2" / CONFIG, cut)
    first_two = (tmp_path / "local" / "run2" / TRIALS).read_text().splitlines()[:2]
    marked = [{**json.loads(line), "wall_s": 100.0} for line in first_two]
    (cut / TRIALS).write_text("".join(json.dumps(trial) + "\n" for trial in marked))

    on_ray = {r["seed"]: r for r in run_sweep(jobs(tmp_path / "ray"), RayBackend())}

    assert {k: _without_wall(r) for k, r in on_ray.items()} == {
        k: _without_wall(r) for k, r in local.items()
    }
    assert on_ray[2]["wall_s"] > 200.0  # the two finished trials were not played again
    for n in range(len(configs)):
        here, there = tmp_path / "local" / f"run{n}", tmp_path / "ray" / f"run{n}"
        assert {p.name for p in there.iterdir()} >= {CONFIG, TRIALS, RESULT, PLOT}
        assert _trials(there) == _trials(here)
    again = list(run_sweep(jobs(tmp_path / "ray"), RayBackend()))
    assert all(r["skipped"] for r in again) and len(again) == len(configs)


def test_a_spent_budget_starts_no_batch_on_ray_either():
    student = make_student(None, SPATIAL)
    with spending(Budget(max_wall_s=1.0, spent_wall_s=5.0)):
        record = evaluate(student, SPATIAL, episodes=20, seed=0, backend=RayBackend())
    assert record.episodes == 0 and record.stopped.startswith("time budget reached")


def test_an_error_raised_in_a_task_reaches_the_driver_as_itself():
    with pytest.raises(ConfigError, match="value 3 is not allowed"):
        list(RayBackend().map_unordered(_fails, [(3,)]))


def test_cli_eval_on_ray_prints_the_local_record(capsys: pytest.CaptureFixture[str]):
    command = ["eval", SPATIAL, "--episodes", "25", "--seed", "5", "--json"]
    records = []
    for backend in ("local", "ray"):
        assert main([*command, "--backend", backend]) == 0
        records.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    assert _without_wall(records[0]) == _without_wall(records[1])
