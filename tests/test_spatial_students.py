"""The SpatialGrid reference students, checked over the whole parameter space.

The exact student reads nothing but the prompt, so its agreement with the simulated gold
answer on every sampled parameter set shows both that the prompt is complete and that the
gold answers follow the rules the prompt states.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agents import Episode, StudentFailure, evaluate, make_student
from agents.spatial import read_prompt
from betal_envs.errors import SpecError
from betal_envs.spatial_grid import SpatialGridEnv
from betal_envs.spatial_grid.env import SPACE
from betal_envs.spatial_grid.rules import IDLE

ENV_ID = "BeTaL/SpatialGrid-v0"

unit_points = st.lists(st.floats(0.0, 1.0), min_size=SPACE.dim, max_size=SPACE.dim)
seeds = st.integers(0, 2**31 - 1)
indices = st.integers(0, 10_000)
_QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _valid_params(point: list[float]) -> dict:
    params = SPACE.decode(point)
    assume(not SPACE.violations(params))
    return params


def _operation_effect(operation) -> tuple:
    # Distractor wordings are not part of the effect; everything else is.
    if operation.kind == IDLE:
        return (IDLE, operation.particle)
    return (operation.kind, operation.particle, operation.amount, operation.relative)


@_QUICK
@given(point=unit_points, seed=seeds, index=indices)
def test_prompt_holds_the_whole_instance(point, seed, index):
    env = SpatialGridEnv(_valid_params(point))
    prompt, _ = env.reset(seed=seed, options={"index": index})
    instance, puzzle = env.instance, read_prompt(prompt)
    assert (puzzle.size, puzzle.wrap, puzzle.start) == (
        instance.size,
        instance.wrap,
        instance.start,
    )
    assert [_operation_effect(op) for op in puzzle.operations] == [
        _operation_effect(op) for op in instance.operations
    ]
    assert (puzzle.question, puzzle.subject, puzzle.other) == (
        instance.question,
        instance.subject,
        instance.other,
    )


@_QUICK
@given(point=unit_points, seed=seeds, index=indices)
def test_exact_student_reproduces_the_gold_answer_everywhere(point, seed, index):
    env = SpatialGridEnv(_valid_params(point))
    student = make_student("spatial-exact", ENV_ID)
    prompt, info = env.reset(seed=seed, options={"index": index})
    reply = student.act(prompt, info, Episode(ENV_ID, seed, index))
    _, reward, terminated, _, info = env.step(reply)
    assert terminated and reward == 1.0
    assert info["answer"] == info["gold"]


@settings(max_examples=10, deadline=None)
@given(point=unit_points, seed=seeds)
def test_exact_student_scores_one_through_evaluate(point, seed):
    params = _valid_params(point)
    record = evaluate(make_student("spatial-exact", ENV_ID), ENV_ID, params, episodes=8, seed=seed)
    assert record.successes == 8 and record.failures == {}


@pytest.mark.parametrize(
    ("params", "answers"),
    [
        ({"question_kinds": ["facing"]}, 4),
        ({"board_size": 3}, 9),
        ({"board_size": 3, "question_kinds": ["relative"]}, 25),
    ],
)
def test_random_guesser_scores_one_over_the_number_of_answers(params, answers):
    episodes = 1000
    record = evaluate(make_student("spatial-random", ENV_ID), ENV_ID, params, episodes=episodes)
    expected = 1 / answers
    spread = math.sqrt(expected * (1 - expected) / episodes)
    assert abs(record.rate - expected) < 4 * spread


def test_slips_lower_the_rate_monotonically():
    params = {"n_operations": 40, "board_op_share": 0.4, "question_kinds": ["position", "facing"]}
    rates = [
        evaluate(
            make_student(f"spatial-exact:slip={slip}", ENV_ID), ENV_ID, params, episodes=300
        ).rate
        for slip in (0.0, 0.02, 0.05, 0.1, 0.3)
    ]
    assert rates[0] == 1.0
    assert all(later <= earlier + 0.03 for earlier, later in itertools.pairwise(rates))
    assert rates[-1] < 0.3 < 0.6 < rates[1]


def test_default_student_spans_every_target_of_the_tuning_protocol():
    student = make_student(None, ENV_ID)
    assert student.describe().startswith("spatial-exact:slip=0.05")
    rate = {
        n: evaluate(student, ENV_ID, {"n_operations": n}, episodes=400, seed=7).rate
        for n in (1, 10, 100)
    }
    assert rate[1] > 0.95 and 0.6 < rate[10] < 0.85 and rate[100] < 0.15


def test_limited_capacity_ignores_the_later_sentences():
    params = {"n_operations": 30, "board_op_share": 1.0, "rotation_share": 0.0}
    blind = evaluate(make_student("spatial-exact:capacity=0", ENV_ID), ENV_ID, params, episodes=50)
    full = evaluate(make_student("spatial-exact:capacity=30", ENV_ID), ENV_ID, params, episodes=50)
    assert full.rate == 1.0 and blind.rate < 0.3


def test_student_randomness_depends_on_student_seed_and_episode():
    env = SpatialGridEnv({"n_operations": 50})
    prompt, info = env.reset(seed=1)
    noisy = make_student("spatial-exact:slip=0.5", ENV_ID)
    other = make_student("spatial-exact:slip=0.5,seed=1", ENV_ID)
    replies = [noisy.act(prompt, info, Episode(ENV_ID, 1, i)) for i in range(20)]
    assert replies == [noisy.act(prompt, info, Episode(ENV_ID, 1, i)) for i in range(20)]
    assert len(set(replies)) > 1
    assert replies != [other.act(prompt, info, Episode(ENV_ID, 1, i)) for i in range(20)]


def test_bad_student_settings_are_named():
    with pytest.raises(SpecError, match=r"slip=2\.0 is not a probability"):
        make_student("spatial-exact:slip=2", ENV_ID)
    with pytest.raises(SpecError, match="Did you mean 'slip'"):
        make_student("spatial-exact:slp=0.1", ENV_ID)
    with pytest.raises(SpecError, match="capacity=-1 is negative"):
        make_student("spatial-exact:capacity=-1", ENV_ID)


def test_exact_student_fails_the_episode_on_a_foreign_observation():
    student = make_student("spatial-exact", ENV_ID)
    with pytest.raises(StudentFailure, match="not a SpatialGrid prompt"):
        student.act("What is 2 + 2?", {}, Episode(ENV_ID, 0, 0))
