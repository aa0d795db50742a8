"""The ``openai-tools`` student against a scripted OpenAI-compatible server on 127.0.0.1.

The server plays a model that calls tools: it reads the request (the messages rebuilt from
the observation, and the tools) and answers the way a careful agent would, with tool calls
and messages, so a whole episode runs through the real openai client.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents import evaluate, make_student
from agents.llm.tool_agent import events_to_messages, tools_from_observation
from agents.student import Episode, StudentFailure
from betal_envs.airline import AirlineEnv
from betal_envs.airline.reading import Job
from betal_envs.airline.transcript import read_events
from tests.openai_server import OpenAIServer, Reply

ENV_ID = "BeTaL/Airline-v0"
#: One allowed cancellation, every detail volunteered: a short conversation.
PARAMS = {
    "request_kinds": ["cancel"], "n_requests": 1, "forbidden_share": 0.0,
    "cooperativeness": 1.0, "turn_limit": 20,
}  # fmt: skip


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with OpenAIServer() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tools")
        monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
        yield running


def careful_agent(body: dict[str, Any]) -> Reply:
    """A model that cancels the reservation the user names, after asking to confirm."""
    messages = body["messages"]
    last = messages[-1]
    opening = Job("cancel", next(m["content"] for m in messages if m["role"] == "user"))
    reservation_id, reason = opening.get("reservation_id"), opening.get("reason")
    if last["role"] == "user" and last["content"].startswith("Hello"):
        # Two calls in one reply: the student queues the second for the next step.
        return Reply.tools(
            [
                {"name": "get_reservation", "arguments": {"reservation_id": reservation_id}},
                {"name": "calculate", "arguments": {"expression": "1 + 1"}},
            ]
        )
    if last["role"] == "tool" and '"status": "cancelled"' in last["content"]:
        return Reply.text("Done: it has been cancelled. Is there anything else?")
    if last["role"] == "tool":
        return Reply.text(f"I will cancel {reservation_id} for {reason}. Shall I proceed? (yes/no)")
    if last["content"].startswith("Yes"):
        call = {"reservation_id": reservation_id, "reason": reason}
        return Reply.tools([{"name": "cancel_reservation", "arguments": call}])
    return Reply.tools([{"name": "end_conversation", "arguments": "{}"}])


def test_the_tool_student_completes_an_episode_through_tool_calls(server):
    server.set_script(careful_agent)
    student = make_student("openai-tools:model=tool-model,temperature=0,concurrency=2", ENV_ID)
    evaluation = evaluate(student, ENV_ID, PARAMS, episodes=3, seed=0)
    assert evaluation.rate == 1.0, evaluation.failures
    first = server.chat_requests[0].body
    assert {t["function"]["name"] for t in first["tools"]} >= {"cancel_reservation", "get_user"}
    assert first["messages"][0]["role"] == "system" and "policy" in first["messages"][0]["content"]
    roles = [m["role"] for m in server.chat_requests[-1].body["messages"]]
    assert "tool" in roles and roles[0] == "system"
    assert evaluation.tokens > 0 and evaluation.requests > 0


def test_a_rerun_is_answered_from_the_cache(server):
    server.set_script(careful_agent)
    student = make_student("openai-tools:model=tool-model,temperature=0", ENV_ID)
    evaluate(student, ENV_ID, PARAMS, episodes=1, seed=1)
    sent = len(server.chat_requests)
    again = evaluate(
        make_student("openai-tools:model=tool-model,temperature=0", ENV_ID),
        ENV_ID,
        PARAMS,
        episodes=1,
        seed=1,
    )
    assert len(server.chat_requests) == sent and again.cached_requests > 0 and again.rate == 1.0


def test_a_failed_call_raises_student_failure_and_fails_the_episode(server):
    server.set_script([Reply.error(500)])
    student = make_student("openai-tools:model=tool-model,max_retries=0", ENV_ID)
    env = AirlineEnv(PARAMS)
    observation, info = env.reset(seed=0)
    with pytest.raises(StudentFailure, match="server error"):
        student.act(observation, info, Episode(ENV_ID, 0, 0))
    evaluation = evaluate(student, ENV_ID, PARAMS, episodes=1)
    assert evaluation.rate == 0.0 and sum(evaluation.failures.values()) == 1


def test_text_replies_become_message_actions_and_history_is_rebuilt():
    env = AirlineEnv(PARAMS)
    observation, _ = env.reset(seed=0)
    observation, *_ = env.step('{"tool": "get_user", "arguments": {"user_id": "x"}}')
    observation, *_ = env.step('{"message": "Hello {there}"}')
    messages = events_to_messages(read_events(observation))
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant", "user"]
    assert messages[1]["tool_calls"][0]["id"] == messages[2]["tool_call_id"]
    assert json.loads(messages[2]["content"])["error"].startswith("no user")
    assert {t["function"]["name"] for t in tools_from_observation(observation)} >= {"get_user"}
