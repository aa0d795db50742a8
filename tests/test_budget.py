"""Budgets: a run stops cleanly at its token, cost or time limit and keeps what it finished."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents import evaluate, make_student
from agents.budget import Budget, BudgetExhausted, spending
from betal_envs.errors import ConfigError
from designers import tune
from designers.rundir import TRIALS
from designers.tuning import TuningConfig
from tests.openai_server import OpenAIServer, Reply
from tests.toy_template import TOY_ID, install

install()

SPATIAL = "BeTaL/SpatialGrid-v0"
PER_REQUEST = 100 + 20  # the usage every scripted reply reports


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    reply = Reply.text("Answer: (0, 0)", prompt_tokens=100, completion_tokens=20)
    with OpenAIServer(default=reply) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
        yield running


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_token_cap_is_overshot_by_at_most_one_request(server, concurrency: int):
    student = make_student(
        f"openai:model=test-model,concurrency={concurrency},cache=false", SPATIAL
    )
    budget = Budget(max_tokens=1000)
    with spending(budget):
        record = evaluate(student, SPATIAL, {}, episodes=40, seed=1)

    sent = len(server.chat_requests)
    assert record.stopped and "token budget reached" in record.stopped
    assert sent * PER_REQUEST == budget.tokens <= 1000 + PER_REQUEST
    assert record.episodes == sent and record.tokens == budget.tokens


def test_a_cost_cap_counts_the_price_table(server, tmp_path: Path):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"test-model": {"input": 10.0, "output": 50.0}}))
    student = make_student(f"openai:model=test-model,cache=false,prices={prices}", SPATIAL)
    with spending(Budget(max_cost=0.01)) as budget:
        record = evaluate(student, SPATIAL, {}, episodes=40, seed=1)
    per_request = (100 * 10.0 + 20 * 50.0) / 1e6
    assert "cost budget reached" in record.stopped
    assert budget.cost <= 0.01 + per_request


def test_cached_replies_cost_nothing_against_the_budget(server):
    student = make_student("openai:model=test-model,concurrency=4", SPATIAL)
    evaluate(student, SPATIAL, {}, episodes=10, seed=2)
    with spending(Budget(max_tokens=1)) as budget:
        again = evaluate(student, SPATIAL, {}, episodes=10, seed=2)
    assert again.stopped is None and again.episodes == 10 and budget.tokens == 0


def test_a_tuning_run_stops_at_its_token_budget_and_keeps_finished_trials(server, tmp_path):
    server.set_script(
        lambda body: Reply.text(
            json.dumps({"params": {"difficulty": 40}, "rationale": "r"}),
            prompt_tokens=300,
            completion_tokens=50,
        )
    )
    out = tmp_path / "run"
    config = TuningConfig(
        TOY_ID, target=0.5, designer="llm:model=test-model,cache=false", iterations=10,
        episodes=10, eval_episodes=20, max_tokens=1000,
    )  # fmt: skip
    result = tune(config, out)

    trials = [json.loads(line) for line in (out / TRIALS).read_text().splitlines()]
    # The third proposal passes 1000 tokens; its student is stopped before any episode.
    assert "token budget reached" in result.stopped
    assert [t["status"] for t in trials] == ["ok", "ok", "stopped"]
    assert result.tokens == 3 * 350 and result.best_params is not None
    assert json.loads((out / "result.json").read_text())["stopped"] == result.stopped

    more = TuningConfig(**{**json.loads((out / "config.json").read_text()), "max_tokens": 2000})
    resumed = tune(more, out, resume=True)
    statuses = [json.loads(line)["status"] for line in (out / TRIALS).read_text().splitlines()]
    assert statuses == ["ok", "ok", "stopped", "ok", "ok", "stopped"]
    assert resumed.tokens == 6 * 350 and "token budget reached" in resumed.stopped


def test_a_time_budget_stops_the_search_and_skips_verification(tmp_path: Path):
    config = TuningConfig(
        SPATIAL, target=0.5, iterations=200, episodes=200, eval_episodes=100, max_wall_s=1.5
    )
    result = tune(config, tmp_path)
    assert "time budget reached" in result.stopped
    assert 0 < result.trials < 200
    assert result.eval_rate is None and result.best_params is not None


def test_budget_limits_are_validated():
    with pytest.raises(ConfigError, match="max_tokens=0 must be a positive number"):
        TuningConfig(TOY_ID, target=0.5, max_tokens=0)
    with pytest.raises(ConfigError, match="max_cost=-1"):
        Budget(max_cost=-1)
    with pytest.raises(BudgetExhausted, match=r"token budget reached \(5 of 5"):
        Budget(max_tokens=5, tokens=5).check()
