"""The maze level value: text format, validity checks and breadth-first search."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from betal_envs.maze import Level, LevelError, distance_map, goal_distance, parse_level
from betal_envs.maze.generator import generate_level, mutate_level, reachable_distance

CORRIDOR = """
#####
#S.G#
#####
facing: west
"""


def test_parse_reads_walls_start_goal_and_facing() -> None:
    level = parse_level(CORRIDOR)
    assert level.shape == (3, 5)
    assert level.start == (1, 1) and level.goal == (1, 3)
    assert level.facing == 2
    assert level.walls[0].all() and not level.walls[1, 2]
    assert goal_distance(level) == 2


def test_facing_defaults_to_east() -> None:
    assert parse_level("S.G").facing == 0


@st.composite
def levels(draw: st.DrawFn) -> Level:
    height = draw(st.integers(2, 12))
    width = draw(st.integers(2, 12))
    walls = np.array(
        draw(st.lists(st.booleans(), min_size=height * width, max_size=height * width))
    )
    walls = walls.reshape(height, width)
    cells = draw(st.permutations([(r, c) for r in range(height) for c in range(width)]))
    start, goal = cells[0], cells[1]
    walls[start] = walls[goal] = False
    return Level(walls, start, draw(st.integers(0, 3)), goal)


@given(levels())
@settings(max_examples=60, deadline=None)
def test_text_round_trips_for_solvable_levels(level: Level) -> None:
    if goal_distance(level) is None:
        with pytest.raises(LevelError, match="cannot be reached"):
            parse_level(level.to_text())
    else:
        again = parse_level(level.to_text())
        assert again == level and hash(again) == hash(level)
        assert again.to_text() == level.to_text()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("S.X.G", r"'X'.*only '#'"),
        ("S..\n.G", "different lengths"),
        ("S..\n...", "0 'G'"),
        ("SSG", "2 'S'"),
        ("S#G", "cannot be reached"),
        ("S.G\nfacing: up", "facing 'up' is unknown"),
        ("facing: east", "no grid lines"),
    ],
)
def test_bad_text_is_rejected_with_the_reason(text: str, match: str) -> None:
    with pytest.raises(LevelError, match=match):
        parse_level(text)


def test_check_lists_every_problem() -> None:
    walls = np.zeros((3, 3), dtype=bool)
    walls[0, 0] = True
    level = Level(walls, (0, 0), 7, (5, 5))
    problems = level.problems()
    assert any("facing 7" in p for p in problems)
    assert any("start (0, 0) is on a wall" in p for p in problems)
    assert any("goal (5, 5) lies outside" in p for p in problems)
    with pytest.raises(LevelError, match="invalid maze level"):
        level.check()


def test_distance_map_counts_moves_and_marks_unreachable_cells() -> None:
    walls = np.array([[0, 0, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    distances = distance_map(walls, (0, 0))
    assert distances.tolist() == [[0, 1, 2], [-1, -1, 3], [6, 5, 4]]
    walls[1, 2] = True
    assert distance_map(walls, (0, 0))[2, 0] == -1


def test_level_is_immutable_and_hashable() -> None:
    level = parse_level(CORRIDOR)
    with pytest.raises(ValueError, match="read-only"):
        level.walls[0, 0] = False
    assert len({level, parse_level(CORRIDOR)}) == 1


@given(
    size=st.integers(5, 15),
    density=st.floats(0.0, 0.6),
    distance=st.integers(1, 28),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_every_generated_level_is_solvable_with_the_goal_far_enough(
    size: int, density: float, distance: int, seed: int
) -> None:
    params = {"size": size, "wall_density": density, "min_goal_distance": distance}
    level = generate_level(params, np.random.default_rng(seed))
    assert level.shape == (size, size)
    assert level.problems() == []
    assert goal_distance(level) >= reachable_distance(size, distance)


def test_mutations_keep_levels_solvable_and_change_them() -> None:
    rng = np.random.default_rng(0)
    level = parse_level("S....\n.....\n.....\n....G")
    changed = 0
    for _ in range(50):
        child = mutate_level(level, rng, edits=3)
        assert child.problems() == []
        assert child.start == level.start and child.facing == level.facing
        changed += child != level
    assert changed > 40
