"""The ArithmeticSequence reference students, checked over the whole parameter space.

The solver reads nothing but the prompt, so its agreement with the gold answer on every
sampled parameter set shows that the prompt is complete and that every instance is settled by
the kinds of rule the prompt lists.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import Episode, StudentFailure, evaluate, make_student
from agents.arithmetic import read_prompt
from betal_envs.arithmetic_sequence import ArithmeticSequenceEnv
from betal_envs.arithmetic_sequence.env import SPACE
from betal_envs.arithmetic_sequence.families import POLYNOMIAL, RECURRENCE
from betal_envs.errors import SpecError

ENV_ID = "BeTaL/ArithmeticSequence-v0"

unit_points = st.lists(st.floats(0.0, 1.0), min_size=SPACE.dim, max_size=SPACE.dim)
seeds = st.integers(0, 2**31 - 1)
indices = st.integers(0, 10_000)
_QUICK = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _rate(spec: str | None, params: dict, episodes: int = 300, seed: int = 3) -> float:
    return evaluate(make_student(spec, ENV_ID), ENV_ID, params, episodes=episodes, seed=seed).rate


@_QUICK
@given(point=unit_points, seed=seeds, index=indices)
def test_prompt_holds_the_whole_instance(point, seed, index):
    env = ArithmeticSequenceEnv(SPACE.decode(point))
    prompt, _ = env.reset(seed=seed, options={"index": index})
    instance, puzzle = env.instance, read_prompt(prompt)
    assert (puzzle.shown, puzzle.asked, puzzle.families) == (
        instance.shown,
        instance.asked,
        instance.families,
    )
    # A limit is stated only when its family is allowed (0: not stated).
    degree = instance.max_degree if POLYNOMIAL in instance.families else 0
    order = instance.max_order if RECURRENCE in instance.families else 0
    assert (puzzle.max_degree, puzzle.max_order) == (degree, order)


@_QUICK
@given(point=unit_points, seed=seeds, index=indices)
def test_full_solver_reproduces_the_gold_answer_everywhere(point, seed, index):
    env = ArithmeticSequenceEnv(SPACE.decode(point))
    student = make_student("sequence-solver", ENV_ID)
    prompt, info = env.reset(seed=seed, options={"index": index})
    reply = student.act(prompt, info, Episode(ENV_ID, seed, index))
    _, reward, terminated, _, info = env.step(reply)
    assert terminated and reward == 1.0
    assert info["answer"] == info["gold"]


@settings(max_examples=10, deadline=None)
@given(point=unit_points, seed=seeds)
def test_full_solver_scores_one_through_evaluate(point, seed):
    record = evaluate(
        make_student("sequence-solver", ENV_ID), ENV_ID, SPACE.decode(point), episodes=10, seed=seed
    )
    assert record.successes == 10 and record.failures == {}


def test_naive_student_solves_arithmetic_sequences_only():
    assert _rate("sequence-naive", {"families": ["arithmetic"], "ahead": 5}) == 1.0
    assert _rate("sequence-naive", {"families": ["geometric"]}) == 0.0
    assert _rate("sequence-naive", {}) < 0.3


def test_default_student_is_of_middling_difficulty_at_the_defaults():
    student = make_student(None, ENV_ID)
    assert student.describe().startswith("sequence-solver:max_degree=2,max_order=2")
    record = evaluate(student, ENV_ID, {}, episodes=500, seed=11)
    assert 0.4 < record.rate < 0.7


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("ahead", (1, 4, 10)),
        ("coef_max", (1, 30)),
        ("start_max", (1, 1000)),
        ("max_degree", (2, 6)),
        ("max_order", (2, 5)),
    ],
)
def test_default_student_rate_falls_as_a_parameter_gets_harder(name, values):
    rates = [_rate(None, {name: value}, episodes=400) for value in values]
    assert all(harder < easier for easier, harder in itertools.pairwise(rates)), rates


def test_default_student_spans_every_target_of_the_tuning_protocol():
    easy = {"families": ["arithmetic", "geometric"], "ahead": 1, "coef_max": 2, "start_max": 5}
    hard = {"families": ["polynomial", "recurrence"], "max_degree": 6, "max_order": 5, "ahead": 8}
    assert _rate(None, easy) > 0.9
    assert _rate(None, hard) < 0.1


def test_capacity_knobs_weaken_the_solver():
    polynomials = {"families": ["polynomial"], "max_degree": 4}
    assert _rate("sequence-solver:max_degree=4", polynomials, episodes=100) == 1.0
    assert _rate("sequence-solver:max_degree=2", polynomials, episodes=100) < 0.5
    recurrences = {"families": ["recurrence"], "max_order": 4}
    assert _rate("sequence-solver:max_order=2", recurrences, episodes=100) < 0.5
    assert _rate("sequence-solver:memory=3", {}, episodes=100) < 0.6
    slips = [_rate(f"sequence-solver:slip={s}", {"ahead": 4}) for s in (0.0, 0.02, 0.1)]
    assert slips[0] == 1.0 and slips[0] > slips[1] > slips[2]


def test_student_randomness_depends_on_student_seed_and_episode():
    env = ArithmeticSequenceEnv({"ahead": 10, "start_max": 1000})
    prompt, info = env.reset(seed=1)
    noisy = make_student("sequence-solver:slip=0.2", ENV_ID)
    other = make_student("sequence-solver:slip=0.2,seed=1", ENV_ID)
    replies = [noisy.act(prompt, info, Episode(ENV_ID, 1, i)) for i in range(20)]
    assert replies == [noisy.act(prompt, info, Episode(ENV_ID, 1, i)) for i in range(20)]
    assert len(set(replies)) > 1
    assert replies != [other.act(prompt, info, Episode(ENV_ID, 1, i)) for i in range(20)]


def test_bad_student_settings_are_named():
    with pytest.raises(SpecError, match=r"slip=2\.0 is not a probability"):
        make_student("sequence-solver:slip=2", ENV_ID)
    with pytest.raises(SpecError, match="Did you mean 'memory'"):
        make_student("sequence-solver:memroy=4", ENV_ID)
    with pytest.raises(SpecError, match="max_order=0 is too small; use 1 or more"):
        make_student("sequence-solver:max_order=0", ENV_ID)


def test_students_fail_the_episode_on_a_foreign_observation():
    for spec in ("sequence-solver", "sequence-naive"):
        with pytest.raises(StudentFailure, match="not an ArithmeticSequence prompt"):
            make_student(spec, ENV_ID).act("What is 2 + 2?", {}, Episode(ENV_ID, 0, 0))
