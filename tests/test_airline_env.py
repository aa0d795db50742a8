"""The airline template: instances, gold, the judge, the simulated users and the interface.

The gold checks run over the whole parameter space: for every sampled parameter set the gold
actions are valid tool calls the policy allows, and applied to the starting database they
give the gold one. An *oracle* agent that knows the hidden goal (it reads the instance, which
no student may) then plays the gold through the Gymnasium API, so the user simulation and
the judge are checked independently of the scripted student.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import betal_envs  # noqa: F401
from agents.llm.client import ChatClient, ChatSettings
from betal_envs.airline import SPACE, AirlineEnv
from betal_envs.airline.generator import generate
from betal_envs.airline.policy import CHANGING_TOOLS, check_call
from betal_envs.airline.tasks import REQUEST_KINDS, TRANSFER
from betal_envs.airline.tools import run_tool
from betal_envs.airline.transcript import read_events
from betal_envs.errors import BetalError
from tests.openai_server import OpenAIServer, Reply

ENV_ID = "BeTaL/Airline-v0"
unit_points = st.lists(st.floats(0.0, 1.0), min_size=SPACE.dim, max_size=SPACE.dim)
seeds = st.integers(0, 2**31 - 1)
_QUICK = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make(**params: Any) -> AirlineEnv:
    return AirlineEnv({"turn_limit": 100, **params})


def oracle_actions(env: AirlineEnv):
    """The gold, request by request, as a polite agent would carry it out."""
    instance = env.instance
    for request in instance.requests:
        if request.kind == TRANSFER:
            yield request.gold[0].action()
            return
        if request.forbidden:
            yield json.dumps({"message": f"I'm sorry, I cannot do that: {request.rule}."})
            continue
        for call in request.gold:
            yield json.dumps({"message": f"I will {call.tool}. Shall I proceed? (yes/no)"})
            yield call.action()
        answer = f" The answer is {request.answer}." if request.answer else ""
        yield json.dumps({"message": f"Done.{answer} Is there anything else?"})
    yield json.dumps({"tool": "end_conversation", "arguments": {}})


def play(env: AirlineEnv, actions) -> tuple[float, bool, bool, dict]:
    for action in actions:
        _, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return reward, terminated, truncated, info
    raise AssertionError("the actions ran out before the episode ended")


@_QUICK
@given(point=unit_points, seed=seeds)
def test_gold_actions_are_allowed_and_reach_the_gold_database(point, seed):
    instance = generate(SPACE.decode(point), seed)
    db = instance.db.copy()
    for call in instance.gold_actions:
        if call.tool in CHANGING_TOOLS:
            assert check_call(db, call.tool, call.arguments, instance.user_id).allowed
        run_tool(db, call.tool, call.arguments)
    assert db == instance.gold_db
    for request in instance.requests:
        assert request.forbidden == (request.rule != "allowed") or request.kind == TRANSFER
        assert not (request.forbidden and request.gold)
        assert (request.answer is not None) == (request.kind == "info")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point=unit_points, seed=seeds)
def test_the_oracle_playing_the_gold_through_the_api_succeeds(point, seed):
    env = AirlineEnv({**SPACE.decode(point), "turn_limit": 100})
    env.reset(seed=seed)
    reward, terminated, _, info = play(env, oracle_actions(env))
    assert (reward, terminated, info["success"], info["failures"]) == (1.0, True, True, [])
    assert info["gold_actions"] == [call.action() for call in env.instance.gold_actions]


def test_a_change_without_confirmation_or_a_forbidden_one_fails_with_the_reasons():
    env = make(request_kinds=("cancel",), n_requests=1, forbidden_share=1.0)
    env.reset(seed=3)
    request = env.instance.requests[0]
    cancel = {"reservation_id": request.reservation_id, "reason": "change_of_plans"}
    reward, _, _, info = play(
        env,
        [
            json.dumps({"tool": "cancel_reservation", "arguments": cancel}),
            json.dumps({"message": "Done, it is cancelled."}),
            json.dumps({"tool": "end_conversation", "arguments": {}}),
        ],
    )
    reasons = " | ".join(info["failures"])
    assert reward == 0.0 and not info["success"]
    assert "database differs" in reasons and "had to be refused" in reasons
    assert "policy violation: cancel_reservation" in reasons
    assert "without the user's confirmation" in reasons


def test_leaving_early_and_hitting_the_turn_limit_are_failures():
    env = make(n_requests=2, forbidden_share=1.0, request_kinds=("cancel", "baggage"))
    env.reset(seed=0)
    _, _, _, info = play(env, [json.dumps({"tool": "end_conversation", "arguments": {}})])
    assert not info["success"]
    assert [f for f in info["failures"] if f.startswith("request")] == [
        f"request {n} ({r.kind}) was never addressed"
        for n, r in enumerate(env.instance.requests, 1)
    ]

    env = AirlineEnv({"turn_limit": 10})
    env.reset(seed=0)
    for _ in range(9):
        assert env.step('{"message": "Hello?"}')[2:4] == (False, False)
    _, reward, terminated, truncated, info = env.step('{"message": "Hello?"}')
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert "the turn limit was reached" in info["failures"][0]


def test_the_observation_is_json_lines_after_the_header_with_policy_and_tools():
    env = make()
    observation, info = env.reset(seed=1)
    assert "# Airline customer-service policy" in observation and "== TOOLS ==" in observation
    assert [e["role"] for e in read_events(observation)] == ["user"]
    assert {t["function"]["name"] for t in info["tools"]} >= {"get_user", "book_reservation"}
    observation, *_ = env.step('{"tool": "calculate", "arguments": {"expression": "2 * 21"}}')
    assert read_events(observation)[-2:] == [
        {"role": "agent", "tool": "calculate", "arguments": {"expression": "2 * 21"}},
        {"role": "tool", "tool": "calculate", "result": {"result": 42}},
    ]
    observation, *_ = env.step('{"message": "What would you like?"}')
    assert [e["role"] for e in read_events(observation)[-2:]] == ["agent", "user"]
    assert env.observation_space.contains(observation)


def test_the_rule_user_reveals_details_only_when_asked_if_uncooperative():
    env = make(cooperativeness=0.0, request_kinds=("cancel",), n_requests=1)
    observation, _ = env.reset(seed=5)
    opening = read_events(observation)[0]["content"]
    assert "user id" not in opening and "reason" not in opening
    observation, *_ = env.step('{"message": "Could you tell me your user id?"}')
    assert env.instance.user_id in read_events(observation)[-1]["content"]
    observation, *_ = env.step('{"message": "What is the reason for the cancellation?"}')
    assert read_events(observation)[-1]["content"].startswith("The reason is")


def test_requests_come_all_at_once_or_one_at_a_time():
    together = make(request_style="all_at_once", n_requests=3)
    opening = read_events(together.reset(seed=2)[0])[0]["content"]
    assert "I have 3 requests today." in opening and "Third, " in opening
    apart = make(request_style="one_at_a_time", n_requests=3)
    opening = read_events(apart.reset(seed=2)[0])[0]["content"]
    assert "requests today" not in opening


def test_renders_show_the_transcript_and_a_timeline():
    env = AirlineEnv(render_mode="ansi")
    env.reset(seed=0)
    env.step('{"tool": "get_user", "arguments": {"user_id": "nobody"}}')
    text = env.render()
    assert "agent -> get_user" in text and "ERROR no user" in text
    picture_env = AirlineEnv(render_mode="rgb_array")
    picture_env.reset(seed=0)
    picture_env.step('{"message": "Hello"}')
    picture = picture_env.render()
    assert picture.dtype == np.uint8 and picture.shape[2] == 3
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) >= 4


def test_only_text_mode_exists_and_bad_settings_are_refused():
    with pytest.raises(BetalError, match="only obs_mode='text'"):
        gym.make(ENV_ID, obs_mode="array")
    with pytest.raises(BetalError, match="user='robot' is not known"):
        AirlineEnv(user="robot")
    assert AirlineEnv.obs_modes == ("text",)
    assert set(SPACE["request_kinds"].choices) == set(REQUEST_KINDS)
    assert "| `turn_limit` |" in (AirlineEnv.__doc__ or "")


def test_an_env_pickled_mid_conversation_continues_identically():
    env = make()
    env.reset(seed=9)
    env.step('{"message": "Could you tell me your user id?"}')
    clone = pickle.loads(pickle.dumps(env))
    action = '{"message": "Could you please tell me the reservation id?"}'
    assert env.step(action)[0] == clone.step(action)[0]


def test_the_llm_user_speaks_for_the_model_and_ends_when_it_says_so():
    script = [Reply.text("Yes, please go ahead."), Reply.text("Thanks, bye! ###DONE###")]
    with OpenAIServer(script) as server:
        client = ChatClient(
            ChatSettings(model="user-model", max_retries=0),
            base_url=server.url,
            api_key="sk-test",
            use_cache=False,
        )
        env = AirlineEnv({"turn_limit": 100}, user="llm", user_client=client)
        env.reset(seed=4)
        observation, *_ = env.step('{"message": "Shall I proceed? (yes/no)"}')
        assert read_events(observation)[-1]["content"] == "Yes, please go ahead."
        assert env._confirmed
        observation, _, terminated, _, _ = env.step('{"message": "All done."}')
        assert read_events(observation)[-1]["content"] == "Thanks, bye!" and not terminated
        _, _, terminated, _, info = env.step('{"message": "Goodbye!"}')
        assert terminated and "success" in info
        body = server.chat_requests[0].body
        assert body["messages"][0]["role"] == "system" and env.instance.user_id in str(body)


def test_a_transfer_to_a_human_ends_the_episode_and_succeeds_only_when_asked_for():
    for kinds, wanted in ((("transfer",), True), (("info",), False)):
        env = make(request_kinds=kinds, n_requests=1, forbidden_share=0.0)
        env.reset(seed=1)
        transfer = {"tool": "transfer_to_human", "arguments": {"summary": "needs a person"}}
        _, reward, terminated, truncated, info = env.step(json.dumps(transfer))
        assert (terminated, truncated) == (True, False)
        assert (reward == 1.0, info["success"]) == (wanted, wanted), info["failures"]
