"""Choosing a backend, the local backend, and ``--backend ray`` without Ray installed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from agents.backends import RAY_INSTALL, LocalBackend, MissingDependency, make_backend
from agents.evaluation import evaluate
from agents.registry import make_student
from betal.cli import main
from betal_envs.errors import ConfigError, UnknownNameError

SPATIAL = "BeTaL/SpatialGrid-v0"


def _square(x: int) -> int:
    return x * x


def test_an_unknown_backend_is_answered_with_the_near_name():
    with pytest.raises(UnknownNameError, match=r"unknown backend 'rya'\. Did you mean 'ray'"):
        make_backend("rya")


def test_an_address_without_the_ray_backend_is_refused():
    with pytest.raises(ConfigError, match=r"--address 10\.0\.0\.1:6379 is for the Ray backend"):
        make_backend("local", "10.0.0.1:6379")


def test_the_local_backend_gives_the_evaluation_of_no_backend():
    student = make_student("spatial-exact:slip=0.2", SPATIAL)
    alone = evaluate(student, SPATIAL, {"n_operations": 15}, episodes=30, seed=4)
    local = evaluate(
        student, SPATIAL, {"n_operations": 15}, episodes=30, seed=4, backend=make_backend("local")
    )
    assert {**alone.to_dict(), "wall_s": 0} == {**local.to_dict(), "wall_s": 0}


@pytest.mark.parametrize("workers", [1, 2])
def test_the_local_backend_maps_every_job(workers: int):
    done = dict(LocalBackend(workers=workers).map_unordered(_square, [(n,) for n in range(5)]))
    assert done == {n: n * n for n in range(5)}


def test_ray_missing_fails_with_the_install_command(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes ``import ray`` fail
    with pytest.raises(MissingDependency) as raised:
        make_backend("ray")
    assert str(raised.value) == f"ray is not installed; {RAY_INSTALL}"
    assert RAY_INSTALL == "pip install 'betal-envs[ray]'"


@pytest.mark.parametrize("command", [["eval", SPATIAL], ["tune", SPATIAL, "--target", "0.5"]])
def test_cli_backend_ray_without_ray_says_one_line(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main([*command, "--backend", "ray"]) == 2
    err = capsys.readouterr().err
    assert err == f"betal: error: ray is not installed; {RAY_INSTALL}\n"


def test_the_sweep_script_without_ray_says_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "tuning.py"
    spec = importlib.util.spec_from_file_location("benchmark_tuning_no_ray", path)
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # its dataclasses look it up there
    spec.loader.exec_module(script)
    monkeypatch.setitem(sys.modules, "ray", None)
    assert script.main(["--backend", "ray", "--templates", SPATIAL, "--seeds", "1"]) == 2
    assert capsys.readouterr().err == f"tuning.py: error: ray is not installed; {RAY_INSTALL}\n"
