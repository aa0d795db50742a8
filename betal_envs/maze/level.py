"""The maze level as a value: walls, start, facing and goal, with a text form and BFS.

A :class:`Level` is what a designer outputs and what a curriculum stores, replays and
mutates; it holds no runtime state (the agent's current position lives in the env). Its text
form is meant to be read and written by people and LLMs::

    #######
    #S..#G#
    #.#.#.#
    #.#...#
    #######
    facing: east

``#`` is a wall, ``.`` floor, ``S`` the start and ``G`` the goal; the last line gives the
direction the agent faces at the start. Cells outside the grid count as walls, so a border
of ``#`` is optional. Positions are ``(row, col)`` with row 0 at the top.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from betal_envs.errors import BetalError, did_you_mean

#: Facings in clockwise order, as in Minigrid: turning right adds one.
FACINGS: tuple[str, ...] = ("east", "south", "west", "north")
#: The ``(row, col)`` step one cell forward for each facing.
FORWARD: tuple[tuple[int, int], ...] = ((0, 1), (1, 0), (0, -1), (-1, 0))

WALL, FLOOR, START, GOAL = "#", ".", "S", "G"
#: The largest side length a level may have.
MAX_SIDE = 32


class LevelError(BetalError, ValueError):
    """A level's text or content is not a valid maze; the message says what and how to fix it."""


@dataclass(frozen=True, eq=False)
class Level:
    """One maze: a boolean wall grid, a start cell with a facing, and a goal cell.

    Attributes:
        walls: ``(height, width)`` boolean array, ``True`` where a wall stands; read-only.
        start: ``(row, col)`` where the agent starts.
        facing: index into :data:`FACINGS` of the start direction.
        goal: ``(row, col)`` of the goal.
    """

    walls: np.ndarray
    start: tuple[int, int]
    facing: int
    goal: tuple[int, int]
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        walls = np.array(self.walls, dtype=bool)
        walls.setflags(write=False)
        object.__setattr__(self, "walls", walls)
        object.__setattr__(self, "start", (int(self.start[0]), int(self.start[1])))
        object.__setattr__(self, "goal", (int(self.goal[0]), int(self.goal[1])))
        object.__setattr__(self, "facing", int(self.facing))
        key = np.array([*walls.shape, *self.start, self.facing, *self.goal], np.int64)
        object.__setattr__(self, "_key", key.tobytes() + np.packbits(walls).tobytes())

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.walls.shape[0]), int(self.walls.shape[1]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Level) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        height, width = self.shape
        return f"Level({height}x{width}, start={self.start}, goal={self.goal})"

    def problems(self) -> list[str]:
        """Every reason the level is not playable, as sentences (empty when it is valid)."""
        if self.walls.ndim != 2:
            return [f"the wall grid has {self.walls.ndim} dimensions; it must be a 2-D array"]
        height, width = self.shape
        found: list[str] = []
        if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE):
            found.append(f"the grid is {height}x{width}; each side must be 1..{MAX_SIDE}")
            return found
        if not 0 <= self.facing < len(FACINGS):
            found.append(f"facing {self.facing} is not one of 0..3 ({', '.join(FACINGS)})")
        for name, (row, col) in (("start", self.start), ("goal", self.goal)):
            if not (0 <= row < height and 0 <= col < width):
                found.append(f"the {name} {(row, col)} lies outside the {height}x{width} grid")
            elif self.walls[row, col]:
                found.append(f"the {name} {(row, col)} is on a wall; clear that cell")
        if self.start == self.goal:
            found.append(f"start and goal are both at {self.start}; move the goal")
        if not found and goal_distance(self) is None:
            found.append("the goal cannot be reached from the start; open a path through the walls")
        return found

    def check(self) -> Level:
        """Return the level itself if it is playable.

        Raises:
            LevelError: listing every problem found.
        """
        found = self.problems()
        if found:
            raise LevelError("invalid maze level: " + "; ".join(found) + ".")
        return self

    def to_text(self) -> str:
        """The level in the text format of this module (see :func:`parse_level`)."""
        rows = [[WALL if wall else FLOOR for wall in line] for line in self.walls]
        rows[self.start[0]][self.start[1]] = START
        rows[self.goal[0]][self.goal[1]] = GOAL
        grid = "\n".join("".join(row) for row in rows)
        return f"{grid}\nfacing: {FACINGS[self.facing]}\n"

    def __str__(self) -> str:
        return self.to_text()


def parse_level(text: str) -> Level:
    """Read a level from its text form and check that it is playable.

    The grid lines use ``#``, ``.``, ``S`` and ``G`` and must all have the same length; a line
    ``facing: east|south|west|north`` may come anywhere (``east`` when absent). Blank lines
    and surrounding whitespace are ignored.

    Raises:
        LevelError: naming the offending line or character and the fix.
    """
    if not isinstance(text, str):
        raise LevelError(f"a level is text, got {type(text).__name__}; pass the maze as a string.")
    facing = 0
    grid: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.lower().startswith("facing"):
            word = line.partition(":")[2].strip().lower()
            if word not in FACINGS:
                raise LevelError(
                    f"line {number}: facing {word!r} is unknown; write one of "
                    f"{', '.join(FACINGS)}.{did_you_mean(word, FACINGS)}"
                )
            facing = FACINGS.index(word)
            continue
        bad = sorted(set(line) - {WALL, FLOOR, START, GOAL})
        if bad:
            raise LevelError(
                f"line {number} has {''.join(bad)!r}; grid lines use only '#' (wall), "
                "'.' (floor), 'S' (start) and 'G' (goal)."
            )
        grid.append(line)
    if not grid:
        raise LevelError("the level has no grid lines; draw the maze with '#', '.', 'S' and 'G'.")
    widths = sorted({len(line) for line in grid})
    if len(widths) > 1:
        raise LevelError(f"grid lines have different lengths {widths}; pad them to one width.")
    cells = np.array([list(line) for line in grid])
    starts, goals = np.argwhere(cells == START), np.argwhere(cells == GOAL)
    if len(starts) != 1 or len(goals) != 1:
        raise LevelError(
            f"the grid has {len(starts)} 'S' and {len(goals)} 'G'; it needs exactly one of each."
        )
    level = Level(cells == WALL, tuple(starts[0]), facing, tuple(goals[0]))
    return level.check()


def distance_map(walls: np.ndarray, source: tuple[int, int]) -> np.ndarray:
    """Breadth-first distances (in moves) from ``source`` to every cell; -1 where unreachable.

    Moves go between edge-adjacent floor cells; turning costs nothing here.
    """
    height, width = walls.shape
    distances = np.full((height, width), -1, dtype=np.int32)
    if walls[source]:
        return distances
    distances[source] = 0
    frontier = deque([source])
    while frontier:
        row, col = frontier.popleft()
        step = distances[row, col] + 1
        for d_row, d_col in FORWARD:
            r, c = row + d_row, col + d_col
            if 0 <= r < height and 0 <= c < width and distances[r, c] < 0 and not walls[r, c]:
                distances[r, c] = step
                frontier.append((r, c))
    return distances


def goal_distance(level: Level) -> int | None:
    """The fewest forward moves from start to goal, or ``None`` when the goal is unreachable."""
    distance = int(distance_map(level.walls, level.start)[level.goal])
    return distance if distance >= 0 else None


def is_solvable(level: Level) -> bool:
    """Whether the goal can be reached from the start."""
    return goal_distance(level) is not None
