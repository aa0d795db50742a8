"""Maze levels from parameters and a seed, and small edits of existing levels.

:func:`generate_level` scatters walls at random and puts the goal at least
``min_goal_distance`` moves from the start. Every level it returns is solvable: when a few
random layouts give no goal far enough away, it carves a corridor through the last layout
between two cells whose Manhattan distance is large enough (a path can never be shorter than
that distance, so the requirement still holds).

:func:`mutate_level` makes the small edits ACCEL applies to replayed levels: toggle a wall,
move the goal. It never returns an unsolvable level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from betal_envs.maze.level import FACINGS, Level, distance_map, is_solvable

#: Random layouts tried before a corridor is carved.
ATTEMPTS = 20


def reachable_distance(size: int, min_goal_distance: int) -> int:
    """The goal distance actually required: the parameter, capped by the grid's diameter."""
    return max(1, min(int(min_goal_distance), 2 * (int(size) - 1)))


def generate_level(params: Mapping[str, Any], rng: np.random.Generator) -> Level:
    """Draw a solvable level for the maze parameters.

    Args:
        params: a validated parameter set with ``size``, ``wall_density`` and
            ``min_goal_distance``.
        rng: the only source of randomness, so a seed fixes the level.
    """
    size = int(params["size"])
    density = float(params["wall_density"])
    distance = reachable_distance(size, params["min_goal_distance"])
    walls = np.zeros((size, size), dtype=bool)
    for _ in range(ATTEMPTS):
        walls = rng.random((size, size)) < density
        start = (int(rng.integers(size)), int(rng.integers(size)))
        walls[start] = False
        distances = distance_map(walls, start)
        candidates = np.argwhere(distances >= distance)
        if len(candidates):
            goal = tuple(candidates[rng.integers(len(candidates))])
            return Level(walls, start, int(rng.integers(len(FACINGS))), goal)
    return _carve(walls, distance, rng)


def _carve(walls: np.ndarray, distance: int, rng: np.random.Generator) -> Level:
    """Open a staircase corridor between two cells at least ``distance`` apart (Manhattan)."""
    size = walls.shape[0]
    start, goal = (0, 0), (size - 1, size - 1)
    for _ in range(100):
        a, b = rng.integers(size, size=2), rng.integers(size, size=2)
        if abs(int(a[0]) - int(b[0])) + abs(int(a[1]) - int(b[1])) >= distance:
            start, goal = (int(a[0]), int(a[1])), (int(b[0]), int(b[1]))
            break
    walls = walls.copy()
    moves = [(int(np.sign(goal[0] - start[0])), 0)] * abs(goal[0] - start[0])
    moves += [(0, int(np.sign(goal[1] - start[1])))] * abs(goal[1] - start[1])
    row, col = start
    walls[row, col] = False
    for index in rng.permutation(len(moves)):
        row, col = row + moves[index][0], col + moves[index][1]
        walls[row, col] = False
    return Level(walls, start, int(rng.integers(len(FACINGS))), goal)


def mutate_level(level: Level, rng: np.random.Generator, edits: int = 1) -> Level:
    """Apply ``edits`` random edits, each a wall toggled or the goal moved to a floor cell.

    An edit that would make the goal unreachable is undone, so the result is always solvable.
    The start and its facing never change.
    """
    walls = level.walls.copy()
    goal = level.goal
    height, width = walls.shape
    for _ in range(edits):
        cell = (int(rng.integers(height)), int(rng.integers(width)))
        if cell in (level.start, goal):
            continue
        if rng.random() < 0.2 and not walls[cell]:
            candidate = Level(walls, level.start, level.facing, cell)
        else:
            toggled = walls.copy()
            toggled[cell] = not toggled[cell]
            candidate = Level(toggled, level.start, level.facing, goal)
        if is_solvable(candidate):
            walls, goal = candidate.walls.copy(), candidate.goal
    return Level(walls, level.start, level.facing, goal)


def level_difficulty(level: Level) -> dict[str, float]:
    """Simple descriptors of a level: side, wall fraction and shortest-path length."""
    distances = distance_map(level.walls, level.start)
    return {
        "size": float(max(level.shape)),
        "wall_density": float(level.walls.mean()),
        "goal_distance": float(distances[level.goal]),
    }
