"""The families of integer sequences and how a rule of each family is drawn.

A *rule* is one concrete sequence: an arithmetic sequence with its start and step, a
polynomial with its coefficients, a linear recurrence with its coefficients and first terms,
and so on. Rules are small frozen values that compute their first terms on demand; they are
drawn from a ``random.Random`` so that an instance is the same in every process.

The magnitudes of what is drawn follow two bounds: ``start`` bounds the first term (and the
first terms of a recurrence, and the constant term of a polynomial), ``coef`` bounds every
step, ratio, coefficient and operand. Without negatives every drawn number is positive, so
every term is positive too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ARITHMETIC = "arithmetic"
GEOMETRIC = "geometric"
POLYNOMIAL = "polynomial"
RECURRENCE = "recurrence"
INTERLEAVED = "interleaved"
ALTERNATING = "alternating"
#: Every family, simplest first (the order a solver tries them in).
FAMILIES: tuple[str, ...] = (
    ARITHMETIC,
    GEOMETRIC,
    POLYNOMIAL,
    RECURRENCE,
    INTERLEAVED,
    ALTERNATING,
)

#: No term up to the asked one may exceed this in magnitude; rules that do are redrawn.
MAGNITUDE_CAP = 10**12

#: The two operations of alternating rules.
ADD, MULTIPLY = "+", "*"


def _signed(value: int, text: str) -> str:
    return f"- {-value}{text}" if value < 0 else f"+ {value}{text}"


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``a_n = start + step * (n - 1)``."""

    start: int
    step: int
    family = ARITHMETIC

    def terms(self, count: int) -> list[int]:
        return [self.start + self.step * i for i in range(count)]

    def describe(self) -> str:
        return f"arithmetic: start {self.start}, add {self.step} each time"


@dataclass(frozen=True, slots=True)
class Geometric:
    """``a_n = start * ratio ** (n - 1)``."""

    start: int
    ratio: int
    family = GEOMETRIC

    def terms(self, count: int) -> list[int]:
        values, value = [], self.start
        for _ in range(count):
            values.append(value)
            value *= self.ratio
        return values

    def describe(self) -> str:
        return f"geometric: start {self.start}, multiply by {self.ratio} each time"


@dataclass(frozen=True, slots=True)
class Polynomial:
    """``a_n = coefficients[0] + coefficients[1] * n + ... + coefficients[d] * n ** d``."""

    coefficients: tuple[int, ...]
    family = POLYNOMIAL

    def terms(self, count: int) -> list[int]:
        values = []
        for n in range(1, count + 1):
            value = 0
            for coefficient in reversed(self.coefficients):
                value = value * n + coefficient
            values.append(value)
        return values

    def describe(self) -> str:
        parts = [str(self.coefficients[0])]
        for power, coefficient in enumerate(self.coefficients[1:], 1):
            if coefficient:
                parts.append(_signed(coefficient, "n" if power == 1 else f"n^{power}"))
        return f"polynomial of degree {len(self.coefficients) - 1}: a_n = {' '.join(parts)}"


@dataclass(frozen=True, slots=True)
class Recurrence:
    """``a_n = c_1 * a_(n-1) + ... + c_k * a_(n-k)`` from ``a_(k+1)`` on."""

    first: tuple[int, ...]
    coefficients: tuple[int, ...]
    family = RECURRENCE

    def terms(self, count: int) -> list[int]:
        values = list(self.first[:count])
        pairs = tuple(enumerate(self.coefficients, 1))
        while len(values) < count:
            values.append(sum(c * values[-i] for i, c in pairs))
        return values

    def describe(self) -> str:
        parts = [f"{c}*a_(n-{i})" for i, c in enumerate(self.coefficients, 1) if c]
        first = ", ".join(map(str, self.first))
        return f"recurrence of order {len(self.first)}: a_n = {' + '.join(parts)}; first {first}"


@dataclass(frozen=True, slots=True)
class Interleaved:
    """Odd positions follow ``odd``, even positions follow ``even``."""

    odd: Arithmetic | Geometric
    even: Arithmetic | Geometric
    family = INTERLEAVED

    def terms(self, count: int) -> list[int]:
        odd, even = self.odd.terms((count + 1) // 2), self.even.terms(count // 2)
        values = [0] * count
        values[::2], values[1::2] = odd, even
        return values

    def describe(self) -> str:
        return f"interleaved: odd terms {self.odd.describe()}; even terms {self.even.describe()}"


@dataclass(frozen=True, slots=True)
class Alternating:
    """``a_1 = start``; the two operations take turns, the first giving ``a_2``."""

    start: int
    operations: tuple[tuple[str, int], tuple[str, int]]
    family = ALTERNATING

    def terms(self, count: int) -> list[int]:
        values, value = [], self.start
        for i in range(count):
            values.append(value)
            kind, operand = self.operations[i & 1]
            value = value + operand if kind == ADD else value * operand
        return values

    def describe(self) -> str:
        words = [f"add {x}" if k == ADD else f"multiply by {x}" for k, x in self.operations]
        return f"alternating: start {self.start}, then {words[0]} and {words[1]} in turn"


Rule = Arithmetic | Geometric | Polynomial | Recurrence | Interleaved | Alternating


@dataclass(frozen=True, slots=True)
class Bounds:
    """What one draw may use: magnitudes, the limits of the families and whether signs vary."""

    start: int
    coef: int
    max_degree: int
    max_order: int
    negatives: bool


def _magnitude(rng: random.Random, low: int, high: int, bounds: Bounds) -> int:
    """A whole number with ``low <= |value| <= high``, negative half the time if allowed."""
    value = rng.randint(low, max(low, high))
    return -value if bounds.negatives and rng.random() < 0.5 else value


def _arithmetic(rng: random.Random, bounds: Bounds) -> Arithmetic:
    return Arithmetic(
        _magnitude(rng, 1, bounds.start, bounds), _magnitude(rng, 1, bounds.coef, bounds)
    )


def _geometric(rng: random.Random, bounds: Bounds) -> Geometric:
    start = _magnitude(rng, 1, bounds.start, bounds)
    return Geometric(start, _magnitude(rng, 2, bounds.coef, bounds))


def _polynomial(rng: random.Random, bounds: Bounds) -> Polynomial:
    degree = rng.randint(2, bounds.max_degree)
    constant = _magnitude(rng, 0, bounds.start, bounds)
    # Lower coefficients may vanish; the leading one never does.
    middle = [_magnitude(rng, 0, bounds.coef, bounds) for _ in range(degree - 1)]
    return Polynomial((constant, *middle, _magnitude(rng, 1, bounds.coef, bounds)))


def _recurrence(rng: random.Random, bounds: Bounds) -> Recurrence:
    order = rng.randint(2, bounds.max_order)
    first = tuple(_magnitude(rng, 1, bounds.start, bounds) for _ in range(order))
    coefficients = [_magnitude(rng, 0, bounds.coef, bounds) for _ in range(order - 1)]
    coefficients.append(_magnitude(rng, 1, bounds.coef, bounds))
    if not any(coefficients[:-1]):
        # With c_k alone the sequence would be k geometric sequences interleaved.
        coefficients[0] = _magnitude(rng, 1, bounds.coef, bounds)
    return Recurrence(first, tuple(coefficients))


def _interleaved(rng: random.Random, bounds: Bounds) -> Interleaved:
    def part() -> Arithmetic | Geometric:
        return _arithmetic(rng, bounds) if rng.random() < 0.5 else _geometric(rng, bounds)

    return Interleaved(part(), part())


def _alternating(rng: random.Random, bounds: Bounds) -> Alternating:
    add = (ADD, _magnitude(rng, 1, bounds.coef, bounds))
    multiply = (MULTIPLY, _magnitude(rng, 2, bounds.coef, bounds))
    operations = (add, multiply) if rng.random() < 0.5 else (multiply, add)
    return Alternating(_magnitude(rng, 1, bounds.start, bounds), operations)


_DRAW = {
    ARITHMETIC: _arithmetic,
    GEOMETRIC: _geometric,
    POLYNOMIAL: _polynomial,
    RECURRENCE: _recurrence,
    INTERLEAVED: _interleaved,
    ALTERNATING: _alternating,
}


def draw_rule(family: str, rng: random.Random, bounds: Bounds) -> Rule:
    """Draw one rule of ``family`` within ``bounds``."""
    return _DRAW[family](rng, bounds)
