"""Budgets as a user sets them on the command line, and the overshoot bound as a property.

The loopback server reports a fixed usage for every reply, so what a run really spent is the
number of requests it answered times that usage. A run capped at N tokens may pass N by at
most one request's worth, must stop cleanly with the reason and still write its result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import evaluate, make_student
from agents.budget import Budget, spending
from designers.rundir import RESULT, TRIALS
from tests.openai_server import OpenAIServer, Reply

ROOT = Path(__file__).resolve().parents[1]
SPATIAL = "BeTaL/SpatialGrid-v0"
PROMPT_TOKENS, COMPLETION_TOKENS = 100, 20
PER_REQUEST = PROMPT_TOKENS + COMPLETION_TOKENS
PROPOSAL = json.dumps({"params": {"board_size": 5, "n_operations": 4}, "rationale": "r"})


def scripted(body: dict) -> Reply:
    usage = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": COMPLETION_TOKENS}
    if body["messages"][0]["content"].startswith("You design benchmark"):
        return Reply.text(PROPOSAL, **usage)
    return Reply.text("Answer: (0, 0)", delay=0.05, **usage)


@pytest.fixture(scope="module")
def running_server():
    with OpenAIServer() as running:
        yield running


@pytest.fixture
def server(running_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The module's server answering :func:`scripted`, with fresh records, for this test."""
    running_server.set_script(scripted)
    running_server.reset_records()
    monkeypatch.setenv("OPENAI_BASE_URL", running_server.url)
    monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
    return running_server


def _betal(*args: str, server: OpenAIServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "OPENAI_BASE_URL": server.url,
        "OPENAI_API_KEY": "sk-test-budget-0123",
        "BETAL_CACHE_DIR": str(tmp_path / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "betal", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_tune_capped_in_tokens_stops_within_one_request_and_keeps_its_result(server, tmp_path):
    out = tmp_path / "run"
    done = _betal(
        "tune", SPATIAL, "--target", "0.5", "--designer", "llm:model=test-model",
        "--student", "openai:model=test-model,concurrency=4", "--iterations", "10",
        "--episodes", "10", "--eval-episodes", "20", "--max-tokens", "3000",
        "--out", str(out), "--json", server=server, tmp_path=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    spent = len(server.chat_requests) * PER_REQUEST

    assert result["stopped"].startswith("token budget reached")
    assert 3000 <= spent <= 3000 + PER_REQUEST
    assert result["tokens"] == spent, "every token the server reported is on record"
    assert result == json.loads((out / RESULT).read_text())
    trials = [json.loads(line) for line in (out / TRIALS).read_text().splitlines()]
    assert [t["status"] for t in trials][-1] == "stopped"
    assert result["best_params"]["board_size"] == 5 and result["eval_rate"] is None
    assert "token budget reached" in done.stderr


@pytest.mark.parametrize(
    ("limit", "reason"),
    [(("--max-tokens", "1000"), "token budget reached"), (("--max-wall-s", "1"), "time budget")],
    ids=["tokens", "wall time"],
)
def test_eval_capped_stops_cleanly_with_the_reason(server, tmp_path, limit, reason):
    done = _betal(
        "eval", SPATIAL, "--student", "openai:model=test-model,concurrency=8,cache=false",
        "--episodes", "400", *limit, "--json", server=server, tmp_path=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(done.stdout.splitlines()[-1])
    assert record["stopped"].startswith(reason) and 0 < record["episodes"] < 400
    assert record["tokens"] == len(server.chat_requests) * PER_REQUEST
    if limit[0] == "--max-tokens":
        assert record["tokens"] <= 1000 + PER_REQUEST


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    limit=st.integers(min_value=1, max_value=2500),
    concurrency=st.integers(min_value=1, max_value=8),
    usage=st.integers(min_value=1, max_value=400),
)
def test_spending_never_passes_the_cap_by_more_than_one_request(server, limit, concurrency, usage):
    server.set_script([Reply.text("Answer: (0, 0)", prompt_tokens=usage, completion_tokens=0)])
    server.reset_records()
    student = make_student(
        f"openai:model=test-model,concurrency={concurrency},cache=false", SPATIAL
    )
    with spending(Budget(max_tokens=limit)) as budget:
        record = evaluate(student, SPATIAL, episodes=60, seed=1)
    spent = len(server.chat_requests) * usage
    assert spent == budget.tokens == record.tokens
    assert spent <= limit + usage
    assert record.stopped is not None or spent < limit


def test_unreadable_replies_are_charged_what_they_report(server):
    body = {"id": "x", "usage": {"prompt_tokens": 90, "completion_tokens": 10}}
    server.set_script([Reply.raw(json.dumps(body).encode())])
    server.reset_records()
    student = make_student("openai:model=test-model,concurrency=2,max_retries=0", SPATIAL)
    with spending(Budget(max_tokens=500)) as budget:
        record = evaluate(student, SPATIAL, episodes=50, seed=1)
    assert record.failures == {"reply has no choices": record.episodes}
    assert "token budget reached" in record.stopped
    assert budget.tokens == len(server.chat_requests) * 100 <= 600
