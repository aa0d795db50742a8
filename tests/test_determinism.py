"""The same seed gives the same answer: across processes, hash seeds and ``--resume``.

Instances, reference students' records and whole tuning runs are computed in fresh Python
processes under different ``PYTHONHASHSEED`` values and compared with this process's. LLM
runs are answered by a server that replies at random; with the response cache the second
run, in another process, and a resumed run all reproduce the first without a request.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from designers import tune
from designers.rundir import CONFIG, TRIALS, load_trials
from designers.tuning import TuningConfig
from tests.openai_server import OpenAIServer, Reply

ROOT = Path(__file__).resolve().parents[1]
HASH_SEEDS = ("0", "4242")

#: Run in a fresh process: fingerprints of every template's instances in both observation
#: modes, and each template's default student's record, as one JSON line.
FINGERPRINTS = r"""
import hashlib, json
import gymnasium as gym
import numpy as np
import betal_envs
from agents import evaluate, make_student
from betal_envs.registration import TEMPLATES, template_class

found = {}
for env_id in [i for i in betal_envs.template_ids() if TEMPLATES[i].startswith("betal_envs.")]:
    cls = template_class(env_id)
    digest = hashlib.sha256()
    for mode in cls.obs_modes:
        env = gym.make(env_id, obs_mode=mode, disable_env_checker=True)
        for seed in (0, 7):
            for index in range(4):
                observation, _ = env.reset(seed=seed, options={"index": index})
                if isinstance(observation, dict):
                    for key in sorted(observation):
                        digest.update(key.encode() + np.asarray(observation[key]).tobytes())
                else:
                    digest.update(str(observation).encode())
        env.close()
    record = evaluate(make_student(cls.default_student, env_id), env_id, episodes=12, seed=3)
    record = record.to_dict()
    record.pop("wall_s")
    found[env_id] = {"instances": digest.hexdigest(), "record": record}
print(json.dumps(found, sort_keys=True))
"""


def _python(code: str, hash_seed: str) -> str:
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _without_wall(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "wall_s"}


def _trials(out: Path) -> list[dict[str, Any]]:
    return [_without_wall(trial.to_dict()) for trial in load_trials(out / TRIALS)[0]]


def test_instances_and_reference_students_agree_across_processes_and_hash_seeds():
    here: dict[str, Any] = {}
    exec(FINGERPRINTS.replace("print(json.dumps(found, sort_keys=True))", ""), here)
    expected = json.loads(json.dumps(here["found"], sort_keys=True))
    for hash_seed in HASH_SEEDS:
        assert json.loads(_python(FINGERPRINTS, hash_seed)) == expected


def _tune_command(out: Path) -> list[str]:
    return [
        sys.executable, "-m", "betal", "tune", "BeTaL/ArithmeticSequence-v0", "--target", "0.6",
        "--iterations", "4", "--episodes", "30", "--eval-episodes", "40", "--seed", "11",
        "--out", str(out), "--json",
    ]  # fmt: skip


@pytest.mark.slow
def test_a_tuning_run_is_the_same_in_every_process_and_under_every_hash_seed(tmp_path: Path):
    results = []
    for hash_seed in HASH_SEEDS:
        out = tmp_path / f"hash-{hash_seed}"
        environment = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "BETAL_CACHE_DIR": str(tmp_path / "cache"),
        }
        done = subprocess.run(
            _tune_command(out), cwd=ROOT, env=environment, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        results.append((_trials(out), _without_wall(json.loads(done.stdout.splitlines()[-1]))))
    assert results[0] == results[1]
    assert len(results[0][0]) == 4 and results[0][1]["eval_rate"] is not None


# -- LLM runs with the response cache -------------------------------------------------------

DESIGNER = "llm:model=test-model,temperature=1"
STUDENT = "openai:model=test-model,temperature=1,concurrency=4"


def at_random(body: dict[str, Any]) -> Reply:
    """A server whose every reply is a fresh random draw: only the cache can repeat it."""
    draw = random.SystemRandom()
    if body["messages"][0]["content"].startswith("You design benchmark"):
        params = {"board_size": draw.randint(3, 10), "n_operations": draw.randint(1, 20)}
        return Reply.text(json.dumps({"params": params, "rationale": str(draw.random())}))
    return Reply.text(f"Answer: ({draw.randint(0, 4)}, {draw.randint(0, 4)})")


@pytest.mark.slow
def test_llm_runs_repeat_from_the_cache_across_processes_and_resume(tmp_path: Path, monkeypatch):
    cache = tmp_path / "cache"
    with OpenAIServer(at_random) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-determinism-0123")
        monkeypatch.setenv("BETAL_CACHE_DIR", str(cache))
        config = TuningConfig(
            "BeTaL/SpatialGrid-v0", target=0.5, designer=DESIGNER, student=STUDENT,
            iterations=4, episodes=8, eval_episodes=8, seed=3,
        )  # fmt: skip
        first = _without_wall(tune(config, tmp_path / "first").to_dict())
        sent = len(server.chat_requests)
        assert sent == 4 + 4 * 8 + 8

        again = subprocess.run(
            [sys.executable, "-m", "betal", "tune", "BeTaL/SpatialGrid-v0", "--target", "0.5",
             "--designer", DESIGNER, "--student", STUDENT, "--iterations", "4", "--episodes",
             "8", "--eval-episodes", "8", "--seed", "3", "--out", str(tmp_path / "again"),
             "--json"],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "99"},
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr[-3000:]
        assert _without_wall(json.loads(again.stdout.splitlines()[-1])) == first
        assert _trials(tmp_path / "again") == _trials(tmp_path / "first")

        cut = tmp_path / "cut"
        cut.mkdir()
        shutil.copy(tmp_path / "first" / CONFIG, cut / CONFIG)
        lines = (tmp_path / "first" / TRIALS).read_text().splitlines(keepends=True)
        (cut / TRIALS).write_text("".join(lines[:2]))
        resumed = tune(None, cut, resume=True)
        assert _without_wall(resumed.to_dict()) == first
        assert _trials(cut) == _trials(tmp_path / "first")
        assert len(server.chat_requests) == sent, "a repeated run sent a request"
