"""The API key reaches the server and nothing else: no file, log, message, output or report.

A scripted server on 127.0.0.1 echoes the key back everywhere a careless server could: in
error bodies, in an error object of a 200 answer, in the model's text and tool calls, and in a
response header. The key must then be found in no file of the run directory, the cache or the
report, in no captured log record at DEBUG level, in no error, and in neither output stream
of ``betal tune``, ``betal eval`` and ``betal report`` run at their most verbose.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agents import evaluate, make_student
from agents.llm.client import ChatClient, ChatSettings, LLMError
from betal.redaction import RedactingFilter, redact
from designers import tune
from designers.tuning import TuningConfig
from tests.openai_server import OpenAIServer, Reply

ROOT = Path(__file__).resolve().parents[1]
SPATIAL = "BeTaL/SpatialGrid-v0"
KEY = "sk-test-SECRET123"
PROPOSAL = {"board_size": 5, "n_particles": 1, "n_operations": 3}


def echoing(headers: bool) -> Any:
    """A script echoing the key in every way, in turn; with ``headers`` also in a header."""
    turn = {"designer": 0, "student": 0}

    def reply(body: dict[str, Any]) -> Reply:
        designer = body["messages"][0]["content"].startswith("You design benchmark")
        who = "designer" if designer else "student"
        turn[who] += 1
        echo = {"X-Echo": f"Bearer {KEY}"} if headers else {}
        if designer:
            choices = [
                Reply.error(401, f"Incorrect API key provided: {KEY}. Check your key."),
                Reply.raw(json.dumps({"error": {"message": f"bad key {KEY}"}}).encode()),
                Reply("text", content=json.dumps({"params": PROPOSAL, "rationale": KEY})),
            ]
            chosen = choices[min(turn[who], len(choices)) - 1]
            return dataclasses.replace(chosen, headers={**chosen.headers, **echo})
        if turn[who] % 3 == 1:
            return Reply.error(403, f"key {KEY} may not use this model", headers=echo)
        return Reply("text", content=f"My key is {KEY}.\nAnswer: (0, 0)", headers=echo)

    return reply


def assert_nowhere(root: Path) -> int:
    """Assert no file under ``root`` holds the key; return how many files were read."""
    files = [path for path in root.rglob("*") if path.is_file()]
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path
    return len(files)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with OpenAIServer() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("BETAL_CACHE_DIR", str(tmp_path / "cache"))
        yield running


def test_the_key_is_in_no_file_log_or_error_of_a_run(server, tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    server.set_script(echoing(headers=False))
    config = TuningConfig(
        SPATIAL, target=0.5, designer="llm:model=test-model,max_retries=0",
        student="openai:model=test-model,max_retries=0,concurrency=2",
        iterations=3, episodes=6, eval_episodes=6,
    )  # fmt: skip
    result = tune(config, tmp_path / "run")

    assert all(request.has_auth for request in server.chat_requests)
    records = (tmp_path / "run" / "trials.jsonl").read_text()
    assert "Incorrect API key provided: <api key>." in records
    assert "bad key <api key>" in records and "may not use this model" in records
    assert KEY not in json.dumps(result.to_dict())
    assert assert_nowhere(tmp_path) >= 5
    assert KEY not in caplog.text
    for record in caplog.records:
        assert KEY not in record.getMessage()


def test_the_key_is_in_no_error_a_caller_sees(server, tmp_path: Path):
    server.set_script(
        [Reply.error(401, f"wrong key {KEY}"), Reply.raw(json.dumps({"error": KEY}).encode())]
    )
    client = ChatClient(ChatSettings("test-model", max_retries=0), use_cache=False)
    for _ in range(2):
        with pytest.raises(LLMError) as failure:
            client.chat_sync([{"role": "user", "content": "hi"}])
        assert KEY not in str(failure.value) and KEY not in repr(failure.value)
        assert KEY not in failure.value.reason
    student = make_student("openai:model=test-model", SPATIAL)
    for shown in (repr(client), repr(student), student.describe(), str(vars(client.settings))):
        assert KEY not in shown
    record = evaluate(student, SPATIAL, episodes=2)
    assert KEY not in json.dumps(record.to_dict())


def _betal(*args: str, server: OpenAIServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": server.url,
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


def test_the_command_line_shows_and_writes_no_key_even_at_debug_level(server, tmp_path: Path):
    server.set_script(echoing(headers=True))
    run = tmp_path / "run"
    tuned = _betal(
        "tune", SPATIAL, "--target", "0.5", "--designer", "llm:model=test-model,max_retries=0",
        "--student", "openai:model=test-model,max_retries=0,concurrency=2", "--iterations", "3",
        "--episodes", "6", "--eval-episodes", "6", "--out", str(run), "--json", "-vv",
        server=server, tmp_path=tmp_path,
    )  # fmt: skip
    evaluated = _betal(
        "eval", SPATIAL, "--student", "openai:model=test-model,max_retries=0,cache=false",
        "--episodes", "4", "--json", "-vv", server=server, tmp_path=tmp_path,
    )  # fmt: skip
    reported = _betal("report", str(run), "--out", str(tmp_path / "report"), server=server,
                      tmp_path=tmp_path)  # fmt: skip

    for done in (tuned, evaluated, reported):
        assert done.returncode == 0, done.stderr[-3000:]
        assert KEY not in done.stdout and KEY not in done.stderr
    # The echoes did arrive, and were blanked out on the way.
    assert "Bearer <api key>" in tuned.stderr and "Bearer <api key>" in evaluated.stderr
    assert "Incorrect API key provided: <api key>." in (run / "trials.jsonl").read_text()
    assert (tmp_path / "report" / "report.md").exists()
    assert assert_nowhere(tmp_path) >= 8


def test_a_cli_error_line_never_shows_the_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    done = subprocess.run(
        [sys.executable, "-m", "betal", "eval", SPATIAL, "--params", f'{{"{KEY}": 1}}'],
        cwd=ROOT,
        env={**os.environ, "BETAL_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "unknown parameter '<api key>'" in done.stderr and KEY not in done.stderr


def test_the_log_filter_blanks_the_key_in_messages_arguments_and_tracebacks(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    try:
        raise ValueError(f"failed with {KEY}")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s", (KEY,), exc_info)
    assert RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert KEY not in formatted and formatted.count("<api key>") == 2
    assert redact(f"a{KEY}b") == "a<api key>b"
    monkeypatch.setenv("OPENAI_API_KEY", "EMPTY")
    assert redact("EMPTY handed") == "EMPTY handed", "placeholders are no secrets"
