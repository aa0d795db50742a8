"""The default designer: Bayesian optimisation with Optuna over the unit-encoded space.

Every proposal rebuilds an Optuna study from the finished trials (point in the unit cube,
gap as the objective) with a sampler seeded by ``(seed, iteration)``; this keeps the designer
a pure function of its history, so interrupted runs resume to the same proposals. The first
proposal is the template's defaults, which template authors choose to be of middling
difficulty.

After the first few proposals most of them are *rate-model steps*: a logistic model of rate
against the unit-encoded parameters, fitted on every trial, is linear in the logit, so one
secant step from the trial nearest the target lands where the model predicts the target.
Every ``guided + 1``-th proposal is Optuna's, which keeps exploring the rest of the space.

The final choice does not trust the single noisiest trial: each trial's rate is smoothed by a
Gaussian process over logit rates that borrows strength from its neighbours (see
:mod:`designers.rate_model`), and the trial whose smoothed rate is nearest the target wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna

from designers.base import DESIGNERS, Designer, Proposal, Trial
from designers.random import iteration_rng
from designers.rate_model import RateModel, gp_smoothed_rates, shrunk_rates, step_to_level

logger = logging.getLogger(__name__)

# Optuna reports every trial at INFO level; the loop keeps its own records.
optuna.logging.set_verbosity(optuna.logging.WARNING)

SAMPLERS = ("gp", "tpe")
CHOICES = ("gp", "pooled", "raw")


@DESIGNERS.register("bayes")
@dataclass
class BayesDesigner(Designer):
    """Optuna (GP or TPE sampler) minimising the gap; final choice from a rate model."""

    sampler: str = field(default="gp", metadata={"doc": "Optuna sampler: 'gp' or 'tpe'"})
    startup: int = field(default=3, metadata={"doc": "random proposals before the model is used"})
    defaults_first: bool = field(
        default=True, metadata={"doc": "make the first proposal the template's defaults"}
    )
    choice: str = field(
        default="gp",
        metadata={"doc": "final choice: 'gp' (smoothed rates), 'pooled' (shrunk) or 'raw'"},
    )
    prior_episodes: float = field(
        default=25.0, metadata={"doc": "weight of the model in the pooled rate, in episodes"}
    )
    ridge: float = field(default=0.1, metadata={"doc": "L2 penalty of the logistic rate model"})
    guided: int = field(
        default=4,
        metadata={
            "doc": "of every guided+1 proposals after startup, this many are rate-model steps"
        },
    )
    max_step: float = field(
        default=0.6, metadata={"doc": "longest rate-model step in the unit cube"}
    )
    jitter: float = field(default=0.03, metadata={"doc": "noise added to a rate-model step"})
    locality: float = field(
        default=0.0,
        metadata={"doc": "kernel width around the step's start for the step's model; 0: global"},
    )

    name = "bayes"

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.choice not in CHOICES:
            raise ValueError(f"choice must be one of {CHOICES}, got {self.choice!r}")
        if self.startup < 0 or self.guided < 0:
            raise ValueError(f"startup and guided must be >= 0, got {self.startup}, {self.guided}")
        if self.ridge <= 0 or self.max_step <= 0 or self.jitter < 0 or self.locality < 0:
            raise ValueError(
                "ridge and max_step must be > 0, jitter and locality >= 0; got "
                f"ridge={self.ridge}, max_step={self.max_step}, jitter={self.jitter}, "
                f"locality={self.locality}"
            )

    def propose(self, history: list[Trial]) -> Proposal:
        space = self.task.space
        if self.defaults_first and not history:
            return Proposal(space.defaults(), rationale="the template's defaults")
        seed = int(iteration_rng(self.task.seed, len(history), salt=3).integers(2**31))
        evaluated = [t for t in history if t.ok]
        after_startup = len(evaluated) - self.startup
        if self.guided and after_startup >= 0 and after_startup % (self.guided + 1) < self.guided:
            stepped = self._model_step(evaluated, np.random.default_rng(seed))
            if stepped is not None:
                return stepped
        study = optuna.create_study(direction="minimize", sampler=self._sampler(seed))
        distributions = {
            f"u{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(space.dim)
        }
        for trial in history:
            if trial.ok:
                point = space.encode(trial.params)
                study.add_trial(
                    optuna.trial.create_trial(
                        params={f"u{i}": float(v) for i, v in enumerate(point)},
                        distributions=distributions,
                        value=float(trial.gap),
                    )
                )
        asked = study.ask(distributions)
        point = np.array([asked.params[f"u{i}"] for i in range(space.dim)])
        params = space.decode_valid(point, np.random.default_rng(seed))
        return Proposal(
            params, rationale=f"Optuna {self.sampler} sampler, {len(study.trials) - 1} trials seen"
        )

    def _smoothed(self, evaluated: list[Trial]) -> np.ndarray:
        """Each evaluated trial's rate as the final-choice model sees it."""
        points = np.array([self.task.space.encode(t.params) for t in evaluated])
        successes = [t.successes for t in evaluated]
        episodes = [t.episodes for t in evaluated]
        if self.choice == "raw" or len(evaluated) < 3:
            return np.array([t.rate for t in evaluated], dtype=np.float64)
        if self.choice == "gp":
            return gp_smoothed_rates(points, successes, episodes, ridge=self.ridge)[0]
        return shrunk_rates(
            points, successes, episodes, prior_episodes=self.prior_episodes, ridge=self.ridge
        )

    def _model_step(self, evaluated: list[Trial], rng: np.random.Generator) -> Proposal | None:
        """A secant step onto the target level of the logistic rate model, starting from the
        trial whose smoothed rate is nearest the target."""
        space = self.task.space
        points = np.array([space.encode(t.params) for t in evaluated])
        rates = self._smoothed(evaluated)
        anchor = int(np.argmin(np.abs(rates - self.task.target)))
        weights = None
        if self.locality > 0:
            distance2 = np.sum((points - points[anchor]) ** 2, axis=1)
            weights = np.exp(-distance2 / (2 * self.locality**2))
        model = RateModel(self.ridge).fit(
            points, [t.successes for t in evaluated], [t.episodes for t in evaluated], weights
        )
        point = step_to_level(model, points[anchor], self.task.target, self.max_step)
        if point is None:
            return None
        point = np.clip(point + rng.normal(0.0, self.jitter, space.dim), 0.0, 1.0)
        predicted = float(model.predict(point)[0])
        return Proposal(
            space.decode_valid(point, rng),
            rationale=(
                f"rate-model step from trial {evaluated[anchor].iteration} (smoothed rate "
                f"{rates[anchor]:.2f}) to predicted rate {predicted:.2f}"
            ),
        )

    def _sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        startup = max(0, self.startup - int(self.defaults_first))
        if self.sampler == "gp":
            return optuna.samplers.GPSampler(
                seed=seed, n_startup_trials=startup, warn_independent_sampling=False
            )
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True)

    def recommend(self, history: list[Trial]) -> dict[str, Any] | None:
        """The evaluated trial whose smoothed rate is nearest the target."""
        evaluated = [t for t in history if t.ok]
        if not evaluated:
            return None
        rates = self._smoothed(evaluated)
        best = int(np.argmin(np.abs(rates - self.task.target)))
        logger.debug("smoothed rates %s; chose trial %d", np.round(rates, 3), best)
        return dict(evaluated[best].params or {})
