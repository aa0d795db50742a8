"""Pictures of a spatial grid board: text for ``render_mode="ansi"``, RGB for ``"rgb_array"``.

Both show one moment of an instance (the start while the question is open, the end once it
has been answered). In the RGB picture each particle is a triangle in its own colour whose
tip points the way it faces, with its name on it where the cells are large enough; particles
sharing a cell are drawn nested, later ones smaller. Rows and columns are numbered as in the
prompt, a caption says which moment is shown, and a legend below lists every particle's
position and facing, so the picture can be checked against an answer by eye.
"""

from __future__ import annotations

import math

import numpy as np

from betal_envs.drawing import INK, MUTED, Label, draw_labels, text_width
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


def board_picture(size: int, particles: tuple[Particle, ...], caption: str = "") -> np.ndarray:
    """The board as an ``(H, W, 3)`` ``uint8`` image: numbered chequered grid, named triangles,
    ``caption`` above and a legend of positions and facings below."""
    cell = max(14, 320 // size)
    numbers = min(13, max(9, int(cell * 0.4)))
    pad, legend_size, legend_line = 8, 12, 17
    left = pad + text_width(str(size - 1), numbers) + 6
    top = pad + (18 if caption else 0) + numbers + 6
    board_side = size * cell + 1
    entries = [
        f"{name(i)}: ({p.row}, {p.col}) facing {DIRECTIONS[p.facing]}"
        for i, p in enumerate(particles)
    ]
    # Sized for the widest entry the board allows, so that every frame has one size.
    widest = (f"W: ({size - 1}, {size - 1}) facing {d}" for d in DIRECTIONS)
    entry_width = max(text_width(e, legend_size) for e in widest) + 24
    width = left + board_side + pad
    columns = max(1, min(len(entries), (width - 2 * pad) // max(1, entry_width)))
    legend_rows = math.ceil(len(entries) / columns)
    height = top + board_side + pad + legend_rows * legend_line + pad

    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    board = image[top : top + board_side, left : left + board_side]
    rows, cols = np.indices((size, size))
    shade = np.kron((rows + cols) % 2, np.ones((cell, cell), dtype=np.int64)).astype(bool)
    board[: size * cell, : size * cell][shade] = _CELL_SHADE
    board[::cell, :] = _GRID_LINE
    board[:, ::cell] = _GRID_LINE

    labels = [Label(caption, pad, pad + 7, INK, 13)] if caption else []
    every = 1 if cell >= 2 * text_width("00", numbers) else 2
    for index in range(0, size, every):
        middle = index * cell + cell / 2
        labels.append(
            Label(str(index), left + middle, top - 4 - numbers / 2, MUTED, numbers, "centre")
        )
        labels.append(Label(str(index), left - 5, top + middle, MUTED, numbers, "right"))

    stacked: dict[tuple[int, int], list[int]] = {}
    for i, particle in enumerate(particles):
        here = stacked.setdefault((particle.row, particle.col), [])
        inner = max(3, int((cell - 4) * 0.7 ** len(here)))
        here.append(i)
        row_at = particle.row * cell + (cell - inner) // 2
        col_at = particle.col * cell + (cell - inner) // 2
        mask = _triangle(inner, particle.facing)
        board[row_at : row_at + inner, col_at : col_at + inner][mask] = PARTICLE_COLOURS[i]
    if cell >= 18:
        letters = min(20, int(cell * 0.4))
        for (row, col), here in stacked.items():
            labels.append(
                Label(
                    "".join(name(i) for i in here),
                    left + col * cell + cell / 2,
                    top + row * cell + cell / 2,
                    (255, 255, 255),
                    letters,
                    "centre",
                    outline=(40, 40, 40),
                )
            )

    legend_top = top + board_side + pad
    for i, entry in enumerate(entries):
        x = pad + (i % columns) * entry_width
        y = legend_top + (i // columns) * legend_line
        image[y + 3 : y + legend_line - 4, x : x + 10] = PARTICLE_COLOURS[i]
        labels.append(Label(entry, x + 15, y + legend_line / 2, INK, legend_size))
    draw_labels(image, labels)
    return image
