"""Parameter spaces: validation, sampling, the unit-cube encoding and the descriptions.

A small space holding one parameter of every kind (and a log scale of each numeric kind)
stands in for a template's, so that each behaviour is checked once for every kind.
Hypothesis walks the whole cube: every point decodes to a valid parameter set, and every
valid set survives the round trip through the encoding unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from betal_envs.errors import ParameterError
from betal_envs.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    ParameterSpace,
    SubsetParam,
    to_jsonable,
)


def _big_needs_many(params: dict[str, Any]) -> str | None:
    if params["size"] > 50 and params["count"] < 2:
        return f"size {params['size']} needs count >= 2, got {params['count']}"
    return None


SPACE = ParameterSpace(
    "Example-v0",
    (
        IntParam("size", "cells per side", low=3, high=80, default=6, harder="higher"),
        IntParam("count", "how many", low=1, high=100, default=10, harder="higher", log=True),
        FloatParam("share", "a proportion", low=0.0, high=1.0, default=0.25),
        FloatParam("rate", "a rate spanning decades", low=1e-3, high=1.0, default=0.01, log=True),
        ChoiceParam("frame", "how moves are worded", choices=("absolute", "relative"),
                    default="relative", harder="higher"),
        ChoiceParam("view", "cells seen ahead", choices=(3, 5, 7), default=5, harder="lower"),
        BoolParam("wrap", "edges wrap around", default=True),
        SubsetParam("kinds", "question kinds", choices=("position", "facing", "relative"),
                    default=("position",), harder="more"),
    ),
    constraints=(_big_needs_many,),
)  # fmt: skip

unit_points = st.lists(st.floats(0.0, 1.0), min_size=SPACE.dim, max_size=SPACE.dim)


# -- validation -------------------------------------------------------------------------------


def test_every_problem_is_listed_at_once_with_the_fix():
    with pytest.raises(ParameterError) as caught:
        SPACE.validate(
            {
                "sise": 5,
                "count": 0,
                "share": "half",
                "frame": "relativ",
                "wrap": 1,
                "kinds": ["position", "colour"],
                "view": 4,
            }
        )
    problems = caught.value.problems
    assert len(problems) == 7
    assert problems[0].startswith("unknown parameter 'sise'. Did you mean 'size'?")
    assert "Known parameters: size, count, share" in problems[0]
    assert "count: 0 is out of range; allowed integers 1..100" in problems
    assert "share: expected a number, got str 'half'" in problems
    assert "frame: 'relativ' is not allowed; allowed one of 'absolute', 'relative'. Did you mean 'relative'?" in problems  # fmt: skip
    assert "wrap: expected true or false, got int 1" in problems
    assert any(p.startswith("kinds: ['colour'] not allowed") for p in problems)
    assert "view: 4 is not allowed; allowed one of 3, 5, 7" in problems
    message = str(caught.value)
    assert message.startswith("invalid parameters for Example-v0 (7 problems):\n  - ")


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"size": 2.5}, "size: expected an integer, got 2.5"),
        ({"size": True}, "size: expected an integer, got bool True"),
        ({"size": "6"}, "size: expected an integer, got str '6'"),
        ({"share": math.nan}, "share: expected a finite number, got nan"),
        ({"share": 1.5}, "share: 1.5 is out of range; allowed numbers 0..1"),
        ({"rate": 0.0}, "rate: 0 is out of range; allowed numbers 0.001..1"),
        ({"frame": 1}, "frame: 1 is not allowed; allowed one of 'absolute', 'relative'"),
        ({"view": "5"}, "view: '5' is not allowed; allowed one of 3, 5, 7. Did you mean 5, without quotes?"),
        ({"kinds": []}, "kinds: must name at least one of ['position', 'facing', 'relative']"),
        ({"kinds": "position"}, "kinds: expected a list of choices, got str 'position'"),
        ({"size": 60, "count": 1}, "size 60 needs count >= 2, got 1"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_value_is_named_with_what_is_allowed(params, problem):
    with pytest.raises(ParameterError) as caught:
        SPACE.validate(params)
    assert caught.value.problems == [problem]


def test_a_mapping_is_completed_from_the_defaults_or_a_base_and_made_canonical():
    assert SPACE.validate(None) == SPACE.defaults()
    params = SPACE.validate({"size": 8.0, "kinds": ["relative", "position", "relative"]})
    assert params == {**SPACE.defaults(), "size": 8, "kinds": ("position", "relative")}
    assert type(params["size"]) is int
    # numpy scalars, as optimisers produce them, count as the Python values they hold.
    chosen = SPACE.validate({"view": np.int64(7), "kinds": [np.str_("facing")]})
    assert (chosen["view"], chosen["kinds"]) == (7, ("facing",)) and type(chosen["view"]) is int
    base = {**SPACE.defaults(), "count": 40}
    assert SPACE.validate({"wrap": False}, base=base) == {**base, "wrap": False}


def test_something_other_than_a_mapping_is_refused_saying_what_is_wanted():
    with pytest.raises(ParameterError, match="must be a mapping of name to value, got list"):
        SPACE.validate([("size", 5)])  # type: ignore[arg-type]


def test_a_bad_declaration_is_refused_when_the_space_is_written():
    with pytest.raises(ValueError, match="default 0 outside range"):
        IntParam("n", "a number", low=1, high=5, default=0)
    with pytest.raises(ValueError, match="log scale needs low >= 1"):
        IntParam("n", "a number", low=0, high=5, default=1, log=True)
    with pytest.raises(ValueError, match="'c' not a choice"):
        ChoiceParam("x", "a choice", choices=("a", "b"), default="c")
    with pytest.raises(ValueError, match="duplicate parameter names"):
        ParameterSpace("Dup-v0", (BoolParam("w", "a switch"), BoolParam("w", "again")))


# -- sampling and the unit cube ---------------------------------------------------------------


def test_samples_are_valid_and_cover_every_value_of_small_parameters():
    rng = np.random.default_rng(0)
    samples = [SPACE.sample(rng) for _ in range(400)]
    assert all(SPACE.validate(s) == s for s in samples)
    assert {s["view"] for s in samples} == {3, 5, 7}
    assert {s["wrap"] for s in samples} == {True, False}
    assert {s["kinds"] for s in samples} >= {("position",), ("facing", "relative")}
    assert not any(s["size"] > 50 and s["count"] < 2 for s in samples)
    # A log scale spends as much of the cube on 1..10 as on 10..100.
    assert 0.35 < np.mean([s["count"] <= 10 for s in samples]) < 0.65


@settings(max_examples=300, deadline=None)
@given(point=unit_points)
def test_every_point_of_the_cube_decodes_to_values_of_the_right_type_and_range(point):
    # Each value passes its parameter's check unchanged; constraints across parameters are
    # the business of sample() and decode_valid().
    params = SPACE.decode(point)
    assert list(params) == SPACE.names
    for name, value in params.items():
        checked = SPACE[name].check(value)
        assert checked == value and type(checked) is type(value)


@settings(max_examples=300, deadline=None)
@given(point=unit_points)
def test_encoding_a_decoded_point_and_decoding_again_gives_the_same_values(point):
    params = SPACE.decode(point)
    unit = SPACE.encode(params)
    assert unit.shape == (SPACE.dim,) and np.all((unit >= 0.0) & (unit <= 1.0))
    assert SPACE.decode(unit) == params


def test_each_value_of_an_integer_gets_its_own_slice_of_the_cube():
    size = SPACE["size"]
    assert [size.decode(size.encode(v)) for v in range(3, 81)] == list(range(3, 81))
    count = SPACE["count"]
    assert [count.decode(count.encode(v)) for v in range(1, 101)] == list(range(1, 101))
    assert size.decode([0.0]) == 3 and size.decode([1.0]) == 80
    assert size.decode([-3.0]) == 3 and size.decode([math.inf]) == 80
    assert size.decode([math.nan]) == 42


def test_points_of_the_wrong_length_are_refused_with_the_expected_length():
    with pytest.raises(ValueError, match=f"expected {SPACE.dim} unit coordinates, got 2"):
        SPACE.decode([0.5, 0.5])


def test_a_point_breaking_a_constraint_is_moved_to_a_valid_one_nearby():
    point = SPACE.encode({**SPACE.defaults(), "size": 70, "count": 1})
    params = SPACE.decode_valid(point, np.random.default_rng(0))
    assert SPACE.violations(params) == []
    assert params["size"] > 40 and params["count"] <= 5


# -- restricting the space ---------------------------------------------------------------------


def test_a_restricted_space_sets_only_the_free_parameters_and_holds_the_rest():
    small = SPACE.restrict(["size", "wrap"], fixed={"count": 20})
    assert small.names == ["size", "wrap"] and small.dim == 2
    full = small.complete(small.decode([1.0, 0.0]))
    assert full == {**SPACE.defaults(), "size": 80, "wrap": False, "count": 20}


def test_freeing_unknown_parameters_names_each_with_the_near_name():
    with pytest.raises(ParameterError) as caught:
        SPACE.restrict(["sise", "wrap", "cont"])
    assert [p.split(".")[0] for p in caught.value.problems] == [
        "cannot free unknown parameter 'sise'",
        "cannot free unknown parameter 'cont'",
    ]
    assert "Did you mean 'size'?" in caught.value.problems[0]
    assert "Did you mean 'count'?" in caught.value.problems[1]
    with pytest.raises(ParameterError, match="count: 0 is out of range"):
        SPACE.restrict(["size"], fixed={"count": 0})


# -- descriptions -----------------------------------------------------------------------------


def test_the_table_has_one_row_per_parameter_with_range_default_meaning_and_direction():
    rows = SPACE.table().splitlines()
    assert rows[0] == "| name | type | allowed | default | meaning | harder |"
    assert len(rows) == 2 + len(SPACE)
    assert rows[2] == "| `size` | int | integers 3..80 | `6` | cells per side | higher |"
    assert rows[3] == "| `count` | int | integers 1..100 | `10` | how many | higher |"
    assert rows[5] == "| `rate` | float | numbers 0.001..1 | `0.01` | a rate spanning decades | - |"
    assert rows[9] == (
        "| `kinds` | subset | a non-empty subset of 'position', 'facing', 'relative' "
        "| `['position']` | question kinds | more choices |"
    )


def _conforms(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` meets the parts of JSON Schema that parameter schemas use."""
    kind = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        return False
    if kind == "number" and not (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return False
    if kind == "boolean" and not isinstance(value, bool):
        return False
    if kind in ("integer", "number"):
        return schema["minimum"] <= value <= schema["maximum"]
    if kind == "array":
        return (
            isinstance(value, list)
            and len(value) >= schema["minItems"]
            and len(set(map(json.dumps, value))) == len(value)
            and all(_conforms(item, schema["items"]) for item in value)
        )
    return True


def test_the_json_schema_requires_every_parameter_and_admits_every_sample():
    schema = SPACE.json_schema()
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == SPACE.names
    assert schema["properties"]["size"] == {
        "type": "integer",
        "minimum": 3,
        "maximum": 80,
        "description": "cells per side",
    }
    assert schema["properties"]["frame"]["enum"] == ["absolute", "relative"]
    rng = np.random.default_rng(1)
    for _ in range(100):
        sample = json.loads(json.dumps(to_jsonable(SPACE.sample(rng))))
        assert all(_conforms(sample[name], schema["properties"][name]) for name in SPACE.names)
        assert SPACE.validate(sample) == SPACE.validate(to_jsonable(sample))
    assert not _conforms(81, schema["properties"]["size"])
    assert not _conforms([], schema["properties"]["kinds"])


def test_the_json_records_carry_what_betal_envs_json_shows():
    records = SPACE.describe()
    assert [r["name"] for r in records] == SPACE.names
    kinds = records[-1]
    assert kinds["default"] == ["position"] and kinds["harder"] == "more"
    assert kinds["schema"] == SPACE["kinds"].schema()
    json.dumps(records)
