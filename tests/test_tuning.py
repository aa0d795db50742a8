"""The tuning loop with non-LLM designers: records, verification, determinism and resume."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from designers import DESIGNERS, tune
from designers.base import Designer, Proposal, Trial
from designers.rundir import RESULT, TRIALS, RunDir, RunDirError
from designers.tuning import TuningConfig, search_stream, verify_stream
from tests.toy_template import TOY_ID, install

install()

SPATIAL = "BeTaL/SpatialGrid-v0"


def _without_wall(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "wall_s"}


def _trials(path: Path) -> list[dict]:
    return [_without_wall(json.loads(line)) for line in (path / TRIALS).read_text().splitlines()]


@pytest.mark.parametrize(
    "designer",
    ["random", "random-replay", "bayes", "bayes:path=false", "bayes:path=false,sampler=tpe"],
)
def test_every_designer_runs_the_loop_and_verifies_its_choice(designer: str, tmp_path: Path):
    config = TuningConfig(
        TOY_ID, target=0.3, designer=designer, iterations=6, episodes=40, eval_episodes=200
    )
    result = tune(config, tmp_path)

    trials = _trials(tmp_path)
    assert [t["iteration"] for t in trials] == list(range(6))
    assert all(t["status"] == "ok" and t["episodes"] == 40 for t in trials)
    assert result.trials == 6 and result.episodes_used == 6 * 40 + 200
    assert result.best_params in [t["params"] for t in trials]
    assert result.eval_gap == pytest.approx(abs(result.eval_rate - 0.3))
    assert result.eval_ci[0] <= result.eval_rate <= result.eval_ci[1]
    assert json.loads((tmp_path / RESULT).read_text())["eval_rate"] == result.eval_rate
    assert (tmp_path / "rate.png").stat().st_size > 1000


def test_bayes_reaches_the_target_of_a_known_rate_curve(tmp_path: Path):
    # The toy student is right with probability 1 - difficulty / 100: target 0.3 is difficulty 70.
    config = TuningConfig(TOY_ID, target=0.3, iterations=10, episodes=50, eval_episodes=500)
    result = tune(config, tmp_path)
    assert result.eval_gap < 0.08
    assert 55 <= result.best_params["difficulty"] <= 85


def test_trial_streams_are_disjoint_from_verification():
    streams = {search_stream(7, i) for i in range(100)}
    assert len(streams) == 100 and verify_stream(7) not in streams
    assert search_stream(7, 0) != search_stream(8, 0)


def test_same_seed_same_run_other_seed_other_run(tmp_path: Path):
    def run(seed: int, where: str) -> tuple[list[dict], dict]:
        config = TuningConfig(SPATIAL, target=0.5, iterations=4, episodes=30, eval_episodes=60)
        config.seed = seed
        result = tune(config, tmp_path / where)
        return _trials(tmp_path / where), _without_wall(result.to_dict())

    first, again, other = run(1, "a"), run(1, "b"), run(2, "c")
    assert first == again
    assert first[0] != other[0]


def test_resume_replays_finished_trials_and_continues_identically(tmp_path: Path):
    config = TuningConfig(SPATIAL, target=0.5, iterations=6, episodes=30, eval_episodes=60)
    whole = tune(config, tmp_path / "whole")

    # Stop after three trials by cutting a copy of the complete record back to them.
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "config.json").write_text((tmp_path / "whole" / "config.json").read_text())
    lines = (tmp_path / "whole" / TRIALS).read_text().splitlines(keepends=True)
    (cut / TRIALS).write_text("".join(lines[:3]) + lines[3][:25])  # and half a fourth line

    resumed = tune(config, cut, resume=True)
    assert _trials(cut) == _trials(tmp_path / "whole")
    assert _without_wall(resumed.to_dict()) == _without_wall(whole.to_dict())


def test_a_directory_holding_another_run_is_refused(tmp_path: Path):
    tune(TuningConfig(TOY_ID, target=0.5, iterations=2, episodes=10, eval_episodes=10), tmp_path)
    other = TuningConfig(TOY_ID, target=0.7, iterations=2, episodes=10, eval_episodes=10)
    with pytest.raises(RunDirError, match=r"already holds a different run.*--resume"):
        tune(other, tmp_path)


def test_a_second_writer_is_locked_out(tmp_path: Path):
    with RunDir(tmp_path), pytest.raises(RunDirError, match="in use by another process"):
        tune(TuningConfig(TOY_ID, target=0.5, iterations=1, episodes=5), tmp_path)


def test_resuming_an_empty_directory_names_the_problem(tmp_path: Path):
    config = TuningConfig(TOY_ID, target=0.5)
    with pytest.raises(RunDirError, match="not a run directory"):
        tune(config, tmp_path, resume=True)


#: What the scripted designer proposes, one entry per iteration (``None``: nothing usable).
SCRIPT: list[dict | None] = []


@DESIGNERS.register("test-scripted")
@dataclass
class ScriptedDesigner(Designer):
    """Proposes the entries of :data:`SCRIPT` in order."""

    name = "test-scripted"

    def propose(self, history: list[Trial]) -> Proposal:
        params = SCRIPT[len(history)]
        if params is None:
            return Proposal(None, error="scripted failure")
        return Proposal(params, rationale="scripted")


def test_invalid_proposals_are_recorded_counted_and_never_repaired(tmp_path: Path):
    SCRIPT[:] = [
        {"difficulty": 40},
        {"difficulty": 400, "spare": "yes"},
        {"dificulty": 50},
        None,
        {"difficulty": 60},
    ]
    config = TuningConfig(
        TOY_ID, target=0.5, designer="test-scripted", iterations=5, episodes=20, eval_episodes=20
    )
    result = tune(config, tmp_path)

    trials = _trials(tmp_path)
    assert [t["status"] for t in trials] == ["ok", "invalid", "invalid", "designer_error", "ok"]
    assert "400 is out of range; allowed integers 0..100" in trials[1]["error"]
    assert "expected true or false" in trials[1]["error"]
    assert "Did you mean 'difficulty'?" in trials[2]["error"]
    assert trials[1]["proposed"] == {"difficulty": 400, "spare": "yes"}
    assert trials[1]["params"] is None and trials[1]["episodes"] == 0
    assert result.invalid_proposals == 2 and result.designer_errors == 1
    assert result.episodes_used == 2 * 20 + 20


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target", 1.5, "outside \\(0, 1\\)"),
        ("target", "half", "must be a number"),
        ("episodes", 0, "episodes must be a positive integer"),
        ("iterations", 2.5, "iterations must be a positive integer"),
    ],
)
def test_bad_config_values_are_named(field: str, value: object, message: str):
    arguments = {"env_id": TOY_ID, "target": 0.5, field: value}
    with pytest.raises(ValueError, match=message):
        TuningConfig(**arguments)


def test_unknown_template_designer_and_student_suggest_the_near_name():
    with pytest.raises(ValueError, match="Did you mean 'BeTaL/SpatialGrid-v0'"):
        TuningConfig("BeTaL/SpatialGird-v0", target=0.5)
    with pytest.raises(ValueError, match="Did you mean 'bayes'"):
        tune(TuningConfig(SPATIAL, target=0.5, designer="baye", iterations=1))
    with pytest.raises(ValueError, match="Did you mean 'spatial-exact'"):
        tune(TuningConfig(SPATIAL, target=0.5, student="spatial-exakt", iterations=1))
