"""Instances of the arithmetic-sequence template, generated from parameters and a 64-bit seed.

An instance shows the first ``N`` terms of a sequence drawn from one of the allowed families
and asks for the term ``ahead`` places after the last one shown. It is kept only when it is
*determined*: every rule of every allowed family (up to the degree and order limits) that
gives the shown terms gives the same asked term; see :mod:`~betal_envs.arithmetic_sequence.
fitting`. When the ``n_terms`` first terms leave the answer open, more terms are shown (up to
:data:`MAX_SHOWN`); when even that does not settle it, or a term up to the asked one passes
:data:`~betal_envs.arithmetic_sequence.families.MAGNITUDE_CAP`, the rule is redrawn from the
same family, with smaller bounds after repeated failures.

Everything random goes through one ``random.Random(seed)``, so an instance is the same in
every process and can be regenerated alone from its seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from betal_envs.arithmetic_sequence.families import (
    MAGNITUDE_CAP,
    POLYNOMIAL,
    RECURRENCE,
    Bounds,
    Rule,
    draw_rule,
)
from betal_envs.arithmetic_sequence.fitting import family_fits, recurrence_profile

#: The most terms an instance shows; array observations have this many slots.
MAX_SHOWN = 24
#: Answers offered in array mode (the gold answer is one of them).
N_CANDIDATES = 8
#: Draws of a rule before giving up (each failure pair halves the bounds).
ATTEMPTS = 40
#: Terms computed beyond ``n_terms + ahead`` at first; most instances are settled within them.
_LOOKAHEAD = 6


@dataclass(frozen=True, slots=True)
class SequenceInstance:
    """One puzzle of the arithmetic-sequence template.

    Attributes:
        shown: the terms ``a_1 .. a_N`` shown.
        asked: the index of the asked term (``N + ahead``).
        gold: the asked term.
        families: the families the prompt says are possible, simplest first.
        max_degree: the highest polynomial degree the prompt allows.
        max_order: the highest recurrence order the prompt allows.
        rule: the rule that made the sequence (revealed only after the answer).
        hidden: the terms after the shown ones, up to and including the asked one.
        candidates: the answers offered in array mode; ``gold`` is one of them.
    """

    shown: tuple[int, ...]
    asked: int
    gold: int
    families: tuple[str, ...]
    max_degree: int
    max_order: int
    rule: Rule
    hidden: tuple[int, ...]
    candidates: tuple[int, ...]

    @property
    def ahead(self) -> int:
        """How many places after the last shown term the asked one lies."""
        return self.asked - len(self.shown)


def is_determined(
    shown: list[int], asked: int, gold: int, families: tuple[str, ...], degree: int, order: int
) -> bool:
    """Whether every allowed family's fitting rules all give ``gold`` as term ``asked``."""
    return all(
        family_fits(family, shown, 1, asked, degree, order).agree_on(gold) for family in families
    )


def _shown_count(terms: list[int], params: Mapping[str, Any], ahead: int, low: int) -> int | None:
    """The fewest terms, from ``low`` on, that determine the instance, if any.

    This is :func:`is_determined` for every count, with the shortest recurrence of every
    prefix found in one pass; a recurrence that fits but changes before the asked term counts
    as disagreeing, which is stricter still.
    """
    families, degree, order = params["families"], params["max_degree"], params["max_order"]
    recurrences = RECURRENCE in families
    others = tuple(family for family in families if family != RECURRENCE)
    lengths, misses = recurrence_profile(terms) if recurrences else ([], [])
    if POLYNOMIAL in families:
        low = max(low, degree + 1)
    for count in range(low, min(MAX_SHOWN, len(terms) - ahead) + 1):
        asked = count + ahead
        if recurrences:
            length = lengths[count]
            if length <= order and (count < order + length or any(misses[count:asked])):
                continue
        shown, gold = terms[:count], terms[asked - 1]
        if all(family_fits(f, shown, 1, asked, degree, order).agree_on(gold) for f in others):
            return count
    return None


def _bounded(terms: list[int]) -> list[int]:
    """The longest prefix of ``terms`` within the magnitude cap."""
    for i, term in enumerate(terms):
        if not -MAGNITUDE_CAP <= term <= MAGNITUDE_CAP:
            return terms[:i]
    return terms


def _candidates(
    shown: tuple[int, ...], gold: int, ahead: int, rng: random.Random
) -> tuple[int, ...]:
    """Answers for array mode: the gold one and near misses a hasty solver would give."""
    last, step = shown[-1], shown[-1] - shown[-2]
    ratio = shown[-1] // shown[-2] if shown[-2] and shown[-1] % shown[-2] == 0 else 0
    pool = [last + ahead * step, gold + step, gold - step, gold + 1, gold - 1, gold + 2 * step]
    if ratio and abs(ratio) < 100:
        pool.append(last * ratio**ahead)
    pool += [gold + 2, gold - 2, 2 * gold, gold + 10]
    wrong = [v for v in dict.fromkeys(pool) if v != gold and abs(v) <= 2 * MAGNITUDE_CAP]
    offset = 3
    while len(wrong) < N_CANDIDATES - 1:
        if gold + offset not in wrong:
            wrong.append(gold + offset)
        offset += 1
    chosen = rng.sample(wrong[: N_CANDIDATES + 3], N_CANDIDATES - 1)
    chosen.insert(rng.randrange(N_CANDIDATES), gold)
    return tuple(chosen)


def generate(params: Mapping[str, Any], seed: int) -> SequenceInstance:
    """Generate the instance of ``seed`` for a validated parameter set.

    Raises:
        RuntimeError: when no determined instance is found in :data:`ATTEMPTS` draws (the
            parameter space is sized so that this does not happen).
    """
    rng = random.Random(seed)
    families = params["families"]
    family = families[int(rng.random() * len(families))]
    ahead, low = params["ahead"], params["n_terms"]
    for attempt in range(ATTEMPTS):
        shrink = attempt // 2
        bounds = Bounds(
            max(1, params["start_max"] >> shrink),
            max(1, params["coef_max"] >> shrink),
            params["max_degree"],
            params["max_order"],
            params["negatives"],
        )
        rule = draw_rule(family, rng, bounds)
        terms = _bounded(rule.terms(low + ahead + _LOOKAHEAD))
        count = _shown_count(terms, params, ahead, low)
        if count is None and len(terms) == low + ahead + _LOOKAHEAD:
            # Not settled, but not cut short by the cap either: look as far as allowed.
            terms = _bounded(rule.terms(MAX_SHOWN + ahead))
            count = _shown_count(terms, params, ahead, low + _LOOKAHEAD + 1)
        if count is not None:
            break
    else:
        raise RuntimeError(
            f"no determined sequence found for parameters {dict(params)} and seed {seed}"
        )
    shown, asked = tuple(terms[:count]), count + ahead
    gold = terms[asked - 1]
    return SequenceInstance(
        shown=shown,
        asked=asked,
        gold=gold,
        families=families,
        max_degree=params["max_degree"],
        max_order=params["max_order"],
        rule=rule,
        hidden=tuple(terms[count:asked]),
        candidates=_candidates(shown, gold, ahead, rng),
    )
