"""The ``openai`` student on ``BeTaL/SpatialGrid-v0`` through ``evaluate()``, against the
scripted OpenAI-compatible server on 127.0.0.1.

The server is scripted with a callable that reads the question out of the request and looks
up its gold answer (found by playing the same instances through ``gym.make``), so each test
decides exactly which episodes the "model" gets right, gets wrong or garbles.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

from agents import Episode, evaluate, make_student
from agents.evaluation import EpisodeResult
from agents.llm import prices
from agents.llm.prices import BUILTIN_PRICES
from agents.llm.student import OpenAIStudent, system_prompt
from betal_envs.errors import SpecError
from tests.openai_server import OpenAIServer, Reply

ENV_ID = "BeTaL/SpatialGrid-v0"
API_KEY = "sk-test-student-0123456789abcdef"


@pytest.fixture(scope="module")
def running_server():
    # One server for the module: stopping one takes up to its half-second poll interval.
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def server(running_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The module's server, fresh records, and the environment pointing the student at it."""
    running_server.set_script(None)
    running_server.reset_records()
    monkeypatch.setenv("OPENAI_BASE_URL", running_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
    return running_server


@pytest.fixture
def own_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A server of the test's own, for replies that hang until the server stops."""
    with OpenAIServer() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
        yield running


def openai_student(**settings: object) -> OpenAIStudent:
    """The student built from its spec, with a retry backoff short enough for tests."""
    spec = {"model": "gpt-4o-mini", "temperature": 0, "concurrency": 4, "timeout": 0.5}
    spec.update(settings)
    student = make_student("openai:" + ",".join(f"{k}={v}" for k, v in spec.items()), ENV_ID)
    # The spec has no backoff setting; the client's settings are read at each retry.
    student.client.settings.backoff = 0.01
    return student


def instances(episodes: int, seed: int = 0) -> dict[str, tuple[int, str]]:
    """Prompt -> (index, gold answer) of instances ``(seed, 0 .. episodes - 1)``."""
    env = gym.make(ENV_ID, obs_mode="text", disable_env_checker=True)
    found = {}
    for index in range(episodes):
        prompt, _ = env.reset(seed=seed, options={"index": index})
        *_, info = env.step("")
        found[prompt] = (index, info["gold"])
    env.close()
    assert len(found) == episodes, "two instances share a prompt; pick another seed"
    return found


def answering(
    episodes: int, answer: Callable[[int, str], Reply | str]
) -> Callable[[dict[str, Any]], Reply | str]:
    """A server script replying ``answer(index, gold)`` to the question of each instance."""
    known = instances(episodes)

    def reply(body: dict[str, Any]) -> Reply | str:
        index, gold = known[body["messages"][-1]["content"]]
        return answer(index, gold)

    return reply


def wrong(gold: str) -> str:
    return "(0, 0)" if gold != "(0, 0)" else "(1, 1)"


# -- answers are judged ---------------------------------------------------------------------


def test_correct_wrong_and_garbled_answers_are_counted(server):
    def answer(index: int, gold: str) -> str:
        if index % 3 == 0:
            return f"I track each operation in turn.\nAnswer: {gold}"
        if index % 3 == 1:
            return f"Answer: {wrong(gold)}"
        return "I lost track of the particles."

    server.set_script(answering(12, answer))
    results: list[EpisodeResult] = []

    evaluation = evaluate(openai_student(), ENV_ID, episodes=12, on_episode=results.append)

    assert (evaluation.successes, evaluation.episodes, evaluation.rate) == (4, 12, 1 / 3)
    assert sorted(result.index for result in results if result.success) == [0, 3, 6, 9]
    assert evaluation.failures == {}, "a wrong or garbled answer is not a failed call"
    assert (evaluation.requests, evaluation.cached_requests) == (12, 0)
    assert evaluation.student == "openai:model=gpt-4o-mini,temperature=0"


def test_the_request_holds_the_template_prompt_and_the_settings(server):
    [prompt] = instances(1)
    server.set_script(answering(1, lambda index, gold: f"Answer: {gold}"))

    evaluation = evaluate(openai_student(max_tokens=300), ENV_ID, episodes=1)

    assert evaluation.successes == 1
    [request] = server.chat_requests
    assert request.body["messages"] == [
        {"role": "system", "content": system_prompt(ENV_ID)},
        {"role": "user", "content": prompt},
    ]
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["temperature"] == 0
    assert request.body["max_completion_tokens"] == 300
    assert request.has_auth


def test_act_outside_an_event_loop_answers_and_keeps_the_conversation(server):
    server.set_script(["Working it out.\nAnswer: (2, 3)"])
    student = openai_student()
    episode = Episode(ENV_ID, seed=0, index=0)

    action = student.act("Where does A end up?", {}, episode)

    assert action == "(2, 3)"
    roles = [message["role"] for message in episode.memory["messages"]]
    assert roles == ["system", "user", "assistant"]
    assert episode.requests == 1 and episode.tokens > 0


# -- concurrency and the cache --------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
def test_requests_in_flight_never_exceed_the_concurrency(server, concurrency):
    server.set_script([Reply.text("Answer: (0, 0)", delay=0.03)])

    evaluation = evaluate(openai_student(concurrency=concurrency), ENV_ID, episodes=8)

    assert evaluation.requests == 8
    assert server.max_in_flight <= concurrency
    if concurrency > 1:
        assert server.max_in_flight > 1, "the episodes were played one at a time"


def test_a_second_identical_run_is_answered_from_the_cache(server, tmp_path):
    server.set_script(answering(6, lambda index, gold: f"Answer: {gold if index < 4 else '?'}"))
    first = evaluate(openai_student(), ENV_ID, episodes=6)
    server.reset_records()

    second = evaluate(openai_student(), ENV_ID, episodes=6)

    assert server.chat_requests == []
    assert (first.requests, first.cached_requests) == (6, 0)
    assert (second.requests, second.cached_requests, second.cost) == (0, 6, 0.0)
    assert second.successes == first.successes == 4
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 6


def test_without_the_cache_every_run_asks_the_server(server, tmp_path):
    server.set_script(["Answer: (0, 0)"])

    evaluate(openai_student(cache="false"), ENV_ID, episodes=3)
    evaluate(openai_student(cache="false"), ENV_ID, episodes=3)

    assert len(server.chat_requests) == 6
    assert not (tmp_path / "cache").exists()


def test_each_evaluation_closes_its_connections_before_its_loop_ends(server, caplog):
    server.set_script(["Answer: (0, 0)"])
    student = openai_student(cache="false")

    evaluate(student, ENV_ID, episodes=2)
    # What the first run left open is collected here, while the second run's loop runs.
    evaluation = evaluate(student, ENV_ID, episodes=2, on_episode=lambda _: gc.collect())
    gc.collect()

    assert evaluation.requests == 2
    assert "Event loop is closed" not in caplog.text
    assert "never retrieved" not in caplog.text


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [Reply.rate_limited(retry_after=0.01), Reply.error(500), Reply.disconnect()],
    ids=["429 with Retry-After", "500", "disconnect"],
)
def test_a_passing_failure_is_retried_and_the_episode_succeeds(server, failure):
    [(_, gold)] = instances(1).values()
    server.set_script([failure, f"Answer: {gold}"])

    evaluation = evaluate(openai_student(), ENV_ID, episodes=1)

    assert (evaluation.successes, evaluation.failures) == (1, {})
    assert len(server.chat_requests) == 2
    assert evaluation.requests == 1, "an episode counts the call once, however many attempts"


def test_a_persistent_server_error_fails_the_episodes_with_the_reason(server):
    server.set_script([Reply.error(503)])

    evaluation = evaluate(openai_student(max_retries=2), ENV_ID, episodes=3)

    assert evaluation.successes == 0
    assert evaluation.failures == {"got a server error (HTTP 503); gave up after 3 attempts": 3}
    assert len(server.chat_requests) == 9


def test_a_server_that_never_answers_times_the_episodes_out_and_the_run_ends(own_server):
    own_server.set_script(
        answering(6, lambda index, gold: Reply.hang() if index % 2 else f"Answer: {gold}")
    )

    evaluation = evaluate(openai_student(timeout=0.2, max_retries=1), ENV_ID, episodes=6)

    assert evaluation.successes == 3
    assert evaluation.failures == {"timed out after 0.2 s; gave up after 2 attempts": 3}
    assert len(own_server.chat_requests) == 3 + 3 * 2


# -- tokens and cost ------------------------------------------------------------------------


def test_tokens_come_from_the_server_and_cost_from_the_price_table(server):
    server.set_script([Reply.text("Answer: (0, 0)", prompt_tokens=1000, completion_tokens=200)])
    price = BUILTIN_PRICES["gpt-4o-mini"]

    evaluation = evaluate(openai_student(), ENV_ID, episodes=5)

    assert evaluation.tokens == 5 * 1200
    assert evaluation.cost == pytest.approx(5 * (1000 * price.input + 200 * price.output) / 1e6)


def test_a_price_file_overrides_the_built_in_prices(server, tmp_path):
    server.set_script([Reply.text("Answer: (0, 0)", prompt_tokens=1000, completion_tokens=200)])
    price_file = tmp_path / "prices.json"
    price_file.write_text(json.dumps({"gpt-4o-mini": {"input": 1.0, "output": 4.0}}))

    evaluation = evaluate(openai_student(prices=price_file), ENV_ID, episodes=5)

    assert evaluation.cost == pytest.approx(5 * (1000 * 1.0 + 200 * 4.0) / 1e6)


def test_a_model_without_a_price_costs_nothing_and_says_so_once(server, monkeypatch, caplog):
    monkeypatch.setattr(prices, "_warned_models", set())
    server.set_script([Reply.text("Answer: (0, 0)", prompt_tokens=100, completion_tokens=10)])

    evaluation = evaluate(openai_student(model="local-llm"), ENV_ID, episodes=3)

    assert (evaluation.tokens, evaluation.cost) == (3 * 110, 0.0)
    warnings = [r for r in caplog.records if "no price known for model 'local-llm'" in r.message]
    assert len(warnings) == 1


def test_a_missing_price_file_is_refused_with_its_path(server, tmp_path):
    missing = tmp_path / "no-such-prices.json"

    with pytest.raises(SpecError, match=r"cannot read price table .*no-such-prices\.json"):
        openai_student(prices=missing)


# -- the key and the spec -------------------------------------------------------------------


def test_the_api_key_reaches_neither_the_cache_nor_the_failure_reasons(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    rejected = Reply.error(401, f"Incorrect API key provided: {API_KEY}. Check your key.")
    server.set_script(
        answering(4, lambda index, gold: rejected if index % 2 else f"Answer: {gold}")
    )

    evaluation = evaluate(openai_student(), ENV_ID, episodes=4)

    assert evaluation.successes == 2
    reason = "request rejected (HTTP 401): Incorrect API key provided: <api key>. Check your key."
    assert evaluation.failures == {reason: 2}
    assert API_KEY not in json.dumps(evaluation.to_dict())
    assert API_KEY not in caplog.text
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 2
    assert all(API_KEY not in entry.read_text() for entry in entries)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("openai:concurrency=0", r"concurrency=0 must be an integer >= 1"),
        ("openai:timeout=0", r"timeout=0 would fail every request"),
        ("openai:max_retries=-1", r"max_retries=-1 must be an integer >= 0"),
        ("openai:timeout=soon", r"timeout='soon' .* is not a valid float"),
    ],
)
def test_a_bad_setting_in_the_spec_is_refused(server, spec, message):
    with pytest.raises(SpecError, match=message):
        make_student(spec, ENV_ID)


# -- other templates ------------------------------------------------------------------------


def test_any_text_template_is_played_with_its_own_system_prompt(server):
    sequence_id = "BeTaL/ArithmeticSequence-v0"
    env = gym.make(sequence_id, disable_env_checker=True)
    golds = {}
    for index in range(6):
        prompt, _ = env.reset(seed=0, options={"index": index})
        golds[prompt] = env.step("")[4]["gold"]
    server.set_script(
        lambda body: f"The differences grow.\nAnswer: {golds[body['messages'][-1]['content']]}"
    )
    student = make_student("openai:model=gpt-4o-mini,temperature=0,concurrency=4", sequence_id)

    evaluation = evaluate(student, sequence_id, episodes=6)

    assert (evaluation.successes, evaluation.failures) == (6, {})
    system = {request.body["messages"][0]["content"] for request in server.chat_requests}
    assert system == {system_prompt(sequence_id)} and system_prompt(ENV_ID) not in system
    assert "integer alone" in system_prompt(sequence_id)
