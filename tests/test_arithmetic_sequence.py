"""BeTaL/ArithmeticSequence-v0: the families, the exact fits, determinacy, the prompt, answer
reading, the array mode and the parameters.

Determinacy is checked against an independent referee written here with exact linear algebra
over the rationals: for each allowed family it asks whether some rule of the family gives the
shown terms but another asked term. The generator's own check (Berlekamp-Massey, difference
tables) never appears in the referee.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import betal_envs  # noqa: F401  (registers the templates)
from betal_envs.arithmetic_sequence import ArithmeticSequenceEnv
from betal_envs.arithmetic_sequence.env import SPACE
from betal_envs.arithmetic_sequence.families import (
    ALTERNATING,
    ARITHMETIC,
    FAMILIES,
    GEOMETRIC,
    INTERLEAVED,
    MAGNITUDE_CAP,
    POLYNOMIAL,
    RECURRENCE,
)
from betal_envs.arithmetic_sequence.fitting import family_fits, shortest_recurrence
from betal_envs.arithmetic_sequence.generator import N_CANDIDATES, generate, is_determined
from betal_envs.arithmetic_sequence.text import parse_integer, prompt
from betal_envs.errors import ParameterError

ENV_ID = "BeTaL/ArithmeticSequence-v0"
ANY = "any"

unit_points = st.lists(st.floats(0.0, 1.0), min_size=SPACE.dim, max_size=SPACE.dim)
seeds = st.integers(0, 2**63 - 1)


# -- the referee: exact linear algebra over the rationals ------------------------------------


def forced_value(rows: list[list[Fraction]], rhs: list[Fraction], query: list[Fraction]):
    """What ``query . x`` is over all ``x`` with ``rows x = rhs``: ``None`` when no ``x``
    exists, ``ANY`` when it is not fixed, else its value."""
    pivots: list[tuple[int, list[Fraction], Fraction]] = []
    for row, value in zip(rows, rhs, strict=True):
        row = list(row)
        for column, pivot_row, pivot_value in pivots:
            if row[column]:
                factor = row[column] / pivot_row[column]
                row = [a - factor * b for a, b in zip(row, pivot_row, strict=True)]
                value -= factor * pivot_value
        column = next((i for i, a in enumerate(row) if a), None)
        if column is None:
            if value:
                return None
            continue
        pivots.append((column, row, value))
    query, total = list(query), Fraction(0)
    for column, pivot_row, pivot_value in pivots:
        if query[column]:
            factor = query[column] / pivot_row[column]
            query = [a - factor * b for a, b in zip(query, pivot_row, strict=True)]
            total += factor * pivot_value
    return ANY if any(query) else total


def polynomial_answers(terms, first, target, degree):
    """``None`` (no polynomial fits), ``ANY`` or the one value of term ``target``."""
    rows = [[Fraction(n) ** j for j in range(degree + 1)] for n in range(first, first + len(terms))]
    query = [Fraction(target) ** j for j in range(degree + 1)]
    return forced_value(rows, [Fraction(t) for t in terms], query)


def recurrence_answers(terms, target, order):
    """Every order ``k <= order``, walking forward one forced term at a time."""
    answers = set()
    for k in range(1, order + 1):
        if len(terms) <= k:
            answers.add(ANY)
            continue
        values = [Fraction(t) for t in terms]
        rows = [values[n - k : n][::-1] for n in range(k, len(values))]
        rhs = values[k:]
        while len(values) < target:
            forced = forced_value(rows, rhs, values[-k:][::-1])
            if forced is None or forced is ANY:
                break
            rows.append(values[-k:][::-1])
            values.append(forced)
            rhs.append(forced)
        if forced is not None:
            answers.add(ANY if forced is ANY else values[target - 1])
    return answers


def geometric_answers(terms, steps):
    if len(terms) < 2:
        return {0} if terms == [0] else {ANY}
    if not any(terms):
        return {0}
    if terms[0] == 0:
        return set()
    ratio = Fraction(terms[1], terms[0])
    if ratio.denominator != 1 or any(b != ratio * a for a, b in itertools.pairwise(terms)):
        return set()
    return {terms[-1] * ratio**steps}


def simple_answers(terms, steps):
    """Arithmetic or geometric (the parts of interleaved rules), ``steps`` terms on."""
    linear = polynomial_answers(terms, 1, len(terms) + steps, 1) if terms else ANY
    return geometric_answers(terms, steps) | ({linear} - {None})


def interleaved_answers(terms, target):
    halves = (terms[1::2], terms[0::2])  # a_2, a_4, ... and a_1, a_3, ...
    mine, other = halves[target % 2], halves[1 - target % 2]
    if other and not simple_answers(list(other), 0):
        return set()
    last = len(terms) if (len(terms) - target) % 2 == 0 else len(terms) - 1
    return simple_answers(list(mine), (target - last) // 2)


def alternating_answers(terms, target):
    """Both operations of each kind; ``a_(i+1)`` comes from ``a_i`` by the first when ``i`` is
    odd, by the second when it is even."""
    answers = set()
    for kinds in [(a, b) for a in "+*" for b in "+*"]:
        rows: dict[int, list] = {0: [], 1: []}
        whole = True
        for i in range(1, len(terms)):
            x, y = terms[i - 1], terms[i]
            if kinds[1 - i % 2] == "+":
                rows[1 - i % 2].append(([Fraction(1)], Fraction(y - x)))
            else:
                whole = whole and (x == 0 or y % x == 0)
                rows[1 - i % 2].append(([Fraction(x)], Fraction(y)))
        systems = [([r for r, _ in rows[j]], [v for _, v in rows[j]]) for j in (0, 1)]
        if not whole or any(forced_value(a, b, [Fraction(0)]) is None for a, b in systems):
            continue
        value = Fraction(terms[-1])
        for i in range(len(terms), target):
            kind = kinds[1 - i % 2]
            query = [Fraction(1)] if kind == "+" else [value]
            forced = forced_value(*systems[1 - i % 2], query)
            if forced is ANY:
                value = ANY
                break
            value = value + forced if kind == "+" else forced
        answers.add(value)
    return answers


def referee_answers(family, shown, target, degree, order):
    """Every answer some rule of ``family`` fitting ``shown`` gives (``ANY``: unbounded)."""
    terms, steps = list(shown), target - len(shown)
    if family in (ARITHMETIC, POLYNOMIAL):
        degree = 1 if family == ARITHMETIC else degree
        return {polynomial_answers(terms, 1, target, degree)} - {None}
    if family == GEOMETRIC:
        return geometric_answers(terms, steps)
    if family == RECURRENCE:
        return recurrence_answers(terms, target, order)
    if family == INTERLEAVED:
        return interleaved_answers(terms, target)
    return alternating_answers(terms, target)


# -- determinacy -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point=unit_points, seed=seeds)
def test_every_instance_is_determined_by_its_shown_terms(point, seed):
    params = SPACE.decode(point)
    instance = generate(params, seed)
    limits = (instance.shown, instance.asked, instance.max_degree, instance.max_order)
    for family in instance.families:
        assert referee_answers(family, *limits) <= {instance.gold}, family
    # The rule that made the sequence is one the referee finds, and it gives the gold answer.
    assert instance.gold in referee_answers(instance.rule.family, *limits)
    terms = instance.rule.terms(instance.asked)
    assert tuple(terms) == instance.shown + instance.hidden and terms[-1] == instance.gold
    assert params["n_terms"] <= len(instance.shown) <= 24
    assert all(abs(t) <= MAGNITUDE_CAP for t in terms)
    assert params["negatives"] or min(terms) > 0


def test_ambiguous_terms_are_recognised_by_both_checks():
    # 1, 2, 3, 4, 5 is arithmetic (a_6 = 6), but also odd terms 1, 3, 5 with even terms 2, 4
    # doubling (a_6 = 8): with both kinds allowed, five terms do not settle a_6.
    shown, families = [1, 2, 3, 4, 5], (ARITHMETIC, INTERLEAVED)
    assert not is_determined(shown, 6, 6, families, 3, 3)
    fits = family_fits(INTERLEAVED, shown, 1, 6, 3, 3)
    assert {c[-1] for c in fits.continuations} == {6, 8}
    assert is_determined([1, 2, 3, 4, 5, 6], 7, 7, families, 3, 3)


def test_recurrences_are_settled_exactly_from_k_plus_l_terms():
    fibonacci = [1, 1, 2, 3, 5, 8, 13, 21]
    assert shortest_recurrence(fibonacci) == (2, [1, -1, -1])
    # Fibonacci has length L = 2; recurrences up to order K = 3 agree from K + L = 5 terms.
    assert not family_fits(RECURRENCE, fibonacci[:4], 1, 5, 3, 3).determined
    fits = family_fits(RECURRENCE, fibonacci[:5], 1, 8, 3, 3)
    assert fits.determined and fits.continuations == ((8, 13, 21),)
    # Order 2 still says 5, but order 3 has one equation for three coefficients.
    assert referee_answers(RECURRENCE, fibonacci[:4], 5, 3, 3) == {5, ANY}
    assert referee_answers(RECURRENCE, fibonacci[:5], 8, 3, 3) == {21}


def test_polynomials_and_geometric_rules_fit_exactly():
    squares = [n * n for n in range(1, 7)]
    assert family_fits(POLYNOMIAL, squares, 1, 8, 3, 3).continuations == ((49, 64),)
    assert not family_fits(POLYNOMIAL, squares[:3], 1, 8, 3, 3).determined
    assert family_fits(POLYNOMIAL, [1, 2, 4, 8, 16], 1, 6, 2, 3).continuations == ()
    assert family_fits(GEOMETRIC, [3, -6, 12], 1, 5, 3, 3).continuations == ((-24, 48),)
    assert family_fits(GEOMETRIC, [4, 6, 9], 1, 4, 3, 3).continuations == ()
    assert family_fits(ALTERNATING, [3, 6, 7, 14, 15], 1, 7, 3, 3).continuations == ((30, 31),)


# -- generator and prompt -------------------------------------------------------------------


def test_generation_is_deterministic_and_follows_the_parameters():
    params = SPACE.validate({"families": [GEOMETRIC], "n_terms": 7, "ahead": 3})
    first, again = generate(params, 123), generate(params, 123)
    assert first == again and first != generate(params, 124)
    assert first.rule.family == GEOMETRIC and len(first.shown) >= 7
    assert first.asked == len(first.shown) + 3 == first.ahead + len(first.shown)
    signed = SPACE.validate({"negatives": True})
    assert any(min(generate(signed, s).shown) < 0 for s in range(50))
    mixed = {generate(SPACE.defaults(), s).rule.family for s in range(200)}
    assert mixed == set(FAMILIES)


def test_generation_is_fast():
    params = SPACE.defaults()
    start = time.perf_counter()
    for seed in range(2000):
        generate(params, seed)
    # Above 10,000 per second on one core when the machine is quiet; leave room for load.
    assert 2000 / (time.perf_counter() - start) > 2500


def test_prompt_lists_the_kinds_the_limits_the_question_and_the_format():
    params = SPACE.validate({"families": [POLYNOMIAL, RECURRENCE], "max_degree": 4})
    instance = generate(params, 7)
    text = prompt(instance)
    assert ", ".join(map(str, instance.shown)) in text
    assert "degree at most 4." in text and "for some k from 1 to 3 " in text
    assert "geometric" not in text and "interleaved" not in text
    assert f"Question: What is a_{instance.asked}?" in text
    assert 'End your reply with the line "Answer: N"' in text and text.isascii()


# -- reading answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("345", 345),
        ("a_12 = 345", 345),
        ("The answer is -17.", -17),
        ("Answer: a_12 = 345", 345),
        ("**Answer:** \u221217", -17),
        ("So a_11 = 300 and a_12 = 345. Check: a_13 = 400", 345),
        ("The 12th term is 1,234,567", 1234567),
        ("Answer: 12.0", 12),
        ("a(12) = -3", -3),
        ("Answer: 42\nbecause a_10 = 30 and a_11 = 36", 42),
        ("Answer: 3.5", None),
        ("no idea", None),
    ],
)
def test_answers_are_read_leniently(reply, expected):
    assert parse_integer(reply, 12) == expected


def test_replies_are_judged_strictly_against_the_gold():
    env = gym.make(ENV_ID)
    env.reset(seed=2)
    gold = env.unwrapped.instance.gold
    _, reward, terminated, _, info = env.step(
        f"I think a_{env.unwrapped.instance.asked} = {gold + 1}"
    )
    assert (reward, terminated, info["success"], info["answer"]) == (
        0.0,
        True,
        False,
        str(gold + 1),
    )
    assert info["gold"] == str(gold) and info["rule"]
    env.reset(seed=2)
    assert env.step(f"The answer is {gold}.")[1] == 1.0


# -- parameters -----------------------------------------------------------------------------


def test_bad_parameters_raise_one_error_naming_every_problem():
    with pytest.raises(ParameterError, match="max_degre") as caught:
        gym.make(ENV_ID, params={"max_degre": 3, "ahead": 0, "families": ["cubic"]})
    message = str(caught.value)
    assert len(caught.value.problems) == 3
    assert "Did you mean 'max_degree'?" in message
    assert "ahead: 0 is out of range; allowed integers 1..10" in message
    assert "['cubic'] not allowed" in message


def test_manual_lists_every_parameter_with_its_range_and_default():
    manual = ArithmeticSequenceEnv.__doc__
    for parameter in SPACE:
        rows = [line for line in manual.splitlines() if f"| ``{parameter.name}`` |" in line]
        assert len(rows) == 1, f"no table row for {parameter.name}"
        assert f"| {parameter.kind} |" in rows[0]
        default = parameter.default_value
        if isinstance(default, int) and not isinstance(default, bool):
            assert f"| {default} |" in rows[0]


# -- array mode and rendering ---------------------------------------------------------------


def test_array_actions_choose_among_candidates_holding_the_gold_answer():
    env = gym.make(ENV_ID, obs_mode="array")
    observation, _ = env.reset(seed=9)
    instance = env.unwrapped.instance
    assert env.observation_space.contains(observation)
    assert len(set(instance.candidates)) == N_CANDIDATES and instance.gold in instance.candidates
    right = env.unwrapped.answer_index(instance)
    assert env.unwrapped.answer_from_index(N_CANDIDATES, instance) is None
    count = len(instance.shown)
    assert observation[24 - count : 24].tolist() == pytest.approx(
        (np.sign(instance.shown) * np.log10(1 + np.abs(instance.shown)) / 12).tolist(), abs=1e-3
    )
    assert observation[48 - count : 48].sum() == count and observation[24:48].sum() == count
    _, reward, _, _, info = env.step(right)
    assert reward == 1.0 and info["success"]
    positions = {
        generate(SPACE.defaults(), s).candidates.index(generate(SPACE.defaults(), s).gold)
        for s in range(60)
    }
    assert len(positions) == N_CANDIDATES


def test_renders_show_the_open_question_then_the_hidden_terms():
    env = gym.make(ENV_ID, params={"ahead": 3}, render_mode="ansi")
    env.reset(seed=1)
    before = env.render()
    env.step("Answer: 0")
    after = env.render()
    gold = str(env.unwrapped.instance.gold)
    assert "?  <- asked" in before and gold not in before.splitlines()[-1]
    assert f"{gold}  <- asked" in after and "rule:" in after
    picture_env = gym.make(ENV_ID, params={"negatives": True}, render_mode="rgb_array")
    picture_env.reset(seed=1)
    open_picture = picture_env.render()
    picture_env.step("0")
    answered = picture_env.render()
    assert open_picture.dtype == np.uint8 and open_picture.shape == (260, 420, 3)
    assert not np.array_equal(open_picture, answered)
