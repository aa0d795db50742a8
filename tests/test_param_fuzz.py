"""Every template's parameter validation under junk: one clear error, never a deep traceback.

Hypothesis throws values no parameter accepts at each registered template, through the space,
``gym.make``, ``set_params`` and ``reset(options=...)``: wrong types, NaN, infinities, huge
integers, strings, bytes, nested structures and unknown names. Each bad entry must come back
as exactly one short problem in one :class:`ParameterError`, naming the parameter (or the
unknown name) and what is allowed; the parameters in force must stay as they were.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import betal_envs
from betal_envs.errors import BetalError, ParameterError
from betal_envs.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    Parameter,
    SubsetParam,
)
from betal_envs.registration import TEMPLATES, template_class

ROOT = Path(__file__).resolve().parents[1]
ENV_IDS = [i for i in betal_envs.template_ids() if TEMPLATES[i].startswith("betal_envs.")]
CASES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: The longest a single problem may be: one line a person reads at a glance.
LONGEST_PROBLEM = 400

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.binary(max_size=10),
)
nested = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)
huge_integers = st.integers(min_value=10**30) | st.integers(max_value=-(10**30))
#: Values that no parameter of any kind accepts.
never_valid = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 10**5000, -(10**400), b"\xff\xfe", None]),
    huge_integers,
    st.complex_numbers(allow_nan=True),
    st.binary(),
    st.dictionaries(st.text(max_size=5), nested, max_size=3),
    st.lists(nested, max_size=3).map(lambda items: [*items, {"nested": items}]),
    st.text(min_size=2000, max_size=3000),
    st.sampled_from([np.array([1, 2]), np.array([[90, 180], [1, 2]]), np.float64("nan")]),
)


def invalid_values(parameter: Parameter) -> st.SearchStrategy[Any]:
    """Values ``parameter`` must refuse, whatever its kind."""
    if isinstance(parameter, IntParam):
        own = st.one_of(
            st.text(),
            st.booleans(),
            st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)),
            st.integers(max_value=parameter.low - 1),
            st.integers(min_value=parameter.high + 1),
            st.lists(st.integers(), max_size=3),
        )
    elif isinstance(parameter, FloatParam):
        own = st.one_of(
            st.text(),
            st.booleans(),
            st.floats(max_value=parameter.low, exclude_max=True, allow_infinity=False),
            st.floats(min_value=parameter.high, exclude_min=True, allow_infinity=False),
            st.lists(st.floats(), max_size=3),
        )
    elif isinstance(parameter, ChoiceParam):
        own = st.one_of(st.text(), st.integers(), st.floats(), st.booleans()).filter(
            lambda value: not any(type(value) is type(c) and value == c for c in parameter.choices)
        )
        own = own | st.lists(st.sampled_from(parameter.choices), min_size=1, max_size=2)
    elif isinstance(parameter, BoolParam):
        own = st.one_of(st.text(), st.integers(), st.floats(), st.lists(st.booleans(), max_size=2))
    elif isinstance(parameter, SubsetParam):
        strangers = st.one_of(st.text(), st.integers(), st.floats(), st.booleans()).filter(
            lambda value: not any(type(value) is type(c) and value == c for c in parameter.choices)
        )
        own = st.one_of(
            st.just([]),
            st.lists(strangers, min_size=1, max_size=3),
            st.text(),
            st.integers(),
            st.booleans(),
        )
    else:
        raise AssertionError(f"no junk strategy for {type(parameter).__name__}")
    return own | never_valid


@st.composite
def one_bad_entry(draw: st.DrawFn, env_id: str) -> tuple[str, Any]:
    parameter = draw(st.sampled_from(template_class(env_id).space.parameters))
    return parameter.name, draw(invalid_values(parameter))


def unknown_names(env_id: str) -> st.SearchStrategy[Any]:
    names = set(template_class(env_id).space.names)
    return st.one_of(
        st.text().filter(lambda name: name not in names),
        st.text(min_size=5000, max_size=6000),
        st.integers(),
        huge_integers,
        st.none(),
        st.tuples(st.integers(), st.text(max_size=3)),
    )


def assert_one_clear_problem(error: ParameterError, name: str) -> None:
    assert len(error.problems) == 1, error.problems
    [problem] = error.problems
    assert problem.startswith(f"{name}: "), problem
    assert any(word in problem for word in ("expected", "allowed", "at least one")), problem
    assert len(problem) < LONGEST_PROBLEM, problem
    assert "\n" not in problem


@pytest.mark.parametrize("env_id", ENV_IDS)
@CASES
@given(data=st.data())
def test_a_bad_value_of_any_parameter_is_one_problem_naming_it(env_id: str, data):
    name, value = data.draw(one_bad_entry(env_id))
    with pytest.raises(ParameterError) as failure:
        template_class(env_id).space.validate({name: value})
    assert_one_clear_problem(failure.value, name)
    assert str(failure.value).startswith(f"invalid parameters for {env_id} (1 problem):")


@pytest.mark.parametrize("env_id", ENV_IDS)
@CASES
@given(data=st.data())
def test_unknown_names_are_each_one_problem_with_the_known_names(env_id: str, data):
    space = template_class(env_id).space
    names = data.draw(st.lists(unknown_names(env_id), min_size=1, max_size=3, unique=True))
    with pytest.raises(ParameterError) as failure:
        space.validate({name: data.draw(nested) for name in names})
    assert len(failure.value.problems) == len(names)
    for problem in failure.value.problems:
        assert problem.startswith("unknown parameter ") and "Known parameters:" in problem
        assert len(problem) < LONGEST_PROBLEM + len(", ".join(space.names))


@pytest.mark.parametrize("env_id", ENV_IDS)
@FEW
@given(data=st.data())
def test_every_bad_entry_is_listed_at_once(env_id: str, data):
    space = template_class(env_id).space
    chosen = data.draw(st.lists(st.sampled_from(space.parameters), min_size=2, unique=True))
    entries = {p.name: data.draw(invalid_values(p)) for p in chosen}
    entries[data.draw(unknown_names(env_id))] = 1
    with pytest.raises(ParameterError) as failure:
        space.validate(entries)
    assert len(failure.value.problems) == len(entries)


@pytest.mark.parametrize("env_id", ENV_IDS)
@CASES
@given(params=st.one_of(nested.filter(lambda v: not isinstance(v, dict) and v is not None)))
def test_something_other_than_a_mapping_is_one_problem(env_id: str, params):
    with pytest.raises(ParameterError) as failure:
        template_class(env_id).space.validate(params)
    [problem] = failure.value.problems
    assert problem.startswith("parameters must be a mapping of name to value, got ")
    assert len(problem) < LONGEST_PROBLEM


@pytest.fixture(scope="module")
def live_envs() -> dict[str, gym.Env]:
    envs = {env_id: gym.make(env_id, disable_env_checker=True) for env_id in ENV_IDS}
    for env in envs.values():
        env.reset(seed=0)
    yield envs
    for env in envs.values():
        env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
@FEW
@given(data=st.data())
def test_a_live_env_refuses_bad_values_and_keeps_its_parameters(live_envs, env_id: str, data):
    env = live_envs[env_id]
    before = env.unwrapped.get_params()
    name, value = data.draw(one_bad_entry(env_id))
    with pytest.raises(ParameterError) as failure:
        env.unwrapped.set_params({name: value})
    assert_one_clear_problem(failure.value, name)
    with pytest.raises(ParameterError) as failure:
        env.reset(options={"params": {name: value}})
    assert_one_clear_problem(failure.value, name)
    assert env.unwrapped.get_params() == before


@pytest.mark.parametrize("env_id", ENV_IDS)
@FEW
@given(data=st.data())
def test_make_refuses_bad_values_with_the_same_error(env_id: str, data):
    name, value = data.draw(one_bad_entry(env_id))
    with pytest.raises(ParameterError) as failure:
        gym.make(env_id, params={name: value}, disable_env_checker=True)
    assert_one_clear_problem(failure.value, name)


def betal_eval(params: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "betal", "eval", "BeTaL/SpatialGrid-v0", "--params", params],
        cwd=ROOT,
        env={**os.environ, "BETAL_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_line_reports_junk_parameters_in_one_error(tmp_path: Path):
    junk = (
        '{"board_size": 1e999, "n_particles": NaN, "n_operations": 1' + "0" * 40 + ", "
        '"angles": [[90]], "move_frame": {"a": [1]}, "wrap_around": "yes", "bogus": 1}'
    )
    done = betal_eval(junk, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "invalid parameters for BeTaL/SpatialGrid-v0 (7 problems)" in done.stderr
    for name in ("board_size", "n_particles", "n_operations", "angles", "move_frame"):
        assert f"  - {name}: " in done.stderr
    assert "an integer of about 41 digits is out of range" in done.stderr
    assert "unknown parameter 'bogus'" in done.stderr


@pytest.mark.parametrize(
    "params",
    ['{"board_size": ' + "9" * 5000 + "}", "[" * 100_000, '"' + "x" * 100_000 + '"'],
    ids=["5000 digits", "deep nesting", "huge string"],
)
def test_unreadable_parameters_on_the_command_line_are_one_short_line(params, tmp_path: Path):
    done = betal_eval(params, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("betal: error: --params ") and len(line) < 300


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("max_steps", "abc"),
        ("max_steps", 0),
        ("max_steps", 2.5),
        ("max_steps", math.inf),
        ("max_steps", True),
        ("obs_mode", "txt"),
        ("obs_mode", 5),
    ],
)
def test_bad_construction_settings_are_one_clear_error(env_id: str, setting: str, value: Any):
    with pytest.raises(BetalError, match=rf"{setting}") as failure:
        gym.make(env_id, disable_env_checker=True, **{setting: value})
    assert "\n" not in str(failure.value) and len(str(failure.value)) < LONGEST_PROBLEM
