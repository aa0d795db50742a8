"""Curricula for SB3 students: persistence across auto-resets and each teacher under PPO."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest

from agents.evaluation import evaluate
from agents.registry import STUDENTS
from agents.rl import maze_students  # noqa: F401  (registers the maze students)
from agents.rl.curricula import ACCEL, CURRICULA, PrioritizedLevelReplay, TargetTeacher
from agents.rl.observation import PREVIOUS_ACTION, PreviousAction
from agents.rl.ppo import PPOSettings, solve_levels, train
from agents.rl.tasks import (
    Curriculum,
    CurriculumCallback,
    EpisodeRecord,
    EpisodeScore,
    Task,
    make_curriculum_env,
)
from betal_envs.errors import BetalError, SpecError
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


class Listener(Alternating):
    """Keeps the episode scores it hears."""

    def start(self, env_id: str, params: dict, seed: int) -> None:
        super().start(env_id, params, seed)
        self.heard: list[EpisodeScore] = []

    def observe_scores(self, scores: list[EpisodeScore]) -> None:
        self.heard.extend(scores)


def test_callback_scores_whole_episodes_across_rollouts() -> None:
    curriculum = Listener()
    curriculum.start(MAZE_ID, {}, seed=0)
    callback = CurriculumCallback(curriculum)
    # Two envs, two rollouts of three steps. Env 0 plays task 7 for four steps (across the
    # rollout boundary), then task 8; env 1 plays task 9 for two steps, then task 10.
    rollouts = [
        ([[7, 9], [7, 9], [7, 10]], [[0, 0], [0, 1], [0, 0]]),
        ([[7, 10], [8, 10], [8, 10]], [[1, 0], [0, 0], [0, 0]]),
    ]
    advantages = [
        np.array([[1.0, -1.0], [-2.0, 3.0], [3.0, 5.0]]),
        np.array([[4.0, 1.0], [9.0, 1.0], [9.0, 1.0]]),
    ]
    values = [np.full((3, 2), 0.5), np.full((3, 2), 0.25)]
    for (keys, dones), advantage, value in zip(rollouts, advantages, values, strict=True):
        callback._on_rollout_start()
        for step_keys, step_dones in zip(keys, dones, strict=True):
            callback.locals = {
                "infos": [{"task_key": key} for key in step_keys],
                "dones": np.array(step_dones, dtype=bool),
            }
            callback._on_step()
        buffer = SimpleNamespace(advantages=advantage, values=value)
        callback.model = SimpleNamespace(rollout_buffer=buffer)
        callback._on_rollout_end()
    by_key = {score.key: score for score in curriculum.heard}
    assert set(by_key) == {7, 9}
    assert by_key[9] == EpisodeScore(9, positive_advantage=1.5, mean_value=0.5, steps=2)
    # Task 7: positive advantages 1, 0, 3, 4 over four steps; values 0.5 x3 and 0.25.
    assert by_key[7].positive_advantage == pytest.approx(2.0)
    assert by_key[7].mean_value == pytest.approx(0.4375) and by_key[7].steps == 4


def started(name: str, **settings: object) -> Curriculum:
    spec = name + (":" if settings else "") + ",".join(f"{k}={v}" for k, v in settings.items())
    curriculum = CURRICULA.build(spec)
    curriculum.start(MAZE_ID, dict(BASE), seed=0)
    return curriculum


def finish(curriculum: Curriculum, task: Task, success: bool, value: float = 0.5) -> None:
    """Play ``task`` to the end with the given outcome and score it."""
    curriculum.episode_done(EpisodeRecord(0, task, success, float(success), 5, task.level))
    curriculum.observe_scores([EpisodeScore(task.key, float(success), value, 5)])


def learnability(level_outcomes: list[bool], all_outcomes: list[bool]) -> float:
    """The learnability score worked out by hand: the level's rate shrunk to the recent one."""
    prior = (sum(all_outcomes) + 1) / (len(all_outcomes) + 2)
    rate = (sum(level_outcomes) + 2 * prior) / (len(level_outcomes) + 2)
    return rate * (1 - rate)


def test_learnability_prefers_levels_a_strong_student_fails() -> None:
    plr = started("plr", score="learnability", warmup=3, buffer_size=3, replay=0.0, memory=4)
    elsewhere = Task(-1, plr.base_params)
    for _ in range(8):
        plr.episode_done(EpisodeRecord(0, elsewhere, True, 1.0, 5))
    history = [True] * 8
    tasks = [plr.task_started(0) for _ in range(3)]
    for task, success in zip(tasks, (True, False, True), strict=True):
        finish(plr, task, success)
        history.append(success)
        assert plr.scores[task.key] == pytest.approx(learnability([success], history))
    assert plr.scores[tasks[1].key] > 3 * plr.scores[tasks[0].key]
    keys, odds = plr.replay_odds()
    assert keys[int(np.argmax(odds))] == tasks[1].key
    # Replayed and failed again, level 1 comes nearer a rate of one half.
    finish(plr, Task(tasks[1].key, tasks[1].params, tasks[1].level, "replay"), False)
    history.append(False)
    assert plr.scores[tasks[1].key] == pytest.approx(learnability([False, False], history))
    # A new level failed once displaces the lowest-scored level, one solved once.
    lowest = min((tasks[0], tasks[2]), key=lambda task: plr.scores[task.key])
    fresh = plr.task_started(0)
    finish(plr, fresh, success=False)
    assert set(plr.levels) == {task.key for task in [*tasks, fresh]} - {lowest.key}
    assert lowest.key not in plr.outcomes and lowest.key not in plr.scores


def test_replay_odds_follow_rank_and_staleness_and_share_ties() -> None:
    plr = started("plr", warmup=1, replay=0.0, temperature=0.5, staleness=0.0)
    tasks = [plr.task_started(0) for _ in range(4)]
    for task in tasks:
        finish(plr, task, success=True)
    for task, score in zip(tasks, (0.1, 0.3, 0.3, 0.2), strict=True):
        plr.scores[task.key] = score
    keys, odds = plr.replay_odds()
    by_key = dict(zip(keys, odds, strict=True))
    # Ranks 4, 1, 1, 3 (ties share the best rank); weights (1 / rank) ** 2.
    weights = np.array([1 / 16, 1, 1, 1 / 9])
    expected = weights / weights.sum()
    assert [by_key[task.key] for task in tasks] == pytest.approx(expected)
    plr.staleness = 1.0
    plr.last_played = {task.key: index for index, task in enumerate(tasks)}
    plr.tasks_started = 10
    keys, odds = plr.replay_odds()
    assert list(odds) == pytest.approx(np.array([10, 9, 8, 7]) / 34)


def test_maxmc_scores_the_best_return_minus_the_value() -> None:
    plr = started("plr", score="maxmc", warmup=1, replay=0.0)
    task = plr.task_started(0)
    finish(plr, task, success=True, value=0.25)
    assert plr.scores[task.key] == pytest.approx(0.75)
    finish(plr, Task(task.key, task.params, task.level, "replay"), success=False, value=0.5)
    assert plr.scores[task.key] == pytest.approx(0.5)


def test_a_level_offered_twice_is_buffered_once() -> None:
    plr = started("plr", score="learnability", replay=0.0)
    first = plr.task_started(0)
    finish(plr, first, success=True)
    again = Task(plr.new_key(), first.params, first.level, origin="new")
    plr._unscored[again.key] = again
    plr.last_played[again.key] = plr.tasks_started
    finish(plr, again, success=False)
    assert list(plr.levels) == [first.key] and plr.duplicates == 1
    assert plr.outcomes[first.key] == [True, False]
    assert plr.scores[first.key] == pytest.approx(learnability([True, False], [True, False]))


def test_accel_plays_each_child_next_and_keeps_drawing_new_levels() -> None:
    accel = started("accel", replay=0.8, warmup=4, score="learnability", edits=2, empty=True)
    origins = []
    for _ in range(600):
        task = accel.task_started(0)
        origins.append(task.origin)
        finish(accel, task, success=bool(accel.rng.random() < 0.5))
    for before, after in itertools.pairwise(origins):
        assert (after == "mutation") == (before == "replay")
    late = origins[300:]
    assert abs(late.count("replay") - late.count("mutation")) <= 1
    # p / (1 + p) of the episodes are replays, (1 - p) / (1 + p) new levels.
    assert 0.35 < late.count("replay") / len(late) < 0.55
    assert 0.05 < late.count("new") / len(late) < 0.2
    fresh = [r.task.level for r in accel.records if r.task.origin == "new"]
    assert all(level.walls.sum() == 0 for level in fresh)
    assert any(level.walls.sum() > 2 for level in (t.level for t in accel.levels.values()))


def test_teacher_designer_sees_only_the_recent_window() -> None:
    teacher = started("teacher", designer="random", episodes=2, window=4)
    seen: list[int] = []
    propose = teacher.design.propose

    def spy(history: list) -> object:
        seen.append(len(history))
        return propose(history)

    teacher.design.propose = spy
    proposals = []
    for index in range(40):
        task = teacher.task_started(0)
        teacher.episode_done(EpisodeRecord(0, task, index % 3 == 0, 0.0, 5))
        proposals.append(tuple(sorted(task.params.items())))
    assert len(teacher.trials) == 20 and teacher.runs >= 8
    assert seen[:3] == [1, 2, 3] and set(seen[3:]) == {2, 3}
    # Fresh design runs are seeded afresh, so a random designer does not repeat itself.
    assert len(set(proposals)) == 20


@pytest.mark.slow
def test_domain_randomization_varies_only_the_level_parameters() -> None:
    result = train("dr", 2048, seed=0, params=BASE, settings=TINY)
    played = [record.task.params for record in result.curriculum.records]
    assert len(played) >= 20
    assert len({params["size"] for params in played}) > 3
    assert len({params["wall_density"] for params in played}) == len(played)
    assert {params["view_size"] for params in played} == {5}
    assert {params["step_limit"] for params in played} == {40}
    # The auto-reset really played levels of the sizes handed out.
    for record in result.curriculum.records:
        assert record.level.shape == (record.task.params["size"],) * 2


@pytest.mark.slow
def test_plr_buffers_scored_levels_and_replays_them_unchanged() -> None:
    curriculum = CURRICULA.build("plr:replay=0.6,warmup=4,buffer_size=8,score=learnability")
    result = train(curriculum, 3072, seed=1, params=BASE, settings=TINY)
    assert isinstance(result.curriculum, PrioritizedLevelReplay)
    assert len(curriculum.levels) == 8
    assert all(0 < score <= 0.25 for score in curriculum.scores.values())
    assert all(record.level == record.task.level for record in curriculum.records)
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
    curriculum = CURRICULA.build("accel:replay=0.7,warmup=4,buffer_size=16,edits=2,empty=true")
    train(curriculum, 3072, seed=2, params=BASE, settings=TINY)
    assert isinstance(curriculum, ACCEL)
    origins = [record.task.origin for record in curriculum.records]
    assert origins.count("replay") >= 5 and origins.count("mutation") >= 3
    mutations = [r.task for r in curriculum.records if r.task.origin == "mutation"]
    assert any(task.level != curriculum.parents[task.key] for task in mutations)
    assert all(goal_distance(task.level) is not None for task in mutations)
    fresh = [r.task.level for r in curriculum.records if r.task.origin == "new"]
    assert fresh and all(level.walls.sum() == 0 for level in fresh)
    assert all(record.level == record.task.level for record in curriculum.records)


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
    for record in curriculum.records:
        assert record.level.shape == (record.task.params["size"],) * 2


def test_previous_action_is_added_to_the_observation() -> None:
    env = PreviousAction(gym.make(MAZE_ID, obs_mode="array", level="S.G"))
    assert env.observation_space[PREVIOUS_ACTION].n == 4
    observation, _ = env.reset(seed=0)
    assert observation[PREVIOUS_ACTION] == 3 and env.observation_space.contains(observation)
    observation, *_ = env.step(1)
    assert observation[PREVIOUS_ACTION] == 1 and set(observation) == {
        "view",
        "facing",
        PREVIOUS_ACTION,
    }
    with pytest.raises(BetalError, match="obs_mode='array'"):
        PreviousAction(gym.make(MAZE_ID, obs_mode="text"))


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
    for name in ("PPO + DR (", "PPO + PLR (", "PPO + ACCEL (", "PPO + teacher ("):
        assert f"| {name}" in table
    assert "| maze-bfs | 8/8 | 1.000 |" in table and "| maze-random |" in table
    for name in ("DR", "PLR", "ACCEL", "teacher"):
        assert f"\n| {name} | " in table  # the served-levels table
    assert (tmp_path / "curriculum.png").stat().st_size > 1000
    records = json.loads((tmp_path / "curriculum.json").read_text())
    assert len(records["runs"]) == 4 and all(len(run["curve"]) >= 2 for run in records["runs"])
    assert all(run["served"]["levels"]["distinct"] >= 1 for run in records["runs"])


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
