"""Exact fits: which rules of a family give the shown terms, and what they say comes next.

The fits serve twice. The generator asks every allowed family for its fits and keeps an
instance only when all of them agree on the asked term, so that the instance is determined by
what it shows; the reference solver answers with the fits of the families it can handle.

Each family is fitted over a class of rules that contains every rule the generator draws and
sometimes more, which only makes the determinacy check stricter:

* polynomial of degree at most ``D``: every polynomial with rational coefficients, fitted by
  the table of differences (arithmetic is ``D = 1``). More than ``D`` terms fix it.
* geometric: ``a_(n+1) = r * a_n`` with a whole ratio ``r``.
* linear recurrence of order at most ``K``: every recurrence with rational coefficients that
  holds from the ``(k+1)``-th term on. The Berlekamp-Massey algorithm finds the shortest one,
  of length ``L``; by Massey's theorem every recurrence of length at most ``K`` that gives the
  ``N`` shown terms agrees with it on every later term exactly when ``N >= K + L``.
* interleaved: the odd and the even positions each arithmetic or geometric.
* alternating: two operations, each "add a whole number" or "multiply by a whole number",
  taking turns.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

from betal_envs.arithmetic_sequence.families import (
    ADD,
    ALTERNATING,
    ARITHMETIC,
    GEOMETRIC,
    INTERLEAVED,
    MULTIPLY,
    POLYNOMIAL,
    RECURRENCE,
)

Value = int | Fraction


class Fits(NamedTuple):
    """The rules of one family that give the shown terms.

    Attributes:
        continuations: one per distinct prediction, simplest rule first: the values worked
            out after the last shown term, ending with the target term (for interleaved rules,
            only the target's own half of the sequence).
        determined: ``False`` when infinitely many rules of the family fit and they need not
            agree; ``continuations`` then holds at most the simplest guess.
        work: arithmetic operations per worked-out value (what a slip can hit).
    """

    continuations: tuple[tuple[Value, ...], ...]
    determined: bool = True
    work: int = 1

    @property
    def fits(self) -> bool:
        """Whether some rule of the family gives the shown terms."""
        return bool(self.continuations) or not self.determined

    def agree_on(self, gold: int) -> bool:
        """Whether every fitting rule says the target term is ``gold`` (true when none fits)."""
        return self.determined and all(c[-1] == gold for c in self.continuations)


NO_FIT = Fits(())
OPEN = Fits((), determined=False)


def polynomial_fits(terms: Sequence[int], steps: int, degree: int) -> Fits:
    """Polynomials of degree at most ``degree`` through the terms, continued ``steps`` terms."""
    n = len(terms)
    if n == 0:
        return OPEN
    row, tails = list(terms), []
    for level in range(degree + 1):
        tails.append(row[-1])
        if len(row) == 1 or row.count(row[0]) == len(row):
            break
        if level == degree:
            return NO_FIT
        row = [b - a for a, b in itertools.pairwise(row)]
    continuation = []
    for _ in range(steps):
        for j in range(len(tails) - 2, -1, -1):
            tails[j] += tails[j + 1]
        continuation.append(tails[0])
    return Fits((tuple(continuation),), n >= degree + 1, max(1, len(tails) - 1))


def geometric_fits(terms: Sequence[int], steps: int) -> Fits:
    """Geometric sequences with a whole ratio through the terms."""
    if not terms:
        return OPEN
    first = terms[0]
    if first == 0:
        return Fits(((0,) * steps,)) if not any(terms) else NO_FIT
    if len(terms) == 1:
        return OPEN
    ratio, remainder = divmod(terms[1], first)
    if remainder:
        return NO_FIT
    value = first
    for term in terms[1:]:
        value *= ratio
        if value != term:
            return NO_FIT
    continuation = []
    for _ in range(steps):
        value *= ratio
        continuation.append(value)
    return Fits((tuple(continuation),))


def _berlekamp_massey(terms: Sequence[int]) -> tuple[int, list[int], list[int], list[bool]]:
    """Berlekamp-Massey over the rationals, kept fraction-free by scaling.

    Returns:
        The final length and connection coefficients; the length after each prefix
        (``lengths[n]`` for the first ``n`` terms); and for each term whether the shortest
        recurrence of the terms before it got it wrong.
    """
    connection, previous = [1], [1]
    length, shift, previous_discrepancy = 0, 1, 1
    lengths, misses = [0], []
    for n, term in enumerate(terms):
        discrepancy = connection[0] * term
        for i in range(1, len(connection)):
            discrepancy += connection[i] * terms[n - i]
        misses.append(discrepancy != 0)
        if discrepancy == 0:
            shift += 1
            lengths.append(length)
            continue
        # Scale by the previous discrepancy instead of dividing by it.
        size = max(len(connection), shift + len(previous))
        update = [previous_discrepancy * c for c in connection] + [0] * (size - len(connection))
        for i, c in enumerate(previous):
            update[i + shift] -= discrepancy * c
        if 2 * length <= n:
            previous, previous_discrepancy = connection, discrepancy
            length, shift = n + 1 - length, 1
        else:
            shift += 1
        while len(update) > length + 1 and update[-1] == 0:
            update.pop()
        common = math.gcd(*update)
        connection = [c // common for c in update] if common > 1 else update
        lengths.append(length)
    return length, connection, lengths, misses


def shortest_recurrence(terms: Sequence[int]) -> tuple[int, list[int]]:
    """The shortest linear recurrence that gives the terms (Berlekamp-Massey over the rationals).

    Returns:
        ``(L, c)``: the length and integer connection coefficients, scaled to have no common
        factor: ``c[0] * a_n + c[1] * a_(n-1) + ... + c[L] * a_(n-L) = 0`` for every ``n > L``.
    """
    length, connection, _, _ = _berlekamp_massey(terms)
    return length, connection


def recurrence_profile(terms: Sequence[int]) -> tuple[list[int], list[bool]]:
    """What the shortest recurrence of every prefix says, in one pass.

    Returns:
        ``lengths`` (``lengths[n]``: the length of the shortest recurrence of the first ``n``
        terms) and ``misses`` (``misses[n]``: whether that recurrence gets term ``n`` (counted
        from 0) wrong). The shortest recurrence of the first ``N`` terms gives every term up
        to ``M`` exactly when no term in ``N .. M - 1`` is missed.
    """
    _, _, lengths, misses = _berlekamp_massey(terms)
    return lengths, misses


def recurrence_fits(terms: Sequence[int], steps: int, order: int) -> Fits:
    """Linear recurrences of order at most ``order`` through the terms (see the module doc)."""
    length, connection = shortest_recurrence(terms)
    if length > order:
        return NO_FIT
    values: list[Value] = list(terms)
    lead = connection[0]
    for _ in range(steps):
        total = 0
        for i in range(1, len(connection)):
            total -= connection[i] * values[-i]
        if isinstance(total, int) and total % lead == 0:
            values.append(total // lead)
        else:
            values.append(Fraction(total) / lead)
    continuation = tuple(values[len(terms) :])
    return Fits((continuation,), len(terms) >= order + length, max(1, 2 * length - 1))


def _unique(continuations: Sequence[tuple[Value, ...]]) -> tuple[tuple[Value, ...], ...]:
    return tuple(dict.fromkeys(continuations))


def interleaved_fits(terms: Sequence[int], first: int, target: int) -> Fits:
    """Odd and even positions each arithmetic or geometric; ``first`` is the index of
    ``terms[0]`` and ``target`` the index asked for."""
    halves: tuple[list[int], list[int]] = ([], [])
    for i, term in enumerate(terms):
        halves[(first + i) & 1].append(term)
    mine, other = halves[target & 1], halves[1 - (target & 1)]
    if not (polynomial_fits(other, 0, 1).fits or geometric_fits(other, 0).fits):
        return NO_FIT
    last = first + len(terms) - 1
    steps = (target - (last if (last - target) & 1 == 0 else last - 1)) // 2
    arithmetic, geometric = polynomial_fits(mine, steps, 1), geometric_fits(mine, steps)
    found = _unique(arithmetic.continuations + geometric.continuations)
    return Fits(found, arithmetic.determined and geometric.determined)


def _operations(pairs: list[tuple[int, int]]) -> tuple[list[tuple[str, int]], bool]:
    """The operations that take every ``x`` to its ``y``, and whether some are left free."""
    if not pairs:
        return [], True
    found: list[tuple[str, int]] = []
    step = pairs[0][1] - pairs[0][0]
    if all(y - x == step for x, y in pairs):
        found.append((ADD, step))
    factor: int | None = None
    for x, y in pairs:
        if x == 0:
            if y != 0:
                return found, False
            continue
        quotient, remainder = divmod(y, x)
        if remainder or (factor is not None and quotient != factor):
            return found, False
        factor = quotient
    if factor is None:
        return found, True
    found.append((MULTIPLY, factor))
    return found, False


def alternating_fits(terms: Sequence[int], first: int, target: int) -> Fits:
    """Two operations taking turns; the one applied to ``a_i`` depends on the parity of ``i``."""
    pairs: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ([], [])
    for i in range(len(terms) - 1):
        pairs[(first + i) & 1].append((terms[i], terms[i + 1]))
    options = [_operations(pairs[0]), _operations(pairs[1])]
    if any(not found and not free for found, free in options):
        return NO_FIT
    last = first + len(terms) - 1
    used = {i & 1 for i in range(last, target)}
    determined = not any(options[parity][1] for parity in used)
    continuations = []
    for even in options[0][0] or [None]:
        for odd in options[1][0] or [None]:
            value, continuation = terms[-1], []
            for i in range(last, target):
                operation = odd if i & 1 else even
                if operation is None:
                    break
                value = value + operation[1] if operation[0] == ADD else value * operation[1]
                continuation.append(value)
            else:
                continuations.append(tuple(continuation))
    return Fits(_unique(continuations), determined)


def family_fits(
    family: str,
    terms: Sequence[int],
    first: int,
    target: int,
    max_degree: int,
    max_order: int,
) -> Fits:
    """The fits of one family, for terms starting at index ``first``, up to index ``target``.

    Args:
        family: one of :data:`~betal_envs.arithmetic_sequence.families.FAMILIES`.
        terms: consecutive terms; ``terms[0]`` is ``a_first``.
        first: the index of the first term given.
        target: the index asked for, after the last term given.
        max_degree: the highest polynomial degree the family allows.
        max_order: the highest recurrence order the family allows.
    """
    steps = target - (first + len(terms) - 1)
    if family == ARITHMETIC:
        return polynomial_fits(terms, steps, 1)
    if family == GEOMETRIC:
        return geometric_fits(terms, steps)
    if family == POLYNOMIAL:
        return polynomial_fits(terms, steps, max_degree)
    if family == RECURRENCE:
        return recurrence_fits(terms, steps, max_order)
    if family == INTERLEAVED:
        return interleaved_fits(terms, first, target)
    if family == ALTERNATING:
        return alternating_fits(terms, first, target)
    raise ValueError(f"unknown sequence family {family!r}")
