"""The difficulty path, the psychometric curve and the search that ``bayes`` runs on them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from betal_envs.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    ParameterSpace,
    to_jsonable,
)
from betal_envs.spatial_grid.env import SPACE as SPATIAL_SPACE
from designers.base import Trial
from designers.difficulty_path import T_MAX, DifficultyPath
from designers.path_search import PathSearch, PathSettings
from designers.psychometric import local_curve

SPACE = ParameterSpace(
    "Synthetic",
    (
        IntParam("size", "how big", 1, 40, 10, "higher"),
        FloatParam("noise", "how noisy", 0.0, 1.0, 0.3, "higher"),
        ChoiceParam("view", "how far one sees", (3, 5, 7), 5, "lower"),
        BoolParam("hints", "hints are given", True, "false"),
        BoolParam("colour", "no declared effect", False),
    ),
)


def test_the_path_starts_at_the_defaults_and_runs_from_easiest_to_hardest():
    path = DifficultyPath(SPACE)
    assert path.params(0.0) == SPACE.defaults()
    easiest, hardest = path.params(-T_MAX), path.params(T_MAX)
    assert easiest == {"size": 1, "noise": 0.0, "view": 7, "hints": True, "colour": False}
    assert hardest == {"size": 40, "noise": 1.0, "view": 3, "hints": False, "colour": False}


def test_switches_flip_after_the_smooth_parameters_have_moved():
    path = DifficultyPath(SPACE)
    assert path.params(0.3)["hints"] is True and path.params(0.3)["size"] > 20
    assert path.params(1.2)["hints"] is False


def test_positions_of_decoded_parameter_sets_keep_the_order_of_the_path():
    path = DifficultyPath(SPACE)
    ts = np.linspace(-1.5, 1.5, 61)
    positions = [path.position(path.params(t)) for t in ts]
    assert np.all(np.diff(positions) >= -1e-9)
    floats_only = DifficultyPath(ParameterSpace("Floats", (SPACE["noise"],)))
    assert floats_only.position(floats_only.params(0.25)) == pytest.approx(0.25, abs=1e-3)


def test_a_parameter_set_read_back_from_json_lies_where_it_did():
    path = DifficultyPath(SPATIAL_SPACE)
    params = path.params(0.3)
    assert path.position(json.loads(json.dumps(to_jsonable(params)))) == path.position(params)
    assert path.position(params) == pytest.approx(0.3, abs=1e-6)


def test_the_spatial_path_moves_every_declared_parameter():
    path = DifficultyPath(SPATIAL_SPACE)
    assert path.usable
    hard = path.params(T_MAX)
    assert hard["board_size"] == 24 and hard["n_operations"] == 100 and hard["n_particles"] == 8
    assert hard["wrap_around"] == SPATIAL_SPACE.defaults()["wrap_around"]


def test_holding_keeps_the_held_coordinates_where_they_are():
    path = DifficultyPath(SPACE)
    start = path.params(0.2)
    held = np.array([True, False, False, False, False])
    refined = path.holding(start, held)
    assert refined.params(0.5)["size"] == start["size"]
    assert refined.params(0.5)["noise"] > start["noise"]


def _binomial_trials(positions, rate: Callable[[np.ndarray], np.ndarray], seed: int):
    rng = np.random.default_rng(seed)
    positions = np.asarray(positions, dtype=np.float64)
    return positions, rng.binomial(50, rate(positions)), np.full(len(positions), 50)


@pytest.mark.parametrize("steepness", [3.0, 12.0, 40.0])
def test_the_local_curve_finds_the_crossing_of_a_known_curve(steepness: float):
    crossing = 0.15 / steepness

    def truth(t):
        return 1 / (1 + np.exp(steepness * (t - crossing)))

    errors = []
    for seed in range(20):
        spread = np.linspace(-0.1, 0.2, 8) * 3 / steepness
        positions, successes, episodes = _binomial_trials(spread, truth, seed)
        curve = local_curve(
            positions, successes, episodes, 0.5, prior_slope=3.0, prior_sd=10.0, bandwidth=2.0
        )
        errors.append(abs(float(truth(curve.position_of(0.5))) - 0.5))
    assert np.mean(errors) < 0.06


def _search(
    space: ParameterSpace, rate: Callable[[dict[str, Any]], float], target: float, seed: int
) -> dict[str, Any]:
    """Ten trials of fifty episodes against a student whose rate is a known function."""
    search = PathSearch(DifficultyPath(space), target, PathSettings())
    rng = np.random.default_rng(seed)
    trials: list[Trial] = []
    for iteration in range(10):
        params = search.propose(trials, rng).params
        successes = int(rng.binomial(50, rate(params)))
        trials.append(
            Trial(iteration, "ok", params=params, successes=successes, episodes=50,
                  rate=successes / 50)
        )  # fmt: skip
    return search.recommend(trials, rng)


def _smooth_rate(params: dict[str, Any]) -> float:
    z = 3.0 - 0.12 * params["size"] - 2.0 * params["noise"] - (0 if params["hints"] else 1.0)
    return float(1 / (1 + np.exp(-(z + 0.3 * (params["view"] - 5)))))


def test_the_search_lands_near_the_target_of_a_smooth_student():
    gaps = [
        abs(_smooth_rate(_search(SPACE, _smooth_rate, target, seed)) - target)
        for target in (0.25, 0.5, 0.75, 0.9)
        for seed in range(6)
    ]
    # Ten trials of fifty episodes; the parameter sets near 0.5 lie about 0.04 apart.
    assert np.mean(gaps) < 0.035


def test_a_jump_over_the_target_is_refined_with_the_other_parameters():
    # One more unit of size past 12 drops the rate from about 0.9 to 0.05: no position on the
    # path reaches 0.5, but noise can bring the easy side of the jump down to it.
    def cliff_rate(params: dict[str, Any]) -> float:
        return (0.92 if params["size"] <= 12 else 0.05) * (1 - 0.8 * params["noise"])

    space = ParameterSpace("Cliff", (SPACE["size"], SPACE["noise"]))
    gaps = []
    for seed in range(6):
        chosen = _search(space, cliff_rate, 0.5, seed)
        gaps.append(abs(cliff_rate(chosen) - 0.5))
    assert np.mean(gaps) < 0.08
