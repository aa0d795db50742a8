"""A smooth model of a student's success rate over the unit-encoded parameter space.

Each trial measures ``successes`` out of ``episodes`` at one point; 50 episodes give a rate
with a standard error near 0.07, too noisy to pick the final parameters from one trial. The
model pools every trial: a logistic regression ``rate(u) = sigmoid(w . u + b)`` with a ridge
penalty, fitted to the binomial counts. Its prediction at a trial is combined with the trial's
own count as a prior worth ``prior_episodes`` episodes, which shrinks lucky trials toward what
their neighbours say.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


class RateModel:
    """Logistic ridge regression of success counts on unit-cube points.

    Args:
        ridge: L2 penalty on the weights (not the intercept); larger trusts the data less.
    """

    def __init__(self, ridge: float = 1.0) -> None:
        self.ridge = ridge
        self.weights: np.ndarray | None = None
        self.intercept = 0.0

    def fit(
        self,
        points: np.ndarray,
        successes: Sequence[int],
        episodes: Sequence[int],
        weights: Sequence[float] | None = None,
    ) -> RateModel:
        """Fit to ``successes`` out of ``episodes`` at each point.

        Args:
            weights: how much each trial counts (its episodes are scaled by it); a kernel
                around one point makes the fit local to it.
        """
        x = np.asarray(points, dtype=np.float64) - 0.5
        scale = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
        k = np.asarray(successes, dtype=np.float64) * scale
        n = np.asarray(episodes, dtype=np.float64) * scale

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            z = x @ theta[1:] + theta[0]
            p = _sigmoid(z)
            eps = 1e-12
            nll = -np.sum(k * np.log(p + eps) + (n - k) * np.log(1 - p + eps))
            residual = n * p - k
            grad = np.concatenate(([residual.sum()], x.T @ residual))
            grad[1:] += 2 * self.ridge * theta[1:]
            return nll + self.ridge * float(theta[1:] @ theta[1:]), grad

        start = np.zeros(x.shape[1] + 1)
        total = max(float(n.sum()), 1.0)
        start[0] = np.log((k.sum() + 0.5) / (total - k.sum() + 0.5))
        theta = minimize(loss, start, jac=True, method="L-BFGS-B").x
        self.intercept, self.weights = float(theta[0]), theta[1:]
        return self

    def predict(self, points: np.ndarray) -> np.ndarray:
        """Predicted success rate at each point."""
        if self.weights is None:
            raise RuntimeError("RateModel.predict called before fit")
        x = np.atleast_2d(np.asarray(points, dtype=np.float64)) - 0.5
        return _sigmoid(x @ self.weights + self.intercept)


def shrunk_rates(
    points: np.ndarray,
    successes: Sequence[int],
    episodes: Sequence[int],
    prior_episodes: float = 25.0,
    ridge: float = 1.0,
) -> np.ndarray:
    """Each trial's rate after pooling with the model fitted on all trials.

    ``(successes_i + prior_episodes * model_i) / (episodes_i + prior_episodes)``.
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(episodes, dtype=np.float64)
    if len(k) < 3:
        return k / np.maximum(n, 1)
    model = RateModel(ridge).fit(points, k, n)
    return (k + prior_episodes * model.predict(points)) / (n + prior_episodes)


def logit(p: float) -> float:
    p = min(1.0 - 1e-6, max(1e-6, float(p)))
    return float(np.log(p / (1.0 - p)))


def step_to_level(
    model: RateModel, anchor: np.ndarray, target: float, max_step: float = 1.0
) -> np.ndarray | None:
    """The point the model predicts at ``target``, reached from ``anchor`` along its gradient.

    In the logit domain the model is linear, so one secant step along the weights lands on
    the level set ``rate = target``; the step is shortened to ``max_step`` (Euclidean, in the
    unit cube) and clipped to the cube. ``None`` when the model is flat (no direction).
    """
    if model.weights is None:
        raise RuntimeError("step_to_level called before fit")
    w = model.weights
    norm2 = float(w @ w)
    if norm2 < 1e-8:
        return None
    now = float((np.asarray(anchor) - 0.5) @ w + model.intercept)
    step = (logit(target) - now) / norm2 * w
    length = float(np.linalg.norm(step))
    if length > max_step:
        step *= max_step / length
    return np.clip(np.asarray(anchor) + step, 0.0, 1.0)


def gp_smoothed_rates(
    points: np.ndarray,
    successes: Sequence[int],
    episodes: Sequence[int],
    ridge: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's rate as a Gaussian process over logit rates sees it, with its uncertainty.

    The logistic :class:`RateModel` gives the trend; a Gaussian process with a squared
    exponential kernel corrects it locally. Each trial's logit rate is observed with the
    binomial noise of its count (delta method), so a 50-episode trial is trusted as much as
    its count allows and neighbours fill in the rest. Length scale and amplitude are chosen
    by marginal likelihood on a small grid.

    Returns:
        The posterior mean rate at each trial and the posterior standard deviation of its
        logit rate.
    """
    x = np.asarray(points, dtype=np.float64)
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(episodes, dtype=np.float64)
    p = (k + 0.5) / (n + 1.0)
    y = np.log(p / (1.0 - p))
    noise = 1.0 / ((n + 1.0) * p * (1.0 - p))
    trend = RateModel(ridge).fit(x, k, n).predict(x)
    residual = y - np.log(trend / (1.0 - trend))
    distance2 = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)

    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for scale in (0.15, 0.3, 0.6, 1.2, 2.4):
        for amplitude in (0.1, 0.3, 1.0, 3.0):
            prior = amplitude**2 * np.exp(-distance2 / (2 * scale**2))
            cov = prior + np.diag(noise)
            chol = np.linalg.cholesky(cov)
            alpha = np.linalg.solve(chol.T, np.linalg.solve(chol, residual))
            evidence = -0.5 * residual @ alpha - np.sum(np.log(np.diag(chol)))
            if best is None or evidence > best[0]:
                solved = np.linalg.solve(chol, prior)
                mean = prior @ alpha
                variance = np.clip(np.diag(prior) - np.sum(solved**2, axis=0), 0.0, None)
                best = (evidence, mean, variance)
    _, correction, variance = best  # type: ignore[misc]
    logit_rate = np.log(trend / (1.0 - trend)) + correction
    return _sigmoid(logit_rate), np.sqrt(variance)
