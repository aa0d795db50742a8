"""Tuning along the difficulty path: a noisy root-finder on one number.

The :class:`PathSearch` proposes positions on a template's difficulty path
(:mod:`designers.difficulty_path`) and keeps the psychometric curve of
:mod:`designers.psychometric` up to date with every finished trial. Each proposal goes where
the local curve crosses the target, at most ``max_step`` from the curve's centre, so the
search brackets the target quickly and then spends its remaining trials next to it, where
they tell the most about the crossing. The final choice is read off the curve fitted to every
trial.

Some parameters change the rate in a jump: one more turn allowed, one more request. Once the
search has homed in on two neighbouring parameter sets on either side of the target, no
position on the path lies between them, however large the jump. The search then holds the
parameters that jumped at their values on the easy side and continues on a *refinement
path* through that easy side, along which only the other parameters move (floats above all,
which move without steps), to close the rest of the gap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.evaluation import wilson_interval
from designers.base import Proposal, Trial
from designers.difficulty_path import DifficultyPath
from designers.psychometric import Curve, local_curve

#: Trials that lie clearly beyond the target (outside their 80 % interval) bound a bracket.
CLIFF_Z = 1.2816
#: Trials on the two steps next to the target before the search refines between them.
REFINE_TRIALS = 3


#: A proposal inside a bracket keeps this share of the bracket's width from either end.
BRACKET_MARGIN = 0.2


@dataclass(frozen=True)
class PathSettings:
    """How the path search steps and fits (see :class:`designers.bayes.BayesDesigner`)."""

    prior_slope: float = 3.0
    prior_sd: float = 10.0
    bandwidth: float = 2.0
    max_step: float = 0.75
    choice: str = "trial"
    refine: bool = True
    curve_episodes: float = 100.0


@dataclass
class _Stage:
    """The path being searched and the trials that lie on it."""

    path: DifficultyPath
    trials: list[Trial]
    refined: bool = False


def _key(params: dict[str, Any] | None) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _pooled(trials: Sequence[Trial]) -> list[tuple[dict[str, Any], int, int]]:
    """Each distinct parameter set with the successes and episodes of all its trials."""
    pooled: dict[str, list[Any]] = {}
    for trial in trials:
        entry = pooled.setdefault(_key(trial.params), [trial.params or {}, 0, 0])
        entry[1] += trial.successes
        entry[2] += trial.episodes
    return [(params, successes, episodes) for params, successes, episodes in pooled.values()]


class PathSearch:
    """Root-finding on a difficulty path for the rate ``target``."""

    def __init__(self, path: DifficultyPath, target: float, settings: PathSettings) -> None:
        self.path = path
        self.target = target
        self.settings = settings

    # -- the stage the search is in -------------------------------------------------------

    def stages(self, evaluated: Sequence[Trial]) -> list[_Stage]:
        """Replay the trials in order, switching to a refinement path where one was found.

        The stage of each trial depends only on the trials before it, so replaying the
        history gives the stage every proposal was made in. The last stage is the current.
        """
        stages = [_Stage(self.path, [])]
        for trial in evaluated:
            self._maybe_refine(stages)
            stages[-1].trials.append(trial)
        self._maybe_refine(stages)
        return stages

    def _maybe_refine(self, stages: list[_Stage]) -> None:
        if self.settings.refine and not stages[-1].refined:
            refined = self._refinement(stages[-1])
            if refined is not None:
                stages.append(refined)

    def _refinement(self, stage: _Stage) -> _Stage | None:
        """A refinement path when the trials place the target between two steps.

        Trials are grouped by their *step*, the values of every parameter but the floats.
        When the nearest steps on either side of the target (by pooled rate) are neighbours
        on the path (or all but) and have been tried ``REFINE_TRIALS`` times between them,
        the search has homed in on a jump that the path cannot cross gradually.
        """
        space, path = stage.path.space, stage.path
        steps = ~path.float_mask()
        groups: dict[tuple[float, ...], list[Trial]] = {}
        for trial in stage.trials:
            groups.setdefault(tuple(space.encode(trial.params or {})[steps]), []).append(trial)
        easy, hard = None, None
        for step, trials in groups.items():
            rate = sum(t.successes for t in trials) / max(sum(t.episodes for t in trials), 1)
            positions = [path.position(t.params or {}) for t in trials]
            if rate > self.target and (easy is None or max(positions) > easy[0]):
                easy = (max(positions), step, trials[int(np.argmax(positions))], trials)
            if rate < self.target and (hard is None or min(positions) < hard[0]):
                hard = (min(positions), step, None, trials)
        if easy is None or hard is None or easy[0] >= hard[0]:
            return None
        if len(easy[3]) + len(hard[3]) < REFINE_TRIALS:
            return None
        ends = (easy[0], hard[0])
        # Near neighbours: walking from one to the other meets at most one other step (two
        # parameters stepping at almost the same place).
        between = {tuple(space.encode(path.params(p))[steps]) for p in np.linspace(*ends, 101)}
        if len(between - {easy[1], hard[1]}) > 1:
            return None
        jumped = steps.copy()
        jumped[steps] = np.asarray(easy[1]) != np.asarray(hard[1])
        refined = path.holding(easy[2].params or {}, jumped)
        if not np.any(refined.velocity != 0):
            return None
        return _Stage(refined, list(easy[3]), refined=True)

    # -- the curve, proposals and the final choice ----------------------------------------

    def _data(self, stage: _Stage) -> tuple[np.ndarray, list[int], list[int]]:
        positions = np.array([stage.path.position(t.params or {}) for t in stage.trials])
        return positions, [t.successes for t in stage.trials], [t.episodes for t in stage.trials]

    def curve(self, stage: _Stage) -> Curve:
        positions, successes, episodes = self._data(stage)
        return local_curve(
            positions,
            successes,
            episodes,
            self.target,
            prior_slope=self.settings.prior_slope,
            prior_sd=self.settings.prior_sd,
            bandwidth=self.settings.bandwidth,
        )

    def propose(self, evaluated: Sequence[Trial], rng: np.random.Generator) -> Proposal:
        """The next position: the curve's crossing, a bounded step from its centre."""
        if not evaluated:
            return Proposal(
                self._params(self.path, 0.0, rng), rationale="difficulty path at the defaults"
            )
        stage = self.stages(evaluated)[-1]
        curve = self.curve(stage)
        crossing = curve.position_of(self.target)
        step = self.settings.max_step
        if crossing is None:
            # A flat curve gives no crossing; walk toward the target's side instead.
            harder = float(curve.rate(curve.centre)) > self.target
            crossing = curve.centre + (step if harder else -step)
        position = float(np.clip(crossing, curve.centre - step, curve.centre + step))
        position = self._inside_bracket(stage, position)
        position = float(np.clip(position, *stage.path.ends))
        where = "refinement path" if stage.refined else "difficulty path"
        return Proposal(
            self._params(stage.path, position, rng),
            rationale=(
                f"{where} position {position:+.3f}: the local curve (slope "
                f"{curve.slope:.2f} logit per unit) crosses {self.target:.2f} at "
                f"{crossing:+.3f}; rate there predicted {float(curve.rate(position)):.2f}"
            ),
        )

    def _inside_bracket(self, stage: _Stage, position: float) -> float:
        """Keep a position between the nearest trials that clearly miss the target on either
        side, and away from both, so that a jump between them is found by halving the gap
        instead of by creeping up to it."""
        positions, successes, episodes = self._data(stage)
        intervals = [
            wilson_interval(k, n, z=CLIFF_Z) for k, n in zip(successes, episodes, strict=True)
        ]
        above = positions[[low > self.target for low, _ in intervals]]
        below = positions[[high < self.target for _, high in intervals]]
        if above.size == 0 or below.size == 0:
            return position
        low, high = float(above.max()), float(below.min())
        if low >= high:
            return position
        margin = BRACKET_MARGIN * (high - low)
        return float(np.clip(position, low + margin, high - margin))

    def recommend(self, evaluated: Sequence[Trial], rng: np.random.Generator) -> dict[str, Any]:
        """The parameters to verify, read off the curves fitted to the trials.

        With ``choice="trial"``: the evaluated parameter set whose estimated rate is nearest
        the target, where the estimate pools the set's own episodes with its stage's curve
        (worth ``curve_episodes`` episodes). With ``"crossing"``: the parameters where the
        current stage's curve crosses the target, within the stretch its trials explored.
        """
        stages = self.stages(evaluated)
        if self.settings.choice == "trial":
            candidates = [*self._step_estimates(stages[:-1]), *self._curve_estimates(stages[-1])]
            best = min(candidates, key=lambda candidate: abs(candidate[1] - self.target))
            return dict(best[0])
        stage = stages[-1]
        positions, _, _ = self._data(stage)
        curve = self.curve(stage)
        crossing = curve.position_of(self.target)
        if crossing is None:
            rates = np.array([t.rate or 0.0 for t in stage.trials])
            crossing = float(positions[int(np.argmin(np.abs(rates - self.target)))])
        position = float(np.clip(crossing, positions.min(), positions.max()))
        return self._params(stage.path, position, rng)

    def _curve_estimates(self, stage: _Stage) -> list[tuple[dict[str, Any], float]]:
        """Each parameter set of a stage with its rate pooled with the stage's curve, which
        counts as ``curve_episodes`` episodes."""
        curve, weight = self.curve(stage), self.settings.curve_episodes
        estimates = []
        for params, successes, episodes in _pooled(stage.trials):
            predicted = float(curve.rate(stage.path.position(params)))
            estimates.append((params, (successes + weight * predicted) / (episodes + weight)))
        return estimates

    @staticmethod
    def _step_estimates(stages: Sequence[_Stage]) -> list[tuple[dict[str, Any], float]]:
        """The latest parameter set of each step of earlier stages, with the step's pooled rate.

        A stage was left because its curve smoothed over a jump, so near the jump its curve
        is no guide; the trials of one step, which differ only in floats, are pooled instead.
        """
        estimates = []
        for stage in stages:
            steps = ~stage.path.float_mask()
            groups: dict[tuple[float, ...], list[Trial]] = {}
            for trial in stage.trials:
                key = tuple(stage.path.space.encode(trial.params or {})[steps])
                groups.setdefault(key, []).append(trial)
            for trials in groups.values():
                rate = sum(t.successes for t in trials) / max(sum(t.episodes for t in trials), 1)
                estimates.append((trials[-1].params or {}, rate))
        return estimates

    @staticmethod
    def _params(path: DifficultyPath, position: float, rng: np.random.Generator) -> dict[str, Any]:
        """Parameters whose own position is nearest ``position``.

        Rounding integers and switches moves a decoded point off the path, and its position
        with it; of the decodings of points near ``position``, the one that lands nearest wins.
        """
        candidates = [
            path.space.decode_valid(path.point(position + offset), rng)
            for offset in np.linspace(-0.01, 0.01, 11)
        ]
        misses = [abs(path.position(c) - position) for c in candidates]
        return candidates[int(np.argmin(misses))]
