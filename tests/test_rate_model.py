"""The models of rate against parameters that the ``bayes`` designer steers and chooses by."""

from __future__ import annotations

import numpy as np
import pytest

from designers.rate_model import RateModel, gp_smoothed_rates, logit, shrunk_rates, step_to_level


def true_rate(points: np.ndarray) -> np.ndarray:
    """A smooth made-up student: harder along the first coordinate, a little along the second."""
    return 1.0 / (1.0 + np.exp(-(3.0 - 6.0 * points[:, 0] - 1.5 * points[:, 1])))


def noisy_trials(seed: int, count: int = 10, episodes: int = 50):
    rng = np.random.default_rng(seed)
    points = rng.random((count, 5))
    successes = rng.binomial(episodes, true_rate(points))
    return points, successes, np.full(count, episodes)


def test_logistic_model_recovers_the_direction_that_matters():
    points, successes, episodes = noisy_trials(0, count=40, episodes=200)
    model = RateModel(ridge=0.1).fit(points, successes, episodes)
    weights = model.weights
    assert weights[0] < -3 and abs(weights[0]) > 2 * np.abs(weights[2:]).max()
    assert np.abs(model.predict(points) - true_rate(points)).mean() < 0.05


def test_a_step_lands_on_the_models_target_level():
    points, successes, episodes = noisy_trials(1, count=20)
    model = RateModel(ridge=0.1).fit(points, successes, episodes)
    anchor = np.full(5, 0.5)
    for target in model.predict(np.array([[0.35] * 5, [0.45] * 5, [0.6] * 5])):
        stepped = step_to_level(model, anchor, float(target), max_step=10.0)
        assert model.predict(stepped)[0] == pytest.approx(target, abs=0.01)


def test_a_step_is_shortened_to_the_trust_region():
    points, successes, episodes = noisy_trials(2, count=20)
    model = RateModel().fit(points, successes, episodes)
    anchor = np.full(5, 0.5)
    stepped = step_to_level(model, anchor, 0.999, max_step=0.1)
    assert np.linalg.norm(stepped - anchor) <= 0.1 + 1e-9


def test_a_flat_model_gives_no_step():
    model = RateModel()
    model.weights, model.intercept = np.zeros(3), 0.0
    assert step_to_level(model, np.full(3, 0.5), 0.3) is None


def test_smoothing_is_closer_to_the_truth_than_single_trials():
    raw_error, shrunk_error, gp_error = [], [], []
    for seed in range(30):
        points, successes, episodes = noisy_trials(100 + seed)
        truth = true_rate(points)
        raw_error.append(np.abs(successes / episodes - truth).mean())
        shrunk = shrunk_rates(points, successes, episodes, ridge=0.1)
        shrunk_error.append(np.abs(shrunk - truth).mean())
        smoothed, _ = gp_smoothed_rates(points, successes, episodes, ridge=0.1)
        gp_error.append(np.abs(smoothed - truth).mean())
    assert np.mean(gp_error) < 0.85 * np.mean(raw_error)
    assert np.mean(shrunk_error) < np.mean(raw_error)


def test_gp_uncertainty_is_smaller_where_trials_crowd():
    points = np.array([[0.5, 0.5]] * 4 + [[0.0, 1.0]])
    rates, spread = gp_smoothed_rates(points, [25, 24, 26, 25, 10], [50] * 5)
    assert spread[0] < spread[-1]
    assert rates[0] == pytest.approx(0.5, abs=0.05)


def test_logit_is_finite_at_the_ends():
    assert np.isfinite(logit(0.0)) and np.isfinite(logit(1.0)) and logit(0.5) == 0.0
