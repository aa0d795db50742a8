"""A psychometric curve: the student's success rate against one position of difficulty.

Along a difficulty path (:mod:`designers.difficulty_path`) the rate falls as the position
``t`` grows. Psychophysics estimates such curves from yes/no trials with a logistic model,
``logit rate(t) = level - slope * (t - centre)``; so does this module, from the success counts
of tuning trials. It is Bayesian in a small way: the slope has a Gaussian prior (how steep
templates usually are), and the fit is the posterior mode. With two numbers to learn, ten
trials of fifty episodes pin the curve down well near where they were run, which is where the
target lies once the search has homed in.

Fits are local: trials far from the current estimate of the target's position count less,
because a logistic curve describes a template's rate well over a stretch of the path, not
along all of it. The kernel's width is measured in logits of the fitted curve, not in units of
``t``: on a steep stretch (a step limit that cuts off many solutions at once) only close
trials count, on a gentle one distant trials still help.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from designers.rate_model import logit


@dataclass(frozen=True)
class Curve:
    """A fitted curve ``logit rate(t) = level - slope * (t - centre)``."""

    level: float
    slope: float
    centre: float

    def rate(self, t: float | np.ndarray) -> np.ndarray:
        z = self.level - self.slope * (np.asarray(t, dtype=np.float64) - self.centre)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def position_of(self, target: float) -> float | None:
        """The ``t`` at which the curve crosses ``target``; ``None`` when it is flat."""
        if abs(self.slope) < 1e-6:
            return None
        return self.centre + (self.level - logit(target)) / self.slope


def fit_curve(
    positions: Sequence[float],
    successes: Sequence[int],
    episodes: Sequence[int],
    *,
    centre: float,
    prior_slope: float,
    prior_sd: float,
    weights: Sequence[float] | None = None,
) -> Curve:
    """The posterior mode of the curve given success counts at positions.

    Args:
        centre: where the level is measured; the kernel's centre in a local fit.
        prior_slope, prior_sd: Gaussian prior on the slope (logit per unit of ``t``).
        weights: how much each trial counts; ``None`` counts them all fully.
    """
    t = np.asarray(positions, dtype=np.float64) - centre
    scale = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=np.float64)
    k = np.asarray(successes, dtype=np.float64) * scale
    n = np.asarray(episodes, dtype=np.float64) * scale
    # Gaussian priors: on the slope, and a weak one on the level that keeps it finite when
    # every trial succeeded (or failed).
    prior_mean = np.array([0.0, prior_slope])
    prior_precision = np.array([1.0 / 10.0**2, 1.0 / prior_sd**2])
    design = np.column_stack([np.ones_like(t), -t])

    def objective(theta: np.ndarray) -> float:
        z = design @ theta
        # -log-likelihood of the counts, written to stay finite for large |z|.
        nll = float(np.sum(n * np.logaddexp(0.0, z) - k * z))
        offset = theta - prior_mean
        return nll + 0.5 * float(offset @ (prior_precision * offset))

    # Newton's method with step halving; the objective is convex, so it converges in a few
    # steps from the prior's mean. (Two numbers: no general-purpose optimiser needed.)
    total = max(float(n.sum()), 1.0)
    theta = np.array([np.log((k.sum() + 0.5) / (total - k.sum() + 0.5)), prior_slope])
    value = objective(theta)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -30, 30)))
        gradient = design.T @ (n * p - k) + prior_precision * (theta - prior_mean)
        hessian = design.T @ (design * (n * p * (1 - p))[:, None]) + np.diag(prior_precision)
        step = np.linalg.solve(hessian, gradient)
        for _ in range(30):
            candidate = theta - step
            candidate_value = objective(candidate)
            if candidate_value <= value:
                break
            step = step / 2
        else:
            break
        theta, improvement, value = candidate, value - candidate_value, candidate_value
        if improvement < 1e-10:
            break
    level, slope = theta
    return Curve(level=float(level), slope=float(slope), centre=float(centre))


def local_curve(
    positions: Sequence[float],
    successes: Sequence[int],
    episodes: Sequence[int],
    target: float,
    *,
    prior_slope: float,
    prior_sd: float,
    bandwidth: float,
    rounds: int = 3,
) -> Curve:
    """A curve fitted around where it crosses ``target``.

    Starts from a fit of every trial, then refits ``rounds`` times with a Gaussian kernel
    centred on the latest estimate of the crossing (kept within the span of the trials), as
    wide as the stretch over which the latest curve changes by ``bandwidth`` logits.
    """
    positions = np.asarray(positions, dtype=np.float64)
    low, high = float(positions.min()), float(positions.max())
    rates = np.asarray(successes, dtype=np.float64) / np.maximum(np.asarray(episodes), 1)
    centre = float(positions[int(np.argmin(np.abs(rates - target)))])
    options = {"prior_slope": prior_slope, "prior_sd": prior_sd}
    curve = fit_curve(positions, successes, episodes, centre=centre, **options)
    for _ in range(rounds):
        crossing = curve.position_of(target)
        if crossing is None:
            break
        centre = float(np.clip(crossing, low, high))
        width = bandwidth / max(abs(curve.slope), 1e-3)
        kernel = np.exp(-0.5 * ((positions - centre) / width) ** 2)
        curve = fit_curve(positions, successes, episodes, centre=centre, weights=kernel, **options)
    return curve
