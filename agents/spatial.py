"""Reference students of ``BeTaL/SpatialGrid-v0``: an exact solver with capacity knobs, and a
random guesser.

``spatial-exact`` reads only the text prompt, which shows that the prompt holds everything
needed: it recovers the board, the particles, every numbered sentence and the question,
simulates them with the template's rules and answers in the canonical format. Its knobs make
a family of weaker students: ``slip`` is the chance of getting one sentence wrong (the
probability of success falls roughly geometrically with the sentences that touch the asked
particle), and ``capacity`` is how many sentences it can follow before it stops tracking.

``spatial-random`` answers uniformly among the valid answers of the question's kind, so its
expected rate is ``1 / #answers``; it is the floor any student should clear.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from agents.registry import STUDENTS
from agents.student import Episode, Student, StudentFailure
from betal_envs.errors import SpecError
from betal_envs.spatial_grid.generator import FACING, POSITION, RELATIVE, answer_for
from betal_envs.spatial_grid.rules import (
    DIRECTIONS,
    IDLE,
    MOVE,
    RELATIVE_MOVES,
    ROTATE,
    SHIFT,
    TURN,
    Board,
    Operation,
    Particle,
)
from betal_envs.spatial_grid.text import PARTICLE_NAMES, format_answer

SPATIAL_ID = "BeTaL/SpatialGrid-v0"

_DIRECTION = "(north|east|south|west)"
_BOARD = re.compile(r"The board is a (\d+)x\1 grid")
_PARTICLE = re.compile(rf"^- Particle ([A-H]) at \((\d+), (\d+)\), facing {_DIRECTION}\.$", re.M)
_NUMBERED = re.compile(r"^(\d+)\. (.*)$", re.M)
_MOVE = re.compile(
    r"Particle ([A-H]) moves one cell (north|east|south|west|forward|backward|to its left"
    r"|to its right)\."
)
_TURN = re.compile(r"Particle ([A-H]) turns (90|180|270) degrees (clockwise|counterclockwise)\.")
_SHIFT = re.compile(rf"The whole board shifts one cell {_DIRECTION}\.")
_ROTATE = re.compile(
    r"The whole board rotates (90|180|270) degrees (clockwise|counterclockwise) about its centre\."
)
_NAMED = re.compile(r"Particle ([A-H])\b")
_QUESTIONS = (
    (POSITION, re.compile(r"Question: What is the final position of particle ([A-H])\?")),
    (FACING, re.compile(r"Question: Which way does particle ([A-H]) face at the end\?")),
    (RELATIVE, re.compile(r"Question: Where is particle ([A-H]) relative to particle ([A-H])")),
)


@dataclass(frozen=True)
class Puzzle:
    """What a student recovers from a prompt: the board, the sentences and the question."""

    size: int
    wrap: bool
    start: tuple[Particle, ...]
    operations: tuple[Operation, ...]
    question: str
    subject: int
    other: int


def _quarters(degrees: str, sense: str) -> int:
    quarters = int(degrees) // 90
    return quarters if sense == "clockwise" else 4 - quarters


def read_operation(sentence: str) -> Operation:
    """The operation a numbered sentence describes; anything else is read as ``IDLE``."""
    if match := _MOVE.fullmatch(sentence):
        where = match.group(2).removeprefix("to its ")
        particle = PARTICLE_NAMES.index(match.group(1))
        if where in DIRECTIONS:
            return Operation(MOVE, particle, DIRECTIONS.index(where))
        return Operation(MOVE, particle, RELATIVE_MOVES.index(where), relative=True)
    if match := _TURN.fullmatch(sentence):
        quarters = _quarters(match.group(2), match.group(3))
        return Operation(TURN, PARTICLE_NAMES.index(match.group(1)), quarters)
    if match := _SHIFT.fullmatch(sentence):
        return Operation(SHIFT, -1, DIRECTIONS.index(match.group(1)))
    if match := _ROTATE.fullmatch(sentence):
        return Operation(ROTATE, -1, _quarters(match.group(1), match.group(2)))
    named = _NAMED.match(sentence)
    return Operation(IDLE, PARTICLE_NAMES.index(named.group(1)) if named else -1)


def read_prompt(prompt: str) -> Puzzle:
    """Recover the puzzle from a SpatialGrid prompt.

    Raises:
        StudentFailure: when the text is not a SpatialGrid prompt.
    """
    board = _BOARD.search(prompt)
    start = tuple(
        Particle(int(row), int(col), DIRECTIONS.index(facing))
        for _, row, col, facing in _PARTICLE.findall(prompt)
    )
    _, _, steps = prompt.partition("Operations, in order:")
    operations = tuple(read_operation(sentence) for _, sentence in _NUMBERED.findall(steps))
    question = _read_question(prompt)
    if board is None or not start or question is None:
        raise StudentFailure("the observation is not a SpatialGrid prompt the student can read")
    wrap = "Edges wrap around" in prompt
    return Puzzle(int(board.group(1)), wrap, start, operations, *question)


def _read_question(prompt: str) -> tuple[str, int, int] | None:
    """The question kind, the subject and the other particle (``-1`` when none)."""
    for kind, pattern in _QUESTIONS:
        if asked := pattern.search(prompt):
            names = [PARTICLE_NAMES.index(letter) for letter in asked.groups()]
            # "Where is B relative to A": A is the reference (the subject), B the other.
            return (kind, names[1], names[0]) if kind == RELATIVE else (kind, names[0], -1)
    return None


def misread(operation: Operation, rng: random.Random) -> Operation:
    """A wrong version of an operation: another direction, another (or no) turn, or a
    distractor taken for a real move."""
    wrong = (operation.amount + 1 + rng.randrange(3)) % 4
    if operation.kind == IDLE:
        if operation.particle < 0:
            return Operation(SHIFT, -1, rng.randrange(4))
        return Operation(MOVE, operation.particle, rng.randrange(4))
    return operation._replace(amount=wrong)


def _check_share(value: float, setting: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise SpecError(f"{setting}={value!r} is not a probability; use a number in 0..1.")


def _episode_rng(student: str, seed: int, episode: Episode) -> random.Random:
    # String seeds are hashed with SHA-512 by ``random``, so this is stable across processes.
    return random.Random(f"{student}/{seed}/{episode.seed}/{episode.index}")


@STUDENTS.register("spatial-exact")
@dataclass
class SpatialExactStudent(Student):
    """Reads the prompt, simulates the sentences (with optional slips) and answers."""

    slip: float = field(
        default=0.0,
        metadata={"doc": "probability of getting one sentence wrong (0 = never)"},
    )
    capacity: int = field(
        default=1000,
        metadata={"doc": "sentences it follows; later ones are ignored"},
    )
    seed: int = field(default=0, metadata={"doc": "seed of the student's own randomness"})

    name = "spatial-exact"
    obs_mode = "text"
    templates = (SPATIAL_ID,)

    def __post_init__(self) -> None:
        _check_share(self.slip, "slip")
        if self.capacity < 0:
            raise SpecError(f"capacity={self.capacity} is negative; use 0 or more sentences.")

    def solve(self, puzzle: Puzzle, rng: random.Random) -> Any:
        """The answer the student arrives at for a puzzle."""
        board = Board(puzzle.size, puzzle.wrap, puzzle.start)
        for operation in puzzle.operations[: self.capacity]:
            if self.slip and rng.random() < self.slip:
                operation = misread(operation, rng)
            board.apply(operation)
        return answer_for(puzzle.question, puzzle.subject, puzzle.other, board.particles())

    def act(self, observation: str, info: dict[str, Any], episode: Episode) -> str:
        puzzle = read_prompt(observation)
        answer = self.solve(puzzle, _episode_rng(self.name, self.seed, episode))
        return f"Answer: {format_answer(answer)}"

    def describe(self) -> str:
        return f"{self.name}:slip={self.slip:g},capacity={self.capacity},seed={self.seed}"


@STUDENTS.register("spatial-random")
@dataclass
class SpatialRandomStudent(Student):
    """Guesses uniformly among the valid answers of the question's kind.

    It reads only the reset info (question kind and board size), never the instance.
    """

    seed: int = field(default=0, metadata={"doc": "seed of the guesses"})

    name = "spatial-random"
    obs_mode = "text"
    templates = (SPATIAL_ID,)

    def act(self, observation: str, info: dict[str, Any], episode: Episode) -> str:
        rng = _episode_rng(self.name, self.seed, episode)
        size = int(info["board_size"])
        if info["question"] == FACING:
            return f"Answer: {rng.choice(DIRECTIONS)}"
        if info["question"] == POSITION:
            return f"Answer: {format_answer((rng.randrange(size), rng.randrange(size)))}"
        span = range(1 - size, size)
        return f"Answer: {format_answer((rng.choice(span), rng.choice(span)))}"

    def describe(self) -> str:
        return f"{self.name}:seed={self.seed}"
