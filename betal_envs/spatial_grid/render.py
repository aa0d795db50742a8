"""Pictures of a spatial grid board: text for ``render_mode="ansi"``, RGB for ``"rgb_array"``.

Both show one moment of an instance (the start while the question is open, the end once it
has been answered). In the RGB picture each particle is a triangle in its own colour whose
tip points the way it faces; particles sharing a cell are drawn nested, later ones smaller.
Drawing uses numpy only, so it is cheap enough to call every step.
"""

from __future__ import annotations

import numpy as np

from betal_envs.spatial_grid.rules import DIRECTIONS, Particle
from betal_envs.spatial_grid.text import name

_ARROWS = "^>v<"
_BACKGROUND = (250, 248, 240)
_CELL_SHADE = (232, 230, 222)
_GRID_LINE = (150, 150, 150)
#: One colour per particle, A to H, chosen to stay distinct on the light board.
PARTICLE_COLOURS: tuple[tuple[int, int, int], ...] = (
    (214, 39, 40),
    (31, 119, 180),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (23, 190, 207),
    (140, 86, 75),
    (227, 119, 194),
)


def board_text(size: int, particles: tuple[Particle, ...], title: str) -> str:
    """The board as a text grid (``A>`` is particle A facing east) with a list below."""
    cells: dict[tuple[int, int], list[int]] = {}
    for i, particle in enumerate(particles):
        cells.setdefault((particle.row, particle.col), []).append(i)
    width = len(str(size - 1))
    header = " " * (width + 1) + " ".join(f"{c:>2}" for c in range(size))
    lines = [title, header]
    for row in range(size):
        shown = []
        for col in range(size):
            here = cells.get((row, col), [])
            if not here:
                shown.append(" .")
            elif len(here) == 1:
                shown.append(name(here[0]) + _ARROWS[particles[here[0]].facing])
            else:
                shown.append(name(here[0]) + "+")
        lines.append(f"{row:>{width}} " + " ".join(shown))
    for i, particle in enumerate(particles):
        lines.append(
            f"{name(i)}: ({particle.row}, {particle.col}) facing {DIRECTIONS[particle.facing]}"
        )
    return "\n".join(lines)


def _triangle(side: int, facing: int) -> np.ndarray:
    """A boolean ``side x side`` mask of a triangle whose tip points in ``facing``."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float64) + 0.5
    half = side / 2
    # Pointing north: the tip at the top centre, the base along the bottom edge.
    north = np.abs(x - half) <= (y / side) * half
    return np.rot90(north, k=-facing)


def board_picture(size: int, particles: tuple[Particle, ...]) -> np.ndarray:
    """The board as an ``(H, W, 3)`` ``uint8`` image: a chequered grid and coloured triangles."""
    cell = max(12, 240 // size)
    margin = 4
    side = size * cell + 2 * margin
    image = np.empty((side, side, 3), dtype=np.uint8)
    image[:] = _BACKGROUND

    rows, cols = np.indices((size, size))
    shade = np.kron((rows + cols) % 2, np.ones((cell, cell), dtype=np.int64)).astype(bool)
    board = image[margin : side - margin, margin : side - margin]
    board[shade] = _CELL_SHADE
    board[::cell, :] = _GRID_LINE
    board[:, ::cell] = _GRID_LINE
    board[-1, :] = _GRID_LINE
    board[:, -1] = _GRID_LINE

    stacked: dict[tuple[int, int], int] = {}
    for i, particle in enumerate(particles):
        depth = stacked.get((particle.row, particle.col), 0)
        stacked[(particle.row, particle.col)] = depth + 1
        inner = max(3, int((cell - 4) * 0.7**depth))
        top = particle.row * cell + (cell - inner) // 2
        left = particle.col * cell + (cell - inner) // 2
        mask = _triangle(inner, particle.facing)
        board[top : top + inner, left : left + inner][mask] = PARTICLE_COLOURS[i]
    return image
