"""Four teachers for RL students: domain randomisation, PLR, ACCEL and a target-rate teacher.

Build one from a spec, start it, and train through :mod:`agents.rl.tasks`::

    curriculum = CURRICULA.build("plr:replay=0.5")
    curriculum.start("BeTaL/Maze-v0", {"view_size": 5}, seed=0)

* ``dr``: parameters drawn uniformly for every episode.
* ``plr``: Prioritized Level Replay. New maze levels come from domain randomisation; once
  scored, they enter a buffer ranked by the regret proxy (mean positive advantage). With
  probability ``replay`` an episode replays a buffered level, drawn by rank priority mixed
  with staleness. Gradient updates use every episode, as in the original PLR (robust PLR
  would skip the updates on new levels).
* ``accel``: PLR whose new levels start easy (no walls, the goal one step further than the
  start's neighbours) and whose replayed levels are edited (walls toggled, goal moved); the
  edited levels are played next and compete for the buffer like new ones.
* ``teacher``: any designer from :mod:`designers` keeps the student near a target success
  rate: each proposal is played for ``episodes`` episodes and the student's success rate on
  them becomes the designer's trial.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agents.evaluation import wilson_interval
from agents.rl.tasks import CURRICULA, Curriculum, EpisodeRecord, Task
from betal_envs.errors import BetalError, ParameterError
from betal_envs.maze.generator import generate_level, mutate_level
from betal_envs.maze.level import Level
from betal_envs.params import ParameterSpace, Params

if TYPE_CHECKING:
    from designers import Trial

logger = logging.getLogger(__name__)

#: The maze parameters that shape a generated level; the default set a curriculum varies.
LEVEL_PARAMS: tuple[str, ...] = ("size", "wall_density", "min_goal_distance")


def _free_names(spec: str, space: ParameterSpace) -> list[str]:
    """Names from a spec such as ``"size+wall_density"``; empty means the level parameters.

    For a template without the maze's level parameters, empty means every parameter.

    Raises:
        KeyError: for an unknown name, with the near name.
    """
    names = [name for name in spec.split("+") if name]
    for name in names:
        space[name]
    return names or [name for name in LEVEL_PARAMS if name in space.names] or space.names


@CURRICULA.register("dr")
@dataclass
class DomainRandomization(Curriculum):
    """Draw the free parameters uniformly for every episode; the rest stay at the base values."""

    free: str = field(
        default="", metadata={"doc": "parameters to vary, joined by '+' (default: the level's)"}
    )

    name = "dr"

    def start(self, env_id: str, params: Params, seed: int) -> None:
        super().start(env_id, params, seed)
        self.space = self.template.space.restrict(
            _free_names(self.free, self.template.space), self.base_params
        )

    def sample_params(self) -> Params:
        return self.space.complete(self.space.sample(self.rng))

    def next_task(self, env_index: int) -> Task:
        return Task(self.new_key(), self.sample_params(), origin="sampled")


@CURRICULA.register("plr")
@dataclass
class PrioritizedLevelReplay(DomainRandomization):
    """Replay high-regret maze levels from a scored buffer (Jiang et al.'s PLR)."""

    replay: float = field(default=0.5, metadata={"doc": "probability of replaying a level"})
    buffer_size: int = field(default=256, metadata={"doc": "levels kept in the buffer"})
    warmup: int = field(default=16, metadata={"doc": "levels buffered before replay starts"})
    temperature: float = field(default=0.3, metadata={"doc": "rank-priority temperature"})
    staleness: float = field(default=0.3, metadata={"doc": "weight of staleness in replay odds"})

    name = "plr"

    def __post_init__(self) -> None:
        if not 0.0 <= self.replay <= 1.0 or not 0.0 <= self.staleness <= 1.0:
            raise ValueError(
                f"replay and staleness must be in [0, 1], got {self.replay}, {self.staleness}"
            )
        if self.buffer_size < 1 or self.temperature <= 0:
            raise ValueError("buffer_size must be >= 1 and temperature > 0")

    def start(self, env_id: str, params: Params, seed: int) -> None:
        super().start(env_id, params, seed)
        if not hasattr(self.template, "set_level"):
            raise BetalError(
                f"{self.name} replays levels; {self.env_id} has none. Use 'dr' or 'teacher'."
            )
        #: Buffered levels by task key, with their score and the episode count when last played.
        self.levels: dict[int, Task] = {}
        self.scores: dict[int, float] = {}
        self.last_played: dict[int, int] = {}
        self._unscored: dict[int, Task] = {}

    def new_level(self) -> Task:
        params = self.sample_params()
        level = generate_level(params, self.rng)
        return Task(self.new_key(), params, level, origin="new")

    def next_task(self, env_index: int) -> Task:
        if (
            len(self.levels) >= min(self.warmup, self.buffer_size)
            and self.rng.random() < self.replay
        ):
            task = self.replay_task()
        else:
            task = self.new_level()
            self._unscored[task.key] = task
        self.last_played[task.key] = self.tasks_started
        return task

    def replay_odds(self) -> tuple[list[int], np.ndarray]:
        """Buffered keys and their replay probabilities: rank priority mixed with staleness."""
        keys = list(self.levels)
        scores = np.array([self.scores[key] for key in keys])
        ranks = np.empty(len(keys))
        ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(keys) + 1)
        by_score = (1.0 / ranks) ** (1.0 / self.temperature)
        stale = np.array([self.tasks_started - self.last_played[key] for key in keys], float)
        by_age = stale / stale.sum() if stale.sum() > 0 else np.full(len(keys), 1 / len(keys))
        odds = (1 - self.staleness) * by_score / by_score.sum() + self.staleness * by_age
        return keys, odds / odds.sum()

    def replay_task(self) -> Task:
        keys, odds = self.replay_odds()
        task = self.levels[keys[int(self.rng.choice(len(keys), p=odds))]]
        return Task(task.key, task.params, task.level, origin="replay")

    def observe_scores(self, scores: dict[int, float]) -> None:
        for key, score in scores.items():
            if key in self.levels:
                self.scores[key] = score
            elif key in self._unscored:
                self._admit(self._unscored.pop(key), score)
                if key not in self.levels:
                    self.last_played.pop(key, None)

    def _admit(self, task: Task, score: float) -> None:
        """Put a scored level in the buffer, evicting the lowest score when full."""
        if len(self.levels) >= self.buffer_size:
            lowest = min(self.scores, key=self.scores.__getitem__)
            if self.scores[lowest] >= score:
                return
            del self.levels[lowest], self.scores[lowest], self.last_played[lowest]
        self.levels[task.key] = Task(task.key, task.params, task.level, origin="buffered")
        self.scores[task.key] = score
        self.last_played.setdefault(task.key, self.tasks_started)


@CURRICULA.register("accel")
@dataclass
class ACCEL(PrioritizedLevelReplay):
    """PLR that starts from easy levels and edits replayed ones (Parker-Holder et al.'s ACCEL)."""

    edits: int = field(default=3, metadata={"doc": "random edits per mutation"})

    name = "accel"

    def start(self, env_id: str, params: Params, seed: int) -> None:
        super().start(env_id, params, seed)
        self._children: list[Task] = []
        self.parents: dict[int, Level] = {}

    def new_level(self) -> Task:
        if self._children:
            return self._children.pop(0)
        params = {**self.sample_params(), "wall_density": 0.0, "min_goal_distance": 2}
        level = generate_level(params, self.rng)
        return Task(self.new_key(), params, level, origin="new")

    def replay_task(self) -> Task:
        task = super().replay_task()
        child = mutate_level(task.level, self.rng, self.edits)
        key = self.new_key()
        self.parents[key] = task.level
        self._children.append(Task(key, task.params, child, origin="mutation"))
        del self._children[: -self.buffer_size]
        return task


@CURRICULA.register("teacher")
@dataclass
class TargetTeacher(DomainRandomization):
    """A designer proposes parameters; the student's success there is the designer's trial."""

    designer: str = field(default="bayes", metadata={"doc": "designer spec, e.g. 'random'"})
    target: float = field(default=0.5, metadata={"doc": "success rate to keep the student at"})
    episodes: int = field(default=32, metadata={"doc": "episodes per proposal"})

    name = "teacher"

    def __post_init__(self) -> None:
        if not 0.0 < self.target < 1.0:
            raise ValueError(f"target must be in (0, 1), got {self.target}")
        if self.episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {self.episodes}")

    def start(self, env_id: str, params: Params, seed: int) -> None:
        from designers import DESIGNERS, DesignTask

        super().start(env_id, params, seed)
        self.design = DESIGNERS.build(self.designer)
        task = DesignTask(
            env_id=self.env_id,
            summary=self.template.summary,
            space=self.space,
            target=self.target,
            student="PPO in training",
            iterations=10_000,
            seed=seed,
        )
        self.design.start(task)
        self.trials: list[Trial] = []
        self.current = self._propose()
        self._outcomes: list[bool] = []

    def _propose(self) -> Task:
        """Ask the designer until it proposes valid parameters (invalid ones become trials)."""
        from designers import Trial

        for _ in range(10):
            proposal = self.design.propose(self.trials)
            try:
                params = self.space.complete(proposal.params or {})
            except ParameterError as error:
                trial = Trial(len(self.trials), "invalid", proposal.params, error=str(error))
                self.trials.append(trial)
                self.design.observe(trial)
                continue
            return Task(self.new_key(), params, origin="proposal")
        logger.warning("%s proposed nothing valid ten times; sampling instead", self.designer)
        return Task(self.new_key(), self.sample_params(), origin="proposal")

    def next_task(self, env_index: int) -> Task:
        return self.current

    def episode_done(self, record: EpisodeRecord) -> None:
        super().episode_done(record)
        if record.task.key != self.current.key:
            return
        self._outcomes.append(record.success)
        if len(self._outcomes) >= self.episodes:
            self._finish_trial()

    def _finish_trial(self) -> None:
        from designers import Trial

        successes, episodes = sum(self._outcomes), len(self._outcomes)
        rate = successes / episodes
        free = {name: self.current.params[name] for name in self.space.names}
        trial = Trial(
            iteration=len(self.trials),
            status="ok",
            proposed=free,
            params=free,
            successes=successes,
            episodes=episodes,
            rate=rate,
            ci=wilson_interval(successes, episodes),
            gap=abs(rate - self.target),
        )
        self.trials.append(trial)
        self.design.observe(trial)
        logger.info("teacher trial %d: rate %.2f at %s", trial.iteration, rate, free)
        self._outcomes = []
        self.current = self._propose()
