"""Reference students of ``BeTaL/ArithmeticSequence-v0``: a solver with capacity knobs, and a
naive one that repeats the last difference.

``sequence-solver`` reads only the text prompt, which shows that the prompt holds everything
needed: it recovers the shown terms, the possible kinds of rule with their limits and the
asked index, fits the kinds it knows in order (arithmetic, geometric, polynomial, recurrence,
interleaved, alternating) with the template's exact fits, and answers with the first rule
that the terms it uses settle (else the first that fits at all, else the last difference
repeated). At full capacity it scores 1.0, since every instance is determined. Its knobs make
a family of weaker students:

* ``max_degree`` and ``max_order``: the highest polynomial degree and recurrence order it
  tries; rules beyond them it cannot find.
* ``memory``: how many of the shown terms (the last ones) it can use; too few leave several
  rules open, and it may pick the wrong one.
* ``slip``: the chance of a slip per digit of every operation it works out, so the chance of
  getting through is ``(1 - slip) ** effort`` with ``effort`` the operations per worked-out
  term (1, or the degree, or ``2k - 1`` for a recurrence of order ``k``) times the digits of
  each term worked out up to the asked one. Bigger numbers and a farther asked term cost more.
  A slip changes one digit of the answer. The draws are seeded from the student's seed and the
  episode's ``(seed, index)``, so a student answers every episode the same way each time.

``sequence-naive`` extrapolates the last difference: right on arithmetic sequences, and the
floor any student should clear.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from agents.registry import STUDENTS
from agents.student import Episode, Student, StudentFailure
from betal_envs.arithmetic_sequence.families import (
    ALTERNATING,
    ARITHMETIC,
    FAMILIES,
    GEOMETRIC,
    INTERLEAVED,
    POLYNOMIAL,
    RECURRENCE,
)
from betal_envs.arithmetic_sequence.fitting import family_fits
from betal_envs.arithmetic_sequence.text import format_answer
from betal_envs.errors import SpecError

SEQUENCE_ID = "BeTaL/ArithmeticSequence-v0"

_TERMS = re.compile(
    r"^The first (\d+) terms of an integer sequence, a_1 to a_\1, are:\n(.+)$", re.M
)
_QUESTION = re.compile(r"^Question: What is a_(\d+)\?$", re.M)
_KINDS = {
    "arithmetic": ARITHMETIC,
    "geometric": GEOMETRIC,
    "polynomial": POLYNOMIAL,
    "linear recurrence": RECURRENCE,
    "interleaved": INTERLEAVED,
    "alternating operations": ALTERNATING,
}
_KIND = re.compile(rf"^- ({'|'.join(_KINDS)}):", re.M)
_DEGREE = re.compile(r"of degree at most (\d+)\.")
_ORDER = re.compile(r"for some k from 1 to (\d+) ")


@dataclass(frozen=True)
class Puzzle:
    """What a student recovers from a prompt."""

    shown: tuple[int, ...]
    asked: int
    families: tuple[str, ...]
    max_degree: int
    max_order: int


def read_prompt(prompt: str) -> Puzzle:
    """Recover the puzzle from an ArithmeticSequence prompt.

    Raises:
        StudentFailure: when the text is not an ArithmeticSequence prompt.
    """
    terms, question = _TERMS.search(prompt), _QUESTION.search(prompt)
    if terms is None or question is None:
        raise StudentFailure("the observation is not an ArithmeticSequence prompt")
    try:
        shown = tuple(int(term) for term in terms.group(2).split(","))
    except ValueError:
        raise StudentFailure("the terms of the ArithmeticSequence prompt are unreadable") from None
    if len(shown) != int(terms.group(1)) or len(shown) < 2:
        raise StudentFailure("the ArithmeticSequence prompt shows too few terms to read")
    stated = {_KINDS[kind] for kind in _KIND.findall(prompt)}
    degree, order = _DEGREE.search(prompt), _ORDER.search(prompt)
    return Puzzle(
        shown=shown,
        asked=int(question.group(1)),
        families=tuple(family for family in FAMILIES if family in stated),
        max_degree=int(degree.group(1)) if degree else 0,
        max_order=int(order.group(1)) if order else 0,
    )


def last_difference(shown: tuple[int, ...], asked: int) -> int:
    """The asked term if the last difference went on repeating."""
    return shown[-1] + (asked - len(shown)) * (shown[-1] - shown[-2])


def digits(value: int) -> int:
    """Symbols a person writes for a whole number: its digits, and a sign when negative."""
    return len(str(abs(value))) + (value < 0)


def _slipped(answer: int, rng: random.Random) -> int:
    place = rng.randrange(digits(abs(answer)))
    return answer + rng.choice((-1, 1)) * rng.randint(1, 9) * 10**place


def _episode_rng(student: str, seed: int, episode: Episode) -> random.Random:
    # String seeds are hashed with SHA-512 by ``random``, so this is stable across processes.
    return random.Random(f"{student}/{seed}/{episode.seed}/{episode.index}")


@STUDENTS.register("sequence-solver")
@dataclass
class SequenceSolverStudent(Student):
    """Fits the rule kinds it knows to the terms it can hold, and works out the asked term."""

    max_degree: int = field(default=6, metadata={"doc": "highest polynomial degree it tries"})
    max_order: int = field(default=5, metadata={"doc": "highest recurrence order it tries"})
    memory: int = field(default=24, metadata={"doc": "shown terms it can use (the last ones)"})
    slip: float = field(
        default=0.0,
        metadata={"doc": "chance of a slip per digit of each operation worked out (0 = never)"},
    )
    seed: int = field(default=0, metadata={"doc": "seed of the student's own randomness"})

    name = "sequence-solver"
    obs_mode = "text"
    templates = (SEQUENCE_ID,)

    def __post_init__(self) -> None:
        for setting, low in (("max_degree", 1), ("max_order", 1), ("memory", 2)):
            value = getattr(self, setting)
            if value < low:
                raise SpecError(f"{setting}={value} is too small; use {low} or more.")
        if not 0.0 <= self.slip <= 1.0:
            raise SpecError(f"slip={self.slip!r} is not a probability; use a number in 0..1.")

    def work_out(self, puzzle: Puzzle) -> tuple[int, int]:
        """The answer the student's best rule gives, and the effort of working it out."""
        count = min(self.memory, len(puzzle.shown))
        terms, first = puzzle.shown[-count:], len(puzzle.shown) - count + 1
        degree = min(self.max_degree, puzzle.max_degree)
        order = min(self.max_order, puzzle.max_order)
        guess: tuple[tuple[int, ...], int] | None = None
        for family in puzzle.families:
            fits = family_fits(family, terms, first, puzzle.asked, degree, order)
            # A rule with fractional coefficients is no rule of the stated kinds.
            whole = [c for c in fits.continuations if all(isinstance(v, int) for v in c)]
            if whole and fits.determined:
                guess = (whole[0], fits.work)
                break
            if whole and guess is None:
                guess = (whole[0], fits.work)
        if guess is None:
            return last_difference(puzzle.shown, puzzle.asked), 1
        continuation, work = guess
        return int(continuation[-1]), work * sum(digits(int(v)) for v in continuation)

    def solve(self, puzzle: Puzzle, rng: random.Random) -> int:
        """The answer the student arrives at, slips included."""
        answer, effort = self.work_out(puzzle)
        if self.slip and rng.random() >= (1.0 - self.slip) ** effort:
            return _slipped(answer, rng)
        return answer

    def act(self, observation: str, info: dict[str, Any], episode: Episode) -> str:
        puzzle = read_prompt(observation)
        answer = self.solve(puzzle, _episode_rng(self.name, self.seed, episode))
        return f"Answer: {format_answer(answer)}"

    def describe(self) -> str:
        return (
            f"{self.name}:max_degree={self.max_degree},max_order={self.max_order},"
            f"memory={self.memory},slip={self.slip:g},seed={self.seed}"
        )


@STUDENTS.register("sequence-naive")
@dataclass
class SequenceNaiveStudent(Student):
    """Repeats the last difference of the shown terms up to the asked index."""

    name = "sequence-naive"
    obs_mode = "text"
    templates = (SEQUENCE_ID,)

    def act(self, observation: str, info: dict[str, Any], episode: Episode) -> str:
        puzzle = read_prompt(observation)
        return f"Answer: {format_answer(last_difference(puzzle.shown, puzzle.asked))}"
