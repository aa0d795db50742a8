"""``benchmarks/tuning.py`` on a tiny sweep: it writes its tables and skips finished runs."""

from __future__ import annotations

import json
from pathlib import Path

from designers.summary import ALL_TEMPLATES
from tests.benchmark_scripts import load_benchmark
from tests.openai_server import OpenAIServer
from tests.toy_template import TOY_ID, install

install()


def test_tiny_sweep_writes_tables_and_a_rerun_makes_no_new_run(tmp_path: Path, capsys):
    script = load_benchmark("tuning")
    args = [
        "--templates", TOY_ID, "--designers", "random bayes:guided=2", "--targets", "0.3,0.7",
        "--seeds", "2", "--iterations", "3", "--episodes", "10", "--eval-episodes", "20",
        "--workers", "1", "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "tuning"),
    ]  # fmt: skip
    assert script.main(args) == 0
    record = json.loads((tmp_path / "tuning.json").read_text())
    assert len(record["runs"]) == 2 * 2 * 2
    assert {r["designer"] for r in record["by_designer"]} == {"random", "bayes:guided=2"}
    table = (tmp_path / "tuning.md").read_text()
    assert "| BeTaL/Toy-v0 | bayes:guided=2 | 0.30 | 2 |" in table
    capsys.readouterr()

    script.main(args)
    assert capsys.readouterr().err.count("(kept)") == 8
    again = json.loads((tmp_path / "tuning.json").read_text())
    assert again["by_target"] == record["by_target"]


def test_without_a_server_the_default_designers_need_no_llm(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert load_benchmark("tuning").default_designers() == "random random-replay bayes"


def test_a_server_adds_the_papers_llm_designers_on_the_named_model(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BETAL_LLM_MODEL", "qwen2.5-7b")
    designers = load_benchmark("tuning").default_designers().split()
    assert designers[:3] == ["random", "random-replay", "bayes"]
    assert designers[3:] == ["llm:model=qwen2.5-7b", "llm-oneshot:model=qwen2.5-7b",
                             "best-of-n:model=qwen2.5-7b"]  # fmt: skip


def test_llm_designers_tune_in_a_sweep_against_a_loopback_server(tmp_path: Path, monkeypatch):
    def answer(body: dict) -> str:
        # The designer proposes middling difficulty; best-of-n asks for several at once.
        text = json.dumps(body)
        one = {"params": {"difficulty": 50, "spare": False}, "rationale": "middle"}
        if "proposals" in text:
            return json.dumps({"proposals": [one, one, one]})
        return json.dumps(one)

    with OpenAIServer(script=answer) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-sweep")
        monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
        script = load_benchmark("tuning")
        args = [
            "--templates", TOY_ID, "--targets", "0.5", "--seeds", "1", "--iterations", "2",
            "--episodes", "10", "--eval-episodes", "20", "--workers", "1",
            "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "tuning"),
        ]  # fmt: skip
        assert script.main(args) == 0
    record = json.loads((tmp_path / "tuning.json").read_text())
    designers = {r["designer"].split(":")[0] for r in record["runs"]}
    assert designers == {"random", "random-replay", "bayes", "llm", "llm-oneshot", "best-of-n"}
    assert all(r["eval_rate"] is not None for r in record["runs"])
    assert server.chat_requests


def test_students_are_compared_each_with_its_own_random_baseline(tmp_path: Path):
    script = load_benchmark("tuning")
    args = [
        "--templates", TOY_ID, "--designers", "random bayes", "--students",
        "toy-noisy toy-noisy:bias=0.2", "--targets", "0.5", "--seeds", "1", "--iterations", "2",
        "--episodes", "10", "--eval-episodes", "20", "--workers", "1",
        "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "tuning"),
    ]  # fmt: skip
    assert script.main(args) == 0
    rows = json.loads((tmp_path / "tuning.json").read_text())["by_designer"]
    templates = {row["template"] for row in rows} - {ALL_TEMPLATES}
    assert len(templates) == 2 and all(t.startswith(f"{TOY_ID} · toy-noisy") for t in templates)
    assert all(row["vs_random"] is not None for row in rows)
    assert "`toy-noisy:bias=0.2`" in (tmp_path / "tuning.md").read_text()
