"""The non-LLM baselines of the paper: uniform random search, and random search with replay.

Both draw every random number from a generator seeded by ``(task seed, iteration)``, so a
resumed run proposes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from designers.base import DESIGNERS, Designer, Proposal, Trial


def iteration_rng(seed: int, iteration: int, salt: int) -> np.random.Generator:
    """A generator that depends only on the run's seed, the iteration and the designer."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(iteration), int(salt)])


@DESIGNERS.register("random")
@dataclass
class RandomDesigner(Designer):
    """Uniform sampling over the parameter space (the paper's random-sampling baseline)."""

    name = "random"

    def propose(self, history: list[Trial]) -> Proposal:
        rng = iteration_rng(self.task.seed, len(history), salt=1)
        return Proposal(self.task.space.sample(rng), rationale="uniform sample")


@DESIGNERS.register("random-replay")
@dataclass
class ReplayDesigner(Designer):
    """Random search with prioritised replay of near-target parameters.

    The first ``warmup`` proposals are uniform samples, so that there is something worth
    replaying. After that, with probability ``replay`` it picks an evaluated trial, favouring
    small gaps (weight ``exp(-gap / temperature)``), and perturbs its unit-cube point with
    Gaussian noise of scale ``sigma``; otherwise it samples uniformly, as in PLR's replay of
    useful levels.
    """

    warmup: int = field(default=4, metadata={"doc": "uniform proposals before any replay"})
    replay: float = field(default=0.7, metadata={"doc": "probability of replaying a trial"})
    sigma: float = field(default=0.1, metadata={"doc": "perturbation scale in the unit cube"})
    temperature: float = field(default=0.05, metadata={"doc": "softness of the gap priority"})

    name = "random-replay"

    def __post_init__(self) -> None:
        if not 0.0 <= self.replay <= 1.0:
            raise ValueError(f"replay must be in [0, 1], got {self.replay}")
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {self.warmup}")
        if self.sigma < 0 or self.temperature <= 0:
            raise ValueError("sigma must be >= 0 and temperature > 0")

    def propose(self, history: list[Trial]) -> Proposal:
        rng = iteration_rng(self.task.seed, len(history), salt=2)
        evaluated = [t for t in history if t.ok]
        space = self.task.space
        if len(history) < self.warmup or not evaluated or rng.random() >= self.replay:
            return Proposal(space.sample(rng), rationale="uniform sample")
        weights = np.array([math.exp(-t.gap / self.temperature) for t in evaluated])
        parent = evaluated[int(rng.choice(len(evaluated), p=weights / weights.sum()))]
        centre = space.encode(parent.params)
        for _ in range(100):
            candidate = space.decode(np.clip(centre + rng.normal(0.0, self.sigma, space.dim), 0, 1))
            if not space.violations(candidate):
                return Proposal(
                    candidate,
                    rationale=f"perturbed trial {parent.iteration} (gap {parent.gap:.3f})",
                )
        return Proposal(space.sample(rng), rationale="uniform sample (no valid perturbation found)")
