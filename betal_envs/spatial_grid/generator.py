"""Instances of the spatial grid, generated from parameters and a 64-bit seed.

An instance is a starting board, a list of numbered operations (distractors included), a
question and its gold answer, which is found by simulating the operations with
:mod:`betal_envs.spatial_grid.rules`. Everything random goes through one
``random.Random(seed)``, so an instance is the same in every process and can be regenerated
alone from its seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from betal_envs.spatial_grid.rules import (
    DIRECTIONS,
    IDLE,
    MOVE,
    ROTATE,
    SHIFT,
    TURN,
    Operation,
    Particle,
    simulate,
)

#: Question kinds: a particle's final cell, its final facing, or one particle's final cell
#: as seen from another's.
POSITION, FACING, RELATIVE = "position", "facing", "relative"
QUESTION_KINDS: tuple[str, ...] = (POSITION, FACING, RELATIVE)

#: Distractor wordings available per target: a particle, or the whole board.
PARTICLE_IDLE_WORDINGS = 8
BOARD_IDLE_WORDINGS = 5

#: An answer: ``(row, col)`` for a position, a direction name for a facing,
#: ``(rows down, columns right)`` for a relative position.
Answer = tuple[int, int] | str


@dataclass(frozen=True, slots=True)
class GridInstance:
    """One puzzle of the spatial grid.

    Attributes:
        size: cells per side of the board.
        wrap: whether edges wrap around (otherwise moves off the board are blocked).
        start: the particles before the first operation; particle ``i`` is named ``"ABC..."[i]``.
        operations: the numbered operations in order, distractors (``IDLE``) included.
        question: ``"position"``, ``"facing"`` or ``"relative"``.
        subject: the particle asked about (for ``"relative"``, the reference particle).
        other: for ``"relative"``, the particle located from ``subject``; otherwise ``-1``.
        final: the particles after every operation.
        gold: the answer, in the form :data:`Answer` describes.
    """

    size: int
    wrap: bool
    start: tuple[Particle, ...]
    operations: tuple[Operation, ...]
    question: str
    subject: int
    other: int
    final: tuple[Particle, ...]
    gold: Answer


def answer_for(question: str, subject: int, other: int, final: tuple[Particle, ...]) -> Answer:
    """The answer to a question about the final particles."""
    mine = final[subject]
    if question == POSITION:
        return (mine.row, mine.col)
    if question == FACING:
        return DIRECTIONS[mine.facing]
    theirs = final[other]
    return (theirs.row - mine.row, theirs.col - mine.col)


def generate(params: Mapping[str, Any], seed: int) -> GridInstance:
    """Generate the instance of ``seed`` for a validated parameter set.

    The share parameters are per-operation probabilities: each real operation acts on the
    whole board with probability ``board_op_share`` and is a rotation (rather than a move or
    shift) with probability ``rotation_share``. Distractors are placed uniformly among the
    real operations.
    """
    rng = random.Random(seed)
    uniform, bits = rng.random, rng.getrandbits
    size, count = params["board_size"], params["n_particles"]

    cells = rng.sample(range(size * size), count)
    start = tuple(Particle(cell // size, cell % size, bits(2)) for cell in cells)

    board_share, rotation_share = params["board_op_share"], params["rotation_share"]
    quarters = [angle // 90 for angle in params["angles"]]
    frame = params["move_frame"]
    operations: list[Operation] = []
    for _ in range(params["n_operations"]):
        on_board = uniform() < board_share
        particle = -1 if on_board else int(uniform() * count)
        if uniform() < rotation_share:
            quarter = quarters[int(uniform() * len(quarters))]
            clockwise = bool(bits(1))
            amount = quarter if clockwise else 4 - quarter
            kind = ROTATE if on_board else TURN
            operations.append(Operation(kind, particle, amount, False, clockwise))
        elif on_board:
            operations.append(Operation(SHIFT, -1, bits(2)))
        else:
            relative = frame == "relative" or (frame == "mixed" and bool(bits(1)))
            operations.append(Operation(MOVE, particle, bits(2), relative))

    for _ in range(params["n_distractors"]):
        if uniform() < board_share:
            idle = Operation(IDLE, -1, int(uniform() * BOARD_IDLE_WORDINGS))
        else:
            idle = Operation(IDLE, int(uniform() * count), int(uniform() * PARTICLE_IDLE_WORDINGS))
        operations.insert(int(uniform() * (len(operations) + 1)), idle)

    kinds = params["question_kinds"]
    question = kinds[int(uniform() * len(kinds))]
    subject, other = int(uniform() * count), -1
    if question == RELATIVE:
        # Pick uniformly among the other particles (the constraint guarantees one exists).
        other = int(uniform() * (count - 1))
        other += other >= subject

    steps = tuple(operations)
    final = simulate(size, params["wrap_around"], start, steps)
    gold = answer_for(question, subject, other, final)
    return GridInstance(
        size, params["wrap_around"], start, steps, question, subject, other, final, gold
    )
