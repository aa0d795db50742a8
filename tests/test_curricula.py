"""Curricula for SB3 students: persistence across auto-resets and each teacher under PPO."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agents.evaluation import evaluate
from agents.registry import STUDENTS
from agents.rl import maze_students  # noqa: F401  (registers the maze students)
from agents.rl.curricula import ACCEL, CURRICULA, PrioritizedLevelReplay, TargetTeacher
from agents.rl.ppo import PPOSettings, solve_levels, train
from agents.rl.tasks import Curriculum, Task, make_curriculum_env
from betal_envs.errors import SpecError
from betal_envs.maze import MAZE_ID, goal_distance, parse_level

TINY = PPOSettings(n_envs=4, n_steps=64, batch_size=128, n_epochs=2)
BASE = {"view_size": 5, "step_limit": 40}


class Alternating(Curriculum):
    """Hands out two fixed sizes in turn, to watch the wrapper apply them."""

    name = "alternating"

    def next_task(self, env_index: int) -> Task:
        size = 5 if self.tasks_started % 2 else 12
        return Task(self.new_key(), {**self.base_params, "size": size})


def test_tasks_persist_across_auto_resets() -> None:
    curriculum = Alternating()
    curriculum.start(MAZE_ID, {"step_limit": 10}, seed=0)
    env = make_curriculum_env(curriculum, n_envs=1)
    env.reset()
    sizes = []
    for _ in range(40):
        _, _, dones, infos = env.step([0])
        if dones[0]:
            sizes.append(env.envs[0].unwrapped.level.shape[0])
    # After each episode the auto-reset has already set up the next task's level.
    assert sizes == [12, 5, 12, 5]
    assert [record.task.params["size"] for record in curriculum.records] == [5, 12, 5, 12]
    assert infos[0]["task_key"] == 4 and env.envs[0].task.key == 5


@pytest.mark.slow
def test_domain_randomization_varies_only_the_level_parameters() -> None:
    result = train("dr", 2048, seed=0, params=BASE, settings=TINY)
    played = [record.task.params for record in result.curriculum.records]
    assert len(played) >= 20
    assert len({params["size"] for params in played}) > 3
    assert len({params["wall_density"] for params in played}) == len(played)
    assert {params["view_size"] for params in played} == {5}
    assert {params["step_limit"] for params in played} == {40}


@pytest.mark.slow
def test_plr_buffers_scored_levels_and_replays_them_unchanged() -> None:
    curriculum = CURRICULA.build("plr:replay=0.6,warmup=4,buffer_size=8")
    result = train(curriculum, 3072, seed=1, params=BASE, settings=TINY)
    assert isinstance(result.curriculum, PrioritizedLevelReplay)
    assert len(curriculum.levels) == 8
    assert all(score >= 0 for score in curriculum.scores.values())
    replays = [record.task for record in curriculum.records if record.task.origin == "replay"]
    assert len(replays) >= 5
    buffered = {key: task.level for key, task in curriculum.levels.items()}
    for task in replays:
        if task.key in buffered:
            assert task.level == buffered[task.key]
    keys, odds = curriculum.replay_odds()
    assert len(keys) == 8 and odds.sum() == pytest.approx(1.0) and (odds > 0).all()


@pytest.mark.slow
def test_accel_plays_mutations_of_replayed_levels() -> None:
    curriculum = CURRICULA.build("accel:replay=0.7,warmup=4,buffer_size=16,edits=2")
    train(curriculum, 3072, seed=2, params=BASE, settings=TINY)
    assert isinstance(curriculum, ACCEL)
    origins = [record.task.origin for record in curriculum.records]
    assert origins.count("replay") >= 5 and origins.count("mutation") >= 3
    mutations = [r.task for r in curriculum.records if r.task.origin == "mutation"]
    assert any(task.level != curriculum.parents[task.key] for task in mutations)
    assert all(goal_distance(task.level) is not None for task in mutations)
    fresh = [r.task.level for r in curriculum.records if r.task.origin == "new"]
    assert fresh and all(level.walls.sum() == 0 for level in fresh)


@pytest.mark.slow
def test_teacher_turns_recent_success_into_designer_trials() -> None:
    curriculum = CURRICULA.build("teacher:designer=random,episodes=6,target=0.5")
    train(curriculum, 3072, seed=3, params=BASE, settings=TINY)
    assert isinstance(curriculum, TargetTeacher)
    trials = curriculum.trials
    assert len(trials) >= 3 and all(trial.episodes == 6 for trial in trials)
    for trial in trials:
        played = [r for r in curriculum.records if r.task.params["size"] == trial.params["size"]]
        assert played and trial.gap == pytest.approx(abs(trial.rate - 0.5))
    assert len({tuple(sorted(trial.params.items())) for trial in trials}) == len(trials)
    assert curriculum.current.params["view_size"] == 5


def test_trained_policy_plays_levels_and_loads_as_a_student(tmp_path: Path) -> None:
    result = train("dr", 512, seed=0, params=BASE, settings=TINY)
    levels = [parse_level("SG"), parse_level("S" + "." * 30 + "G")]
    solved = solve_levels(result.model, levels, {"step_limit": 10}, episodes=3)
    assert solved[1] == 0 and 0 <= solved[0] <= 3
    result.model.save(tmp_path / "policy.zip")
    student = STUDENTS.build(f"maze-ppo:path={tmp_path / 'policy.zip'}")
    record = evaluate(student, MAZE_ID, {"size": 5, "step_limit": 10}, episodes=4)
    assert record.episodes == 4 and record.failures == {}


@pytest.mark.slow
def test_benchmark_tiny_configuration_writes_table_and_plot(tmp_path: Path) -> None:
    from benchmarks import curriculum as benchmark

    argv = ["--steps", "1024", "--seeds", "1", "--evals", "2", "--episodes", "1"]
    argv += ["--curve-episodes", "1", "--n-envs", "4", "--out", str(tmp_path)]
    table_path = benchmark.main(argv)
    table = table_path.read_text()
    for name in (
        "PPO + DR",
        "PPO + PLR",
        "PPO + ACCEL",
        "PPO + teacher",
        "maze-bfs",
        "maze-random",
    ):
        assert f"| {name} |" in table
    assert "| maze-bfs | 8/8 | 1.000 |" in table
    assert (tmp_path / "curriculum.png").stat().st_size > 1000
    records = json.loads((tmp_path / "curriculum.json").read_text())
    assert len(records["runs"]) == 4 and all(len(run["curve"]) >= 2 for run in records["runs"])


def test_bad_curriculum_settings_are_rejected() -> None:
    with pytest.raises(SpecError, match="replay and staleness must be in"):
        CURRICULA.build("plr:replay=1.5")
    with pytest.raises(SpecError, match="target must be in"):
        CURRICULA.build("teacher:target=1")
    with pytest.raises(KeyError, match="no parameter 'sise'"):
        CURRICULA.build("dr:free=sise").start(MAZE_ID, {}, seed=0)
    rng_free = CURRICULA.build("dr:free=step_limit")
    rng_free.start(MAZE_ID, {}, seed=0)
    assert rng_free.space.names == ["step_limit"]
    assert np.isfinite(rng_free.next_task(0).params["wall_density"])
