"""``ChatClient`` against the scripted OpenAI-compatible server on 127.0.0.1.

Every client here is given the server's address and a cache directory under ``tmp_path``
explicitly, with a short timeout and backoff, so no test reaches past the loopback server or
waits longer than it must.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import time
from pathlib import Path

import pytest

from agents.llm.client import ChatClient, ChatSettings, LLMError, retry_after
from agents.llm.prices import PriceTable
from betal_envs.errors import SpecError
from tests.openai_server import OpenAIServer, Reply

API_KEY = "sk-test-client-0123456789abcdef"
QUESTION = [{"role": "user", "content": "What is 2 + 2?"}]
JSON_OBJECT = {"type": "json_object"}


@pytest.fixture(scope="module")
def running_server():
    # One server for the module: stopping one takes up to its half-second poll interval.
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def server(running_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> OpenAIServer:
    """The module's server with a fresh script and records; the environment's key is unset."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    running_server.set_script(None)
    running_server.structured_output = True
    running_server.reset_records()
    return running_server


@pytest.fixture
def own_server(monkeypatch: pytest.MonkeyPatch):
    """A server of the test's own, for replies that hang until the server stops."""
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with OpenAIServer() as running:
        yield running


def make_client(server: OpenAIServer, tmp_path: Path, **settings: object) -> ChatClient:
    """A client of ``server`` that waits little, caching under ``tmp_path``."""
    options = {"timeout": 0.5, "backoff": 0.01, "max_retries": 2, **settings}
    return ChatClient(
        ChatSettings("gpt-4o-mini", **options),
        base_url=server.url,
        api_key=API_KEY,
        cache_dir=tmp_path / "cache",
    )


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").rglob("*.json"))


# -- Retry-After and backoff ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "100", "retry-after": "7"}, 0.1),
        ({"retry-after": "120"}, 30.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "later"}, None),
        ({}, None),
    ],
)
def test_retry_after_reads_seconds_or_milliseconds_capped_at_max_wait(headers, expected):
    assert retry_after(headers, cap=30.0) == expected


def test_retry_after_reads_an_http_date():
    in_ten_seconds = email.utils.formatdate(time.time() + 10, usegmt=True)
    an_hour_ago = email.utils.formatdate(time.time() - 3600, usegmt=True)

    assert retry_after({"retry-after": in_ten_seconds}, cap=30.0) == pytest.approx(10, abs=1.5)
    assert retry_after({"retry-after": an_hour_ago}, cap=30.0) == 0.0


def test_backoff_doubles_up_to_max_wait_with_jitter_in_the_upper_half():
    client = ChatClient(
        ChatSettings("gpt-4o-mini", backoff=0.5, max_wait=3.0),
        base_url="http://127.0.0.1:9/v1",
        use_cache=False,
    )
    ceilings = {1: 0.5, 2: 1.0, 3: 2.0, 4: 3.0, 8: 3.0}

    for attempt, ceiling in ceilings.items():
        waits = [client._backoff(f"request-{n}", attempt) for n in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        # Different requests spread out; the same request always waits the same.
        assert len(set(waits)) > 100
        assert client._backoff("request-0", attempt) == waits[0]


# -- settings and construction --------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"model": ""}, r"model='' must name a model"),
        ({"timeout": -1}, r"timeout=-1 must be a non-negative number of seconds"),
        ({"timeout": 0}, r"timeout=0 would fail every request"),
        ({"backoff": math.nan}, r"backoff=nan must be a non-negative number"),
        ({"max_wait": "30"}, r"max_wait='30' must be a non-negative number"),
        ({"max_retries": -1}, r"max_retries=-1 must be an integer >= 0"),
        ({"max_retries": 1.5}, r"max_retries=1.5 must be an integer >= 0"),
        ({"max_tokens": 0}, r"max_tokens=0 must be a positive integer or None"),
    ],
)
def test_invalid_settings_are_refused_with_the_bad_value(settings, message):
    with pytest.raises(SpecError, match=message):
        ChatSettings(**{"model": "gpt-4o-mini", **settings})


def test_every_invalid_setting_is_reported_at_once():
    with pytest.raises(SpecError, match=r"timeout=-1 .*; max_retries=-2 "):
        ChatSettings("gpt-4o-mini", timeout=-1, max_retries=-2)


def test_a_client_without_a_server_or_a_key_says_what_to_set(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    with pytest.raises(LLMError, match=r"set OPENAI_API_KEY .* or OPENAI_BASE_URL"):
        ChatClient(ChatSettings("gpt-4o-mini"), use_cache=False)


@pytest.mark.parametrize("concurrency", [0, -1, 2.5, True])
def test_a_concurrency_below_one_is_refused(concurrency):
    with pytest.raises(SpecError, match=r"concurrency=.* must be an integer >= 1"):
        ChatClient(
            ChatSettings("gpt-4o-mini"), base_url="http://127.0.0.1:9/v1", concurrency=concurrency
        )


def test_the_client_reads_the_server_and_key_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    server.set_script(["4"])
    client = ChatClient(ChatSettings("gpt-4o-mini"), cache_dir=tmp_path / "cache")

    assert client.chat_sync(QUESTION).text == "4"
    assert server.chat_requests[0].has_auth
    assert API_KEY not in repr(client)


# -- replies --------------------------------------------------------------------------------


def test_a_reply_carries_its_text_usage_and_cost(server, tmp_path):
    server.set_script([Reply.text("4", prompt_tokens=1000, completion_tokens=250)])
    client = make_client(server, tmp_path)
    client.prices = PriceTable({"gpt-4o-mini": {"input": 2.0, "output": 8.0}})

    reply = client.chat_sync(QUESTION)

    assert (reply.text, reply.finish_reason, reply.model) == ("4", "stop", "gpt-4o-mini")
    assert (reply.prompt_tokens, reply.completion_tokens, reply.tokens) == (1000, 250, 1250)
    assert reply.cost == pytest.approx((1000 * 2.0 + 250 * 8.0) / 1e6)
    assert not reply.cached


def test_tool_calls_are_read_and_turned_back_into_a_message(server, tmp_path):
    server.set_script([Reply.tools([{"name": "move", "arguments": {"cells": 2}}])])
    tool = {"type": "function", "function": {"name": "move", "parameters": {"type": "object"}}}

    reply = make_client(server, tmp_path).chat_sync(QUESTION, tools=[tool])

    [call] = reply.tool_calls
    assert (call["name"], json.loads(call["arguments"])) == ("move", {"cells": 2})
    assert call["id"].startswith("call_")
    assert reply.as_message()["tool_calls"][0]["function"]["name"] == "move"
    assert server.chat_requests[0].body["tools"] == [tool]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>Bad gateway</html>", r"reply body is not valid JSON \(24 bytes\)"),
        (b"\xff\xfe\x00", r"reply body is not valid JSON \(3 bytes\)"),
        (b"", r"reply body is not valid JSON \(0 bytes\)"),
        (b"[1, 2]", r"reply is a JSON list, not a chat completion object"),
        (b'{"id": "chatcmpl-1"}', r"reply has no choices"),
        (b'{"error": {"message": "model overloaded"}}', r"error object: model overloaded"),
        (b'{"choices": [{"index": 0}]}', r"reply's first choice has no message"),
        (b'{"choices": [{"message": {"content": 7}}]}', r"reply content is a int, not text"),
        (b'{"choices": [{"message": {"tool_calls": "move"}}]}', r"tool_calls is not a list"),
    ],
)
def test_an_unreadable_reply_is_a_final_error_with_the_reason(server, tmp_path, body, reason):
    server.set_script([Reply.raw(body)])
    client = make_client(server, tmp_path)

    with pytest.raises(LLMError, match=reason) as failure:
        client.chat_sync(QUESTION)

    assert failure.value.reason == str(failure.value)
    assert len(server.chat_requests) == 1, "an unreadable reply is not retried"
    assert cache_files(tmp_path) == [], "an unreadable reply is not cached"


# -- retries --------------------------------------------------------------------------------


def test_a_429_waits_as_long_as_retry_after_asks_then_retries(server, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="agents.llm.client")
    server.set_script([Reply.rate_limited(retry_after=0.2), "4"])

    start = time.perf_counter()
    reply = make_client(server, tmp_path).chat_sync(QUESTION)

    assert reply.text == "4"
    assert len(server.chat_requests) == 2
    assert time.perf_counter() - start >= 0.2
    assert "was rate limited (HTTP 429) (attempt 1 of 3); retrying in 0.20 s" in caplog.text


def test_a_retry_after_longer_than_max_wait_is_cut_to_max_wait(server, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="agents.llm.client")
    server.set_script([Reply.rate_limited(retry_after=3600), "4"])

    reply = make_client(server, tmp_path, max_wait=0.05).chat_sync(QUESTION)

    assert reply.text == "4"
    assert "retrying in 0.05 s" in caplog.text


@pytest.mark.parametrize(
    "failure",
    [
        Reply.rate_limited(),
        Reply.error(500),
        Reply.error(503, headers={"Retry-After": "0"}),
        Reply.raw(b"<html>502</html>", status=502, content_type="text/html"),
        Reply.disconnect(),
    ],
    ids=["429", "500", "503", "502-html", "disconnect"],
)
def test_a_passing_failure_is_retried_until_the_answer_comes(server, tmp_path, failure):
    server.set_script([failure, failure, "4"])

    reply = make_client(server, tmp_path, timeout=0.2).chat_sync(QUESTION)

    assert reply.text == "4"
    assert len(server.chat_requests) == 3


def test_a_request_that_timed_out_is_sent_again(own_server, tmp_path):
    own_server.set_script([Reply.hang(), "4"])

    reply = make_client(own_server, tmp_path, timeout=0.2).chat_sync(QUESTION)

    assert reply.text == "4"
    assert len(own_server.chat_requests) == 2


def test_a_server_error_that_persists_gives_up_after_max_retries(server, tmp_path):
    server.set_script([Reply.error(503)])

    with pytest.raises(LLMError, match=r"server error \(HTTP 503\); gave up after 3 attempts"):
        make_client(server, tmp_path, max_retries=2).chat_sync(QUESTION)

    assert len(server.chat_requests) == 3


def test_a_server_that_never_answers_times_out(own_server, tmp_path):
    own_server.set_script([Reply.hang()])

    start = time.perf_counter()
    with pytest.raises(LLMError, match=r"timed out after 0.2 s; gave up after 1 attempt$"):
        make_client(own_server, tmp_path, timeout=0.2, max_retries=0).chat_sync(QUESTION)

    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_other_client_errors_are_final(server, tmp_path, status):
    server.set_script([Reply.error(status, "not for you"), "4"])

    with pytest.raises(LLMError, match=rf"request rejected \(HTTP {status}\): not for you"):
        make_client(server, tmp_path).chat_sync(QUESTION)

    assert len(server.chat_requests) == 1


# -- structured output ----------------------------------------------------------------------


def test_a_server_without_structured_output_is_asked_again_without_it(server, tmp_path, caplog):
    server.structured_output = False
    server.set_script(['{"answer": 4}'])
    client = make_client(server, tmp_path)

    first = client.chat_sync(QUESTION, response_format=JSON_OBJECT)
    later = [{"role": "user", "content": "What is 3 + 3?"}]
    second = client.chat_sync(later, response_format=JSON_OBJECT)

    assert first.text == '{"answer": 4}' and second.text == '{"answer": 4}'
    sent = [request.body for request in server.chat_requests]
    assert ["response_format" in body for body in sent] == [True, False, False]
    assert not client.structured_output
    assert "the server rejected response_format" in caplog.text


def test_a_400_about_something_else_is_final(server, tmp_path):
    server.set_script([Reply.error(400, "messages[0].content is too long")])
    client = make_client(server, tmp_path)

    with pytest.raises(LLMError, match=r"HTTP 400\): messages\[0\].content is too long"):
        client.chat_sync(QUESTION, response_format=JSON_OBJECT)

    assert len(server.chat_requests) == 1
    assert client.structured_output


# -- concurrency ----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 3])
def test_requests_in_flight_never_exceed_the_concurrency(server, tmp_path, concurrency):
    server.set_script([Reply.text("ok", delay=0.03)])
    client = ChatClient(
        ChatSettings("gpt-4o-mini", timeout=2.0),
        base_url=server.url,
        concurrency=concurrency,
        use_cache=False,
    )

    async def ask_all() -> list[str]:
        questions = [[{"role": "user", "content": f"question {n}"}] for n in range(8)]
        try:
            replies = await asyncio.gather(*(client.chat(q) for q in questions))
        finally:
            await client.aclose()
        return [reply.text for reply in replies]

    assert asyncio.run(ask_all()) == ["ok"] * 8
    assert server.max_in_flight <= concurrency
    if concurrency > 1:
        assert server.max_in_flight > 1, "the requests were sent one at a time"


def test_chat_sync_inside_an_event_loop_points_to_chat(server, tmp_path):
    client = make_client(server, tmp_path)

    async def call_sync() -> None:
        client.chat_sync(QUESTION)

    with pytest.raises(LLMError, match=r"cannot run inside an event loop; await chat\(\)"):
        asyncio.run(call_sync())


# -- the cache and the key ------------------------------------------------------------------


def test_an_identical_request_is_answered_from_the_cache(server, tmp_path):
    server.set_script([Reply.text("4", prompt_tokens=10, completion_tokens=1)])
    client = make_client(server, tmp_path)

    fresh = client.chat_sync(QUESTION)
    again = make_client(server, tmp_path).chat_sync(QUESTION)

    assert len(server.chat_requests) == 1
    assert (again.text, again.prompt_tokens, again.cached, again.cost) == ("4", 10, True, 0.0)
    assert fresh.cost > 0
    assert len(cache_files(tmp_path)) == 1


def test_a_request_that_differs_in_a_setting_is_sent_again(server, tmp_path):
    server.set_script(["4"])

    make_client(server, tmp_path).chat_sync(QUESTION)
    make_client(server, tmp_path, max_tokens=5).chat_sync(QUESTION)
    make_client(server, tmp_path).chat_sync(QUESTION, response_format=JSON_OBJECT)

    assert len(server.chat_requests) == 3
    assert server.chat_requests[1].body["max_completion_tokens"] == 5


def test_without_the_cache_nothing_is_read_or_written(server, tmp_path):
    server.set_script(["4"])
    client = ChatClient(
        ChatSettings("gpt-4o-mini"), base_url=server.url, cache_dir=tmp_path, use_cache=False
    )

    client.chat_sync(QUESTION)
    client.chat_sync(QUESTION)

    assert len(server.chat_requests) == 2
    assert list(tmp_path.iterdir()) == []


def test_the_api_key_is_sent_but_never_cached_logged_or_shown(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server.set_script(["4", Reply.error(401, f"Incorrect API key provided: {API_KEY}.")])
    client = make_client(server, tmp_path)

    client.chat_sync(QUESTION)
    with pytest.raises(LLMError) as failure:
        client.chat_sync([{"role": "user", "content": "What is 3 + 3?"}])

    assert all(request.has_auth for request in server.chat_requests)
    assert (
        failure.value.reason
        == "request rejected (HTTP 401): Incorrect API key provided: <api key>."
    )
    assert API_KEY not in str(failure.value)
    assert API_KEY not in caplog.text
    entries = cache_files(tmp_path)
    assert len(entries) == 1
    assert all(API_KEY not in entry.read_text() for entry in entries)
    assert json.loads(entries[0].read_text())["reply"]["choices"][0]["message"]["content"] == "4"
