"""The LLM designer and the LLM students against a loopback server that answers garbage.

Hypothesis scripts the server on 127.0.0.1 with faults: random bytes, huge bodies, invalid
UTF-8, JSON of the wrong shape, nesting deeper than a decoder follows, HTTP errors with
garbage bodies, and connections closed mid-reply. Whatever the script, the run completes,
each fault is recorded as what it was (a designer error with its reason, a failed episode
with its reason) and the API key is nowhere in the record.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agents import evaluate, make_student
from betal_envs.airline.schemas import TOOL_NAMES
from designers import tune
from designers.rundir import TRIALS
from designers.tuning import TuningConfig
from tests.openai_server import OpenAIServer, Reply
from tests.toy_template import TOY_ID, install

install()

API_KEY = "sk-test-fuzz-0123456789abcdef"
FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Fewer examples where each is a whole tuning run.
FUZZ_RUNS = settings(FUZZ, max_examples=8)


def completion(message: dict[str, Any]) -> bytes:
    """A well-formed ``chat.completion`` body holding ``message``."""
    body = {
        "id": "chatcmpl-fuzz",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }
    return json.dumps(body).encode()


def text(content: str) -> bytes:
    return completion({"role": "assistant", "content": content})


@dataclass(frozen=True)
class Fault:
    """A scripted answer and whether it makes the chat call fail (rather than say nonsense)."""

    reply: Reply
    fails_the_call: bool


_rng = random.Random(0)
HUGE_GARBAGE = Fault(Reply.raw(_rng.randbytes(8 << 20)), True)
HUGE_TEXT = Fault(Reply.raw(text("Answer: " + "7" * (4 << 20))), False)
DEEP_BODY = Fault(Reply.raw(b'{"choices": ' + b"[" * 100_000), True)
DEEP_TEXT = Fault(Reply.raw(text('{"params": ' * 4_000)), False)
SURROGATES = Fault(Reply.raw(text("\ud800\udfff\ud83d Answer: (1, 2)")), False)
KEY_IN_ERROR = Fault(Reply.error(401, f"Incorrect API key provided: {API_KEY}."), True)
KEY_IN_TEXT = Fault(Reply.raw(text(f"My key is {API_KEY}. Answer: 3")), False)
#: Every fault above at once, tried first on every run.
EVERY_SPECIAL = [
    HUGE_GARBAGE, HUGE_TEXT, DEEP_BODY, DEEP_TEXT, SURROGATES, KEY_IN_ERROR, KEY_IN_TEXT,
    Fault(Reply.disconnect(), True),
]  # fmt: skip
WRONG_SHAPES = [
    b"null",
    b"[]",
    b'"a completion"',
    b"{}",
    b'{"choices": {}}',
    b'{"choices": []}',
    b'{"choices": [null]}',
    b'{"choices": [{"message": "hi"}]}',
    b'{"choices": [{"message": {"content": 42}}]}',
    b'{"choices": [{"message": {"content": {"text": "hi"}}}]}',
    b'{"choices": [{"message": {"tool_calls": {"a": 1}}}]}',
    b'{"choices": [{"message": {"tool_calls": [{"function": {"arguments": "{}"}}]}}]}',
    b'{"error": {"message": "the model is overloaded"}}',
    b'{"error": "overloaded"}',
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
).filter(lambda value: not (isinstance(value, dict) and "choices" in value))


def _invalid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


faults = st.one_of(
    st.binary(max_size=3000).map(lambda data: Fault(Reply.raw(data), True)),
    st.binary(min_size=1, max_size=50)
    .filter(_invalid_utf8)
    .map(lambda bad: Fault(Reply.raw(text("Answer: ").replace(b": ", b": " + bad)), True)),
    st.sampled_from(WRONG_SHAPES).map(lambda body: Fault(Reply.raw(body), True)),
    json_values.map(lambda value: Fault(Reply.raw(json.dumps(value).encode()), True)),
    st.builds(
        lambda data, status: Fault(Reply.raw(data, status=status, content_type="text/plain"), True),
        st.binary(max_size=200),
        st.sampled_from([400, 401, 403, 404, 422, 429, 500, 502, 503]),
    ),
    st.just(Fault(Reply.disconnect(), True)),
    st.sampled_from(
        [HUGE_GARBAGE, HUGE_TEXT, DEEP_BODY, DEEP_TEXT, SURROGATES, KEY_IN_ERROR, KEY_IN_TEXT]
    ),
)


@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def loopback(server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
    return server


_runs = iter(range(1_000_000))


def _script(server: OpenAIServer, replies: list[Reply], monkeypatch, tmp_path: Path) -> Path:
    """Script the server and give the example a fresh cache; returns a fresh directory."""
    server.set_script(replies)
    server.reset_records()
    fresh = tmp_path / f"example-{next(_runs)}"
    monkeypatch.setenv("BETAL_CACHE_DIR", str(fresh / "cache"))
    return fresh


@FUZZ_RUNS
@given(script=st.lists(faults, min_size=1, max_size=4))
@example(script=EVERY_SPECIAL)
def test_the_llm_designer_survives_any_reply_and_records_each_fault(
    loopback, monkeypatch, tmp_path, script
):
    proposal = json.dumps({"params": {"difficulty": 40, "spare": False}, "rationale": "ok"})
    replies = [fault.reply for fault in script] + [Reply.text(proposal)]
    out = _script(loopback, replies, monkeypatch, tmp_path) / "run"
    config = TuningConfig(
        TOY_ID, target=0.5, designer="llm:model=test-model,max_retries=0,timeout=10",
        iterations=len(script) + 1, episodes=5, eval_episodes=5,
    )  # fmt: skip
    result = tune(config, out)

    records = [json.loads(line) for line in (out / TRIALS).read_text().splitlines()]
    assert [r["status"] for r in records] == ["designer_error"] * len(script) + ["ok"]
    for record in records[:-1]:
        assert record["error"] and len(record["error"]) < 1000, record["error"]
    assert len(loopback.chat_requests) == len(script) + 1
    assert result.designer_errors == len(script) and result.best_params["difficulty"] == 40
    assert result.eval_rate is not None
    for path in out.iterdir():
        assert API_KEY.encode() not in path.read_bytes()


@FUZZ
@given(script=st.lists(faults, min_size=1, max_size=8))
@example(script=EVERY_SPECIAL)
def test_the_llm_student_survives_any_reply_and_records_each_failure(
    loopback, monkeypatch, tmp_path, script
):
    _script(loopback, [fault.reply for fault in script], monkeypatch, tmp_path)
    student = make_student(
        "openai:model=test-model,max_retries=0,timeout=10,concurrency=4",
        "BeTaL/SpatialGrid-v0",
    )
    record = evaluate(student, "BeTaL/SpatialGrid-v0", episodes=len(script), seed=3)

    failing = sum(fault.fails_the_call for fault in script)
    assert record.episodes == len(script) and record.stopped is None
    assert sum(record.failures.values()) == failing
    assert all(reason and len(reason) < 1000 for reason in record.failures)
    assert API_KEY not in json.dumps(record.to_dict())


arguments = st.one_of(
    st.text(max_size=30),
    json_values.map(json.dumps),
    st.dictionaries(st.text(max_size=10), json_values, max_size=4).map(json.dumps),
    st.sampled_from(['{"a":' * 20_000, "[" * 100_000, json.dumps({"x": "y" * 100_000}), ""]),
)
tool_names = st.one_of(
    st.sampled_from([t for t in TOOL_NAMES if t not in ("end_conversation", "transfer_to_human")]),
    st.text(max_size=20),
)


@FUZZ
@given(calls=st.lists(st.tuples(tool_names, arguments), min_size=1, max_size=5))
@example(calls=[("get_user", '{"a":' * 20_000), ("book_reservation", "[" * 100_000)])
def test_the_tool_student_passes_malformed_calls_on_and_gets_an_error_back(
    loopback, monkeypatch, tmp_path, calls
):
    replies = [
        Reply.raw(
            completion(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{i}",
                            "type": "function",
                            "function": {"name": name, "arguments": argument},
                        }
                    ],
                }
            )
        )
        for i, (name, argument) in enumerate(calls)
    ]
    ending = Reply.tools([{"name": "end_conversation", "arguments": {}}])
    _script(loopback, [*replies, ending], monkeypatch, tmp_path)
    student = make_student(
        "openai-tools:model=test-model,max_retries=0,timeout=10", "BeTaL/Airline-v0"
    )
    record = evaluate(student, "BeTaL/Airline-v0", {"turn_limit": 40}, episodes=1, seed=0)

    assert record.episodes == 1 and record.failures == {} and record.successes == 0
    requests = loopback.chat_requests
    assert len(requests) == len(calls) + 1, "every malformed call was answered and the talk went on"
    for request in requests[1:]:
        answer = request.body["messages"][-1]
        told = answer["content"].startswith("(the system)") or "error" in answer["content"]
        assert answer["role"] in ("tool", "user") and told, answer
