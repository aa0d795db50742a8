"""The airline's tools through the environment: bad calls are answered, never obeyed.

Hypothesis throws malformed calls at a live conversation: unknown tools, arguments of the
wrong type, missing or unknown fields, garbage JSON, text that is no action at all. Each
must come back as an error line, leave the episode running and the database unchanged.
Well-formed calls the world cannot carry out (unknown ids, full flights, payments that do
not add up) must do the same.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from betal_envs.airline import AirlineEnv
from betal_envs.airline import tools as airline_tools
from betal_envs.airline.arguments import ToolError, calculate
from betal_envs.airline.schemas import PARAMETERS, TOOL_NAMES, tool_schemas
from betal_envs.airline.transcript import parse_action, read_events

_CASES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ENDING = ("transfer_to_human", "end_conversation")
_EXTREMES = st.sampled_from(
    [math.nan, math.inf, -math.inf, 10**400, -(10**400), "\ud800", "x" * 5000]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | _EXTREMES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_WRONG = {
    "string": st.integers() | st.none() | st.lists(st.integers(), max_size=2) | st.booleans(),
    "integer": st.text(max_size=5) | st.floats(0.1, 0.9) | st.booleans() | st.none() | _NOT_FINITE,
    "number": st.text(max_size=5)
    | st.booleans()
    | st.none()
    | st.lists(st.integers(), max_size=1)
    | _NOT_FINITE,
    "boolean": st.integers() | st.text(max_size=4) | st.none(),
    "array": st.text(max_size=5)
    | st.integers()
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    "object": st.text(max_size=5) | st.integers() | st.lists(st.integers(), max_size=2),
}


@pytest.fixture(scope="module")
def live() -> AirlineEnv:
    env = AirlineEnv({"payment_complexity": 3, "turn_limit": 100})
    env.reset(seed=0)
    return env


def _fresh(env: AirlineEnv) -> AirlineEnv:
    env.reset(seed=0)
    return env


@st.composite
def malformed_calls(draw) -> Any:
    """An action that is certainly not a valid call (see the module docstring)."""
    form = draw(
        st.sampled_from(("unknown", "wrong_type", "missing", "extra", "not_object", "garbage"))
    )
    if form == "garbage":
        text = draw(st.text(min_size=1, max_size=30))
        return "{" + text if not _is_json("{" + text) else "{,"
    tool = draw(st.sampled_from([t for t in TOOL_NAMES if PARAMETERS[t]["properties"]]))
    schema = PARAMETERS[tool]
    arguments = {name: _valid_example(spec) for name, spec in schema["properties"].items()}
    if form == "unknown":
        name = draw(st.text(min_size=1, max_size=20).filter(lambda n: n not in TOOL_NAMES))
        return json.dumps({"tool": name, "arguments": arguments})
    if form == "not_object":
        return json.dumps({"tool": tool, "arguments": draw(st.lists(json_values, max_size=3))})
    field = draw(st.sampled_from(sorted(schema["properties"])))
    if form == "missing":
        arguments.pop(draw(st.sampled_from(schema["required"])))
    elif form == "extra":
        arguments[draw(st.text(min_size=1, max_size=8).filter(lambda n: n not in arguments))] = 1
    else:
        arguments[field] = draw(_WRONG[schema["properties"][field]["type"]])
    return json.dumps({"tool": tool, "arguments": arguments})


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _valid_example(spec: dict[str, Any]) -> Any:
    """A value of the right type for a schema (the ids in it exist nowhere)."""
    kind = spec["type"]
    if "enum" in spec:
        return spec["enum"][0]
    if kind == "string":
        return {r"\d{4}-\d{2}-\d{2}": "2025-06-14", "[A-Z]{3}": "DEN"}.get(
            spec.get("pattern"), "ABC"
        )
    if kind == "array":
        return [_valid_example(spec["items"])]
    if kind == "object":
        return {name: _valid_example(item) for name, item in spec.get("properties", {}).items()}
    return {"integer": 1, "number": 10, "boolean": True}[kind]


def _assert_rejected(env: AirlineEnv, action: Any) -> None:
    before = env.db.copy()
    observation, reward, terminated, truncated, info = env.step(action)
    last = read_events(observation)[-1]
    assert info["error"] and "error" in last, (action, last)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert env.db == before


@_CASES
@given(action=malformed_calls())
def test_malformed_calls_are_answered_with_an_error_and_change_nothing(live, action):
    _assert_rejected(_fresh(live), action)


@_CASES
@given(tool=st.sampled_from([t for t in TOOL_NAMES if t not in _ENDING]), arguments=json_values)
def test_arbitrary_arguments_never_crash_and_never_change_the_database(live, tool, arguments):
    env = _fresh(live)
    before = env.db.copy()
    observation, _, terminated, _, info = env.step(
        json.dumps({"tool": tool, "arguments": arguments})
    )
    assert not terminated and read_events(observation)[-1]["role"] in ("tool", "env")
    assert env.db == before or info["error"] is None


#: Values no field accepts, put into otherwise well-formed calls on real ids.
_EXTREME_FIELD_VALUES = st.sampled_from(
    [math.nan, math.inf, -math.inf, 10**400, -(10**400), "\ud800", "\x00", "x" * 100_000,
     [[[[[]]]]], {"a": {"b": {}}}, None]
)  # fmt: skip


@_CASES
@given(
    tool=st.sampled_from(
        [t for t in TOOL_NAMES if t not in _ENDING and PARAMETERS[t]["properties"]]
    ),
    data=st.data(),
)
def test_extreme_values_in_well_formed_calls_are_refused_and_change_nothing(live, tool, data):
    env = _fresh(live)
    user = env.db.users[env.instance.user_id]
    schema = PARAMETERS[tool]["properties"]
    arguments = {name: _valid_example(spec) for name, spec in schema.items()}
    real = {"user_id": user.user_id, "reservation_id": user.reservation_ids[0]}
    arguments.update({name: value for name, value in real.items() if name in arguments})
    arguments[data.draw(st.sampled_from(sorted(schema)))] = data.draw(_EXTREME_FIELD_VALUES)
    before = env.db.copy()
    _, reward, terminated, _, info = env.step(json.dumps({"tool": tool, "arguments": arguments}))
    assert info["error"] and len(info["error"]) < 2000, info["error"][:300]
    assert (reward, terminated) == (0.0, False)
    assert env.db == before


@pytest.mark.parametrize(
    "action",
    [
        "",
        "   ",
        "[1, 2, 3]",
        '{"neither": 1}',
        '{"message": 17}',
        '{"tool": "get_user", "arguments": "{not json"}',
        "get_user(42)",
        "get_user(user_id=)",
        "{" * 5000,
    ],
)
def test_unreadable_actions_are_answered_and_the_episode_goes_on(live, action):
    _assert_rejected(_fresh(live), action)


def test_calls_the_world_cannot_carry_out_are_rejected_with_the_fix(live):
    env = _fresh(live)
    user = env.db.users[env.instance.user_id]
    reservation_id = user.reservation_ids[0]
    card = user.methods_of("credit_card")[0].payment_id
    flight = next(f for f in env.db.flights.values() if f.status == "scheduled")
    booking = {
        "user_id": user.user_id, "origin": flight.origin, "destination": flight.destination,
        "cabin": "economy", "flights": [{"flight_number": flight.flight_number, "date": flight.date}],
        "passengers": [{"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}],
        "payment_methods": [{"payment_id": card, "amount": 1}], "total_bags": 0,
        "nonfree_bags": 0, "insurance": False,
    }  # fmt: skip
    cases = [
        ("get_user", {"user_id": "nobody_here_0000"}, "ask the user for their user id"),
        ("get_reservation", {"reservation_id": "ZZZZZZ"}, "listed by get_user"),
        ("search_direct_flights", {"origin": "DEN", "destination": "LGA", "date": "2030-01-01"}, "outside"),
        ("book_reservation", booking, "the payments add up to"),
        ("change_baggage", {"reservation_id": reservation_id, "total_bags": 2, "nonfree_bags": 3, "payment_id": card}, "cannot exceed"),
        ("change_flights", {"reservation_id": reservation_id, "flights": [{"flight_number": "BT1", "date": "2025-06-14"}], "payment_id": card}, "search flights first"),
        ("cancel_reservation", {"reservation_id": reservation_id, "reason": "boredom"}, "allowed: health"),
        ("calculate", {"expression": "__import__('os')"}, "not allowed"),
    ]  # fmt: skip
    for tool, arguments, fix in cases:
        before = env.db.copy()
        _, _, _, _, info = env.step(json.dumps({"tool": tool, "arguments": arguments}))
        assert fix in info["error"], (tool, info["error"])
        assert env.db == before


def test_a_tool_that_breaks_midway_leaves_no_trace(live, monkeypatch):
    env = _fresh(live)
    reservation_id = env.db.users[env.instance.user_id].reservation_ids[0]

    def broken(db, arguments):
        db.reservations[arguments["reservation_id"]].status = "cancelled"
        raise RuntimeError("a bug")

    monkeypatch.setitem(airline_tools.IMPLEMENTATIONS, "cancel_reservation", broken)
    before = env.db.copy()
    _, _, terminated, _, info = env.step(
        json.dumps(
            {
                "tool": "cancel_reservation",
                "arguments": {"reservation_id": reservation_id, "reason": "other"},
            }
        )
    )
    assert not terminated and "could not process" in info["error"]
    assert env.db == before


@pytest.mark.parametrize(
    ("action", "kind", "tool", "arguments"),
    [
        ('{"tool": "get_user", "arguments": {"user_id": "x"}}', "tool", "get_user", {"user_id": "x"}),
        ('{"name": "get_user", "arguments": "{\\"user_id\\": \\"x\\"}"}', "tool", "get_user", {"user_id": "x"}),
        ('{"function": {"name": "calculate", "arguments": {"expression": "1+1"}}}', "tool", "calculate", {"expression": "1+1"}),
        ('```json\n{"tool": "end_conversation"}\n```', "tool", "end_conversation", {}),
        ('Action: get_user({"user_id": "x"})', "tool", "get_user", {"user_id": "x"}),
        ('get_user(user_id="x")', "tool", "get_user", {"user_id": "x"}),
        ('Let me look.\n{"tool": "get_reservation", "arguments": {"reservation_id": "AB"}}', "tool", "get_reservation", {"reservation_id": "AB"}),
        ('{"message": "Hi {there}"}', "message", None, None),
        ("Hello! How can I help?", "message", None, None),
        ("hello(world)", "message", None, None),
    ],
)  # fmt: skip
def test_actions_are_read_leniently(action, kind, tool, arguments):
    parsed = parse_action(action)
    assert parsed.kind == kind
    if kind == "tool":
        assert (parsed.tool, parsed.arguments) == (tool, arguments)


def test_the_calculator_does_arithmetic_and_nothing_else():
    assert calculate("(150 + 2 * 50) * 0.5") == 125.0
    assert calculate("$1,200 - 3") == 1197.0
    for bad in ("1 / 0", "2 ** 99", "x + 1", "().__class__", "9" * 300):
        with pytest.raises(ToolError):
            calculate(bad)


#: What an airline agent must be able to do; the template may offer more.
REQUIRED_TOOLS = {
    "get_user", "get_reservation", "search_direct_flights", "search_one_stop_flights",
    "book_reservation", "cancel_reservation", "change_flights", "change_baggage",
    "change_passengers", "issue_certificate", "transfer_to_human", "calculate",
}  # fmt: skip
_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object"}


def _schema_problems(schema: dict[str, Any], where: str) -> list[str]:
    """What keeps ``schema`` from being a JSON Schema an OpenAI tool may use."""
    kind = schema.get("type")
    if kind not in _JSON_TYPES:
        return [f"{where}: type {kind!r}"]
    problems = []
    if kind == "object":
        properties = schema.get("properties", {})
        missing = set(schema.get("required", [])) - set(properties)
        problems += [f"{where}: requires undeclared {sorted(missing)}"] if missing else []
        for name, inner in properties.items():
            problems += _schema_problems(inner, f"{where}.{name}")
    if kind == "array":
        problems += _schema_problems(schema.get("items", {}), f"{where}[]")
    if "enum" in schema and not schema["enum"]:
        problems.append(f"{where}: empty enum")
    return problems


def test_every_tool_is_an_openai_function_tool_with_a_json_schema():
    schemas = tool_schemas()
    assert json.loads(json.dumps(schemas)) == schemas
    names = [tool["function"]["name"] for tool in schemas]
    assert len(set(names)) == len(names) and set(names) >= REQUIRED_TOOLS
    problems = []
    for tool in schemas:
        function = tool["function"]
        assert tool["type"] == "function" and set(function) == {"name", "description", "parameters"}
        assert len(function["description"]) > 20, function["name"]
        assert function["parameters"]["type"] == "object"
        problems += _schema_problems(function["parameters"], function["name"])
    assert problems == []
    tool_schemas()[0]["function"]["name"] = "changed"
    assert tool_schemas()[0]["function"]["name"] == names[0], "callers get a copy"
