"""The default designer: Bayesian model-based tuning, needing no LLM.

Template authors declare which way each parameter makes instances harder. When they have,
``bayes`` searches the *difficulty path* those declarations span (see
:mod:`designers.difficulty_path`): a one-dimensional line from the easiest to the hardest
corner of the space through the defaults. On it the student's rate is a falling curve, and a
psychometric model of that curve (:mod:`designers.psychometric`: a logistic with a Gaussian
prior on its slope, fitted locally) says where it crosses the target. Each proposal goes
there; where a parameter jumps over the target, the search holds it and refines with the
others (:mod:`designers.path_search`). The final choice pools each evaluated parameter set's
own episodes with what the curve predicts for it, so it does not trust one noisy trial.

When no direction is declared (or with ``path=false``) it searches the whole unit-encoded
space instead: every proposal rebuilds an Optuna study (GP or TPE sampler) from the finished
trials, most proposals after the first few are secant steps of a logistic rate model over the
whole space toward the target, and the final choice smooths each trial's rate with a Gaussian
process (:mod:`designers.rate_model`).

Either way the first proposal is the template's defaults, and every random choice is seeded
by ``(seed, iteration)``: the designer is a pure function of its history, so an interrupted
run resumes to the same proposals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna

from designers.base import DESIGNERS, Designer, DesignTask, Proposal, Trial
from designers.difficulty_path import DifficultyPath
from designers.path_search import PathSearch, PathSettings
from designers.random import iteration_rng
from designers.rate_model import RateModel, gp_smoothed_rates, shrunk_rates, step_to_level

logger = logging.getLogger(__name__)

# Optuna reports every trial at INFO level; the loop keeps its own records.
optuna.logging.set_verbosity(optuna.logging.WARNING)

SAMPLERS = ("gp", "tpe")
CHOICES = ("gp", "pooled", "raw")
PATH_CHOICES = ("trial", "crossing")


@DESIGNERS.register("bayes")
@dataclass
class BayesDesigner(Designer):
    """A psychometric curve along the difficulty path, or Optuna over the whole space.

    The settings from ``path`` on steer the path search; those before it, the search of the
    whole space (used when no parameter declares a direction, or with ``path=false``).
    """

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

    path: bool = field(
        default=True,
        metadata={
            "doc": "search the difficulty path the parameters declare (Optuna and the rate "
            "model of the whole space when false or when no direction is declared)"
        },
    )
    slope: float = field(
        default=3.0, metadata={"doc": "prior mean of the path curve's slope, logit per unit"}
    )
    slope_sd: float = field(default=10.0, metadata={"doc": "prior spread of that slope"})
    bandwidth: float = field(
        default=2.0, metadata={"doc": "width of the path curve's local kernel, in logits"}
    )
    path_step: float = field(default=0.75, metadata={"doc": "longest step along the path"})
    refine: bool = field(
        default=True,
        metadata={"doc": "hold parameters that jump over the target and refine with the rest"},
    )
    path_choice: str = field(
        default="trial",
        metadata={
            "doc": "final choice on the path: 'trial' (evaluated parameters the curve puts "
            "nearest the target) or 'crossing' (the parameters where the curve crosses it)"
        },
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
        if self.path_choice not in PATH_CHOICES:
            raise ValueError(f"path_choice must be one of {PATH_CHOICES}, got {self.path_choice!r}")
        if self.slope_sd <= 0 or self.bandwidth <= 0 or self.path_step <= 0:
            raise ValueError(
                "slope_sd, bandwidth and path_step must be > 0; got "
                f"slope_sd={self.slope_sd}, bandwidth={self.bandwidth}, "
                f"path_step={self.path_step}"
            )

    def start(self, task: DesignTask) -> None:
        super().start(task)
        path = DifficultyPath(task.space)
        self._path_search: PathSearch | None = None
        if self.path and path.usable:
            settings = PathSettings(
                self.slope,
                self.slope_sd,
                self.bandwidth,
                self.path_step,
                self.path_choice,
                self.refine,
            )
            self._path_search = PathSearch(path, task.target, settings)

    def propose(self, history: list[Trial]) -> Proposal:
        space = self.task.space
        if self.defaults_first and not history:
            return Proposal(space.defaults(), rationale="the template's defaults")
        seed = int(iteration_rng(self.task.seed, len(history), salt=3).integers(2**31))
        evaluated = [t for t in history if t.ok]
        if self._path_search is not None:
            return self._path_search.propose(evaluated, np.random.default_rng(seed))
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
        if self._path_search is not None:
            rng = iteration_rng(self.task.seed, len(history), salt=4)
            return self.task.space.complete(self._path_search.recommend(evaluated, rng))
        rates = self._smoothed(evaluated)
        best = int(np.argmin(np.abs(rates - self.task.target)))
        logger.debug("smoothed rates %s; chose trial %d", np.round(rates, 3), best)
        return dict(evaluated[best].params or {})
