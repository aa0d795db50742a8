"""The rules of the spatial grid: directions, operations, and how each one changes the board.

The board is square, ``size`` cells a side; rows and columns are numbered from 0, row 0 at the
top. Each particle has a cell and a facing. Directions are coded clockwise from north, so a
turn of ``q`` quarter turns clockwise adds ``q`` to a facing modulo 4, and a move relative to
the facing is the absolute direction ``(facing + offset) % 4``.

Operations are small immutable values (:class:`Operation`); :class:`Board` applies them one at
a time with plain integer arithmetic, which keeps generating and checking an instance cheap.
"""

from __future__ import annotations

from typing import NamedTuple

#: Direction codes, clockwise from north.
NORTH, EAST, SOUTH, WEST = 0, 1, 2, 3
DIRECTIONS: tuple[str, ...] = ("north", "east", "south", "west")
ROW_STEP: tuple[int, ...] = (-1, 0, 1, 0)
COL_STEP: tuple[int, ...] = (0, 1, 0, -1)

#: Moves relative to a facing, indexed by their clockwise offset from it.
RELATIVE_MOVES: tuple[str, ...] = ("forward", "right", "backward", "left")

#: Operation kinds: a particle moves or turns; the whole board shifts or rotates; or nothing
#: happens (a distractor sentence).
MOVE, TURN, SHIFT, ROTATE, IDLE = "move", "turn", "shift", "rotate", "idle"
OPERATION_KINDS: tuple[str, ...] = (MOVE, TURN, SHIFT, ROTATE, IDLE)


class Particle(NamedTuple):
    """Where one particle is and which way it faces (a direction code)."""

    row: int
    col: int
    facing: int


class Operation(NamedTuple):
    """One numbered step of an instance.

    Attributes:
        kind: ``MOVE``, ``TURN``, ``SHIFT``, ``ROTATE`` or ``IDLE``.
        particle: index of the particle it acts on; ``-1`` for the whole board.
        amount: for ``MOVE`` and ``SHIFT`` a direction code (for a relative move, the offset
            from the facing); for ``TURN`` and ``ROTATE`` the clockwise quarter turns (1-3);
            for ``IDLE`` the index of the distractor's wording.
        relative: ``MOVE`` only: ``amount`` is relative to the particle's facing.
        clockwise: ``TURN`` and ``ROTATE`` only: worded clockwise; otherwise worded as the
            counterclockwise turn of ``4 - amount`` quarters (the same effect).
    """

    kind: str
    particle: int = -1
    amount: int = 0
    relative: bool = False
    clockwise: bool = True


class Board:
    """The mutable state of an instance while its operations are applied.

    Args:
        size: cells per side.
        wrap: whether crossing an edge comes back on the opposite side; otherwise a move
            that would leave the board leaves that particle where it is.
        particles: the starting particles.
    """

    __slots__ = ("cols", "facings", "rows", "size", "wrap")

    def __init__(self, size: int, wrap: bool, particles: tuple[Particle, ...]) -> None:
        self.size = size
        self.wrap = wrap
        self.rows = [p.row for p in particles]
        self.cols = [p.col for p in particles]
        self.facings = [p.facing for p in particles]

    def particles(self) -> tuple[Particle, ...]:
        """The particles as they stand now."""
        return tuple(map(Particle, self.rows, self.cols, self.facings))

    def apply(self, operation: Operation) -> None:
        """Change the board as one operation says; ``IDLE`` changes nothing."""
        kind = operation.kind
        if kind == MOVE:
            particle = operation.particle
            direction = operation.amount
            if operation.relative:
                direction = (self.facings[particle] + direction) & 3
            self._step(particle, direction)
        elif kind == TURN:
            particle = operation.particle
            self.facings[particle] = (self.facings[particle] + operation.amount) & 3
        elif kind == SHIFT:
            for particle in range(len(self.rows)):
                self._step(particle, operation.amount)
        elif kind == ROTATE:
            self._rotate(operation.amount)

    def _step(self, particle: int, direction: int) -> None:
        row = self.rows[particle] + ROW_STEP[direction]
        col = self.cols[particle] + COL_STEP[direction]
        size = self.size
        if 0 <= row < size and 0 <= col < size:
            self.rows[particle], self.cols[particle] = row, col
        elif self.wrap:
            self.rows[particle], self.cols[particle] = row % size, col % size

    def _rotate(self, quarters: int) -> None:
        # A clockwise quarter turn about the centre sends (r, c) to (c, size - 1 - r).
        last = self.size - 1
        rows, cols = self.rows, self.cols
        for i in range(len(rows)):
            row, col = rows[i], cols[i]
            if quarters == 1:
                rows[i], cols[i] = col, last - row
            elif quarters == 2:
                rows[i], cols[i] = last - row, last - col
            elif quarters == 3:
                rows[i], cols[i] = last - col, row
        self.facings = [(facing + quarters) & 3 for facing in self.facings]


def simulate(
    size: int, wrap: bool, particles: tuple[Particle, ...], operations: tuple[Operation, ...]
) -> tuple[Particle, ...]:
    """The particles after applying every operation in order to a fresh board."""
    board = Board(size, wrap, particles)
    for operation in operations:
        board.apply(operation)
    return board.particles()
