"""The maze students: the BFS reference with its knobs, the random floor, the PPO loader."""

from __future__ import annotations

import numpy as np
import pytest

from agents.evaluation import evaluate
from agents.registry import STUDENTS
from agents.rl import maze_students  # noqa: F401  (registers the maze students)
from agents.rl.maze_students import distances_to
from betal_envs.errors import SpecError
from betal_envs.maze import MAZE_ID, MazeEnv

EASY = {"size": 5, "wall_density": 0.1, "min_goal_distance": 3, "step_limit": 60}
HARD = {"size": 15, "wall_density": 0.4, "min_goal_distance": 24, "view_size": 3, "step_limit": 40}


def test_bfs_student_solves_easy_mazes_and_fails_hard_ones() -> None:
    student = STUDENTS.build("maze-bfs:epsilon=0")
    assert evaluate(student, MAZE_ID, EASY, episodes=20, seed=0).rate == 1.0
    assert evaluate(student, MAZE_ID, HARD, episodes=20, seed=0).rate <= 0.2


def test_default_student_spans_the_target() -> None:
    student = STUDENTS.build("maze-bfs")
    easy = evaluate(student, MAZE_ID, {"step_limit": 200}, episodes=20, seed=1).rate
    hard = evaluate(student, MAZE_ID, {"step_limit": 25, "size": 13}, episodes=20, seed=1).rate
    assert easy >= 0.8 and hard <= 0.3


def test_defaults_are_of_middling_difficulty_for_the_default_student() -> None:
    record = evaluate(STUDENTS.build(MazeEnv.default_student), MAZE_ID, episodes=100, seed=0)
    assert 0.3 <= record.rate <= 0.7


def test_knobs_weaken_the_bfs_student() -> None:
    params = {"size": 11, "wall_density": 0.3, "min_goal_distance": 14, "step_limit": 80}
    strong = evaluate(STUDENTS.build("maze-bfs:epsilon=0,memory=0"), MAZE_ID, params, episodes=30)
    weak = evaluate(STUDENTS.build("maze-bfs:epsilon=0.6,memory=5"), MAZE_ID, params, episodes=30)
    assert strong.rate > weak.rate


def test_random_student_is_the_floor_and_repeats() -> None:
    student = STUDENTS.build("maze-random")
    first = evaluate(student, MAZE_ID, episodes=20, seed=2)
    assert first.successes == evaluate(student, MAZE_ID, episodes=20, seed=2).successes
    assert first.rate < evaluate(STUDENTS.build("maze-bfs"), MAZE_ID, episodes=20, seed=2).rate


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("maze-bfs:memory=-1", "memory must be >= 0"),
        ("maze-bfs:epsilon=2", r"epsilon must be in \[0, 1\]"),
        ("maze-ppo", "needs a saved policy"),
    ],
)
def test_bad_settings_are_rejected(spec: str, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        STUDENTS.build(spec)


def test_wavefront_distances() -> None:
    passable = np.ones((3, 4), dtype=bool)
    passable[:2, 1] = False
    targets = np.zeros((3, 4), dtype=bool)
    targets[0, 0] = True
    assert distances_to(targets, passable).tolist() == [[0, -1, 6, 7], [1, -1, 5, 6], [2, 3, 4, 5]]
