"""Maze levels from parameters and a seed, and small edits of existing levels.

:func:`generate_level` scatters walls at random and puts the goal at least
``min_goal_distance`` moves from the start. Every level it returns is solvable. When a few
random layouts give no goal far enough away, it puts the start in a corner (where the
farthest cells are farthest) and thins the walls step by step until one is: a grid whose
wall density makes the distance impossible gets the densest walls that still allow it,
never a hand-made corridor that would be easier to follow than the noise it replaces.

:func:`mutate_level` makes the small edits ACCEL applies to replayed levels: toggle a wall,
move the goal. It never returns an unsolvable level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from betal_envs.maze.level import FACINGS, Level, distance_map, is_solvable

#: Random layouts tried at the requested wall density.
ATTEMPTS = 20
#: Steps by which the walls are thinned (to none at the last) when those layouts fail.
THINNING = 10
#: Layouts tried at each thinned density.
TRIES_PER_STEP = 3


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
    for _ in range(ATTEMPTS):
        level = _layout(size, density, distance, rng, corner=False)
        if level is not None:
            return level
    for step in range(1, THINNING + 1):
        for _ in range(TRIES_PER_STEP):
            thinned = density * (1 - step / THINNING)
            level = _layout(size, thinned, distance, rng, corner=True)
            if level is not None:
                return level
    raise RuntimeError(
        f"no cell of a {size}x{size} grid lies {distance} moves from a corner; "
        "use a size of at least 2."
    )


def _layout(
    size: int, density: float, distance: int, rng: np.random.Generator, corner: bool
) -> Level | None:
    """One random layout with a goal at least ``distance`` moves away, or ``None``."""
    walls = rng.random((size, size)) < density
    if corner:
        start = (int(rng.integers(2)) * (size - 1), int(rng.integers(2)) * (size - 1))
    else:
        start = (int(rng.integers(size)), int(rng.integers(size)))
    walls[start] = False
    distances = distance_map(walls, start)
    candidates = np.argwhere(distances >= distance)
    if not len(candidates):
        return None
    goal = tuple(candidates[rng.integers(len(candidates))])
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
