"""The LLM designers against a real OpenAI-compatible server on 127.0.0.1.

Each test starts :class:`~tests.openai_server.OpenAIServer` with a script, points the designer
at it through ``OPENAI_BASE_URL`` and runs the whole loop on the toy template, whose student
succeeds with probability ``1 - difficulty / 100``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from betal_envs.errors import BetalError
from designers import tune
from designers.prompt import design_prompt, parse_proposal
from designers.rundir import TRIALS
from designers.tuning import TuningConfig
from tests.openai_server import OpenAIServer, Reply
from tests.toy_template import TOY_ID, install

install()

API_KEY = "sk-test-designer-0123456789"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with OpenAIServer() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
        yield running


def proposal(difficulty: object, rationale: str = "a guess") -> str:
    return json.dumps(
        {"params": {"difficulty": difficulty, "spare": False}, "rationale": rationale}
    )


def run(out: Path, designer: str, iterations: int, target: float = 0.5):
    config = TuningConfig(
        TOY_ID, target=target, designer=designer, iterations=iterations, episodes=20,
        eval_episodes=40,
    )  # fmt: skip
    return tune(config, out)


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / TRIALS).read_text().splitlines()]


def test_every_kind_of_reply_is_survived_and_recorded_as_what_it_was(server, tmp_path):
    server.set_script(
        [
            proposal(30, "start easy"),
            '{"params": {"difficulty": 45,',  # cut-off JSON
            "Here is my proposal.\n```json\n" + proposal(55, "a bit harder") + "\n```\nGood luck!",
            proposal(450),  # out of range
            Reply.error(500),  # then the retry succeeds
            proposal(50),
            Reply.text(proposal(52), delay=3.0),  # slower than the timeout, twice
            Reply.text(proposal(52), delay=3.0),
            proposal(48, "settle"),
        ]
    )
    out = tmp_path / "run"
    result = run(out, "llm:model=test-model,timeout=0.5,max_retries=1", iterations=7)

    trials = records(out)
    assert [t["status"] for t in trials] == [
        "ok", "designer_error", "ok", "invalid", "ok", "designer_error", "ok",
    ]  # fmt: skip
    assert trials[0]["params"]["difficulty"] == 30 and trials[0]["rationale"] == "start easy"
    assert "no JSON object with parameters" in trials[1]["error"]
    assert trials[2]["params"]["difficulty"] == 55 and trials[2]["rationale"] == "a bit harder"
    assert trials[3]["proposed"]["difficulty"] == 450
    assert "out of range; allowed integers 0..100" in trials[3]["error"]
    assert trials[4]["params"]["difficulty"] == 50
    assert "timed out" in trials[5]["error"] and "2 attempts" in trials[5]["error"]
    assert trials[6]["params"]["difficulty"] == 48
    assert result.invalid_proposals == 1 and result.designer_errors == 2
    assert result.tokens > 0 and result.eval_rate is not None
    assert API_KEY not in (out / TRIALS).read_text() + (out / "result.json").read_text()


def test_the_prompt_carries_every_past_trial_and_feedback(server, tmp_path):
    server.set_script([proposal(10), proposal(900), proposal(60)])
    run(tmp_path / "run", "llm:model=test-model", iterations=3, target=0.4)

    prompts = [r.body["messages"][-1]["content"] for r in server.chat_requests]
    assert "Target success rate: 0.40" in prompts[0] and "Past trials" not in prompts[0]
    assert "| `difficulty` | int | integers 0..100 |" in prompts[0]
    assert "trial 0:" in prompts[1] and "too easy; make it harder" in prompts[1]
    assert "trial 1:" in prompts[2] and "rejected: difficulty: 900 is out of range" in prompts[2]
    schema = server.chat_requests[0].body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["params"]["properties"]["difficulty"]["maximum"] == 100


def test_a_server_without_structured_output_is_asked_again_without_it(tmp_path, monkeypatch):
    with OpenAIServer([proposal(40)], structured_output=False) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
        result = run(tmp_path / "run", "llm:model=test-model", iterations=2)
        bodies = [r.body for r in server.chat_requests]
    assert "response_format" in bodies[0] and "response_format" not in bodies[-1]
    assert result.invalid_proposals == 0 and result.designer_errors == 0


def test_a_rerun_is_answered_from_the_cache(server, tmp_path):
    server.set_script([proposal(20), proposal(70), proposal(50)])
    first = run(tmp_path / "first", "llm:model=test-model", iterations=3)
    asked = len(server.chat_requests)
    again = run(tmp_path / "again", "llm:model=test-model", iterations=3)
    assert len(server.chat_requests) == asked == 3
    assert again.best_params == first.best_params


def test_oneshot_proposes_once_and_best_of_n_without_feedback(server, tmp_path):
    server.set_script([proposal(35)])
    oneshot = run(tmp_path / "oneshot", "llm-oneshot:model=test-model", iterations=10)
    assert oneshot.trials == 1 and len(server.chat_requests) == 1

    server.reset_records()
    server.set_script([proposal(20), proposal(45), proposal(80)])
    best = run(tmp_path / "best", "best-of-n:model=test-model,n=3", iterations=10)
    prompts = [r.body["messages"][-1]["content"] for r in server.chat_requests]
    assert best.trials == 3 and best.best_params["difficulty"] == 45
    assert not any("Past trials" in p for p in prompts)
    assert len(set(prompts)) == 3  # distinct samples, never one cached reply thrice


def test_no_server_configured_is_refused_before_the_run_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BetalError, match=r"no OpenAI-compatible server is configured.*set OPENAI"):
        run(tmp_path / "run", "llm", iterations=1)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"params": {"a": 1}, "rationale": "r"}', ({"a": 1}, "r")),
        ('{"a": 1, "rationale": "bare"}', ({"a": 1}, "bare")),
        ('I think {"params": {"a": 2}} fits.', ({"a": 2}, "")),
        ('```json\n{"params": {"a": 3}, "rationale": "fenced"}\n```', ({"a": 3}, "fenced")),
    ],
)
def test_proposals_are_read_out_of_prose_and_fences(reply: str, expected: tuple):
    assert parse_proposal(reply, ["a", "b"]) == expected


@pytest.mark.parametrize("reply", ["", "no json here", "[1, 2]", '{"unrelated": 1}'])
def test_replies_without_a_proposal_say_what_was_expected(reply: str):
    with pytest.raises(ValueError, match="expected"):
        parse_proposal(reply, ["a"])


def test_the_prompt_without_feedback_hides_past_trials():
    from designers.base import DesignTask, Trial
    from tests.toy_template import ToyEnv

    task = DesignTask(TOY_ID, ToyEnv.summary, ToyEnv.space, target=0.5)
    past = [Trial(0, "ok", params={"difficulty": 1}, rate=1.0, ci=(0.9, 1.0), gap=0.5)]
    assert "trial 0" in design_prompt(task, past, with_feedback=True)
    assert "trial 0" not in design_prompt(task, past, with_feedback=False)
