"""Pictures of a maze for ``render_mode="rgb_array"``."""

from __future__ import annotations

import numpy as np

from betal_envs.maze.level import Level

#: Pixels per cell side.
TILE = 12

_FLOOR = np.array([40, 40, 40], np.uint8)
_SEEN = np.array([90, 90, 110], np.uint8)
_WALL = np.array([150, 150, 150], np.uint8)
_GOAL = np.array([40, 190, 60], np.uint8)
_AGENT = np.array([230, 60, 50], np.uint8)


def _agent_tile(facing: int) -> np.ndarray:
    """A ``TILE x TILE`` mask of a triangle pointing east, turned to ``facing``."""
    rows, cols = np.mgrid[0:TILE, 0:TILE] + 0.5
    centre = TILE / 2
    east = (cols > TILE * 0.15) & (np.abs(rows - centre) < (TILE * 0.85 - cols) * 0.6)
    return np.rot90(east, k=-facing)


def render_rgb(
    level: Level, position: tuple[int, int], facing: int, visible: np.ndarray
) -> np.ndarray:
    """Draw the level with the agent and its view highlighted.

    Args:
        level: the maze.
        position: the agent's ``(row, col)``.
        facing: the agent's facing index (0 east, clockwise).
        visible: ``(n, 2)`` grid cells the agent sees (cells off the grid are ignored).

    Returns:
        An ``(height * TILE, width * TILE, 3)`` ``uint8`` picture.
    """
    height, width = level.shape
    cells = np.empty((height, width, 3), np.uint8)
    cells[:] = _FLOOR
    inside = (visible[:, 0] >= 0) & (visible[:, 0] < height)
    inside &= (visible[:, 1] >= 0) & (visible[:, 1] < width)
    cells[visible[inside, 0], visible[inside, 1]] = _SEEN
    cells[level.walls] = _WALL
    cells[level.goal] = _GOAL
    picture = np.repeat(np.repeat(cells, TILE, axis=0), TILE, axis=1)
    row, col = position[0] * TILE, position[1] * TILE
    tile = picture[row : row + TILE, col : col + TILE]
    tile[_agent_tile(facing)] = _AGENT
    picture[::TILE, :] //= 2
    picture[:, ::TILE] //= 2
    return picture
