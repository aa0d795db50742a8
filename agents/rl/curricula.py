"""Four teachers for RL students: domain randomisation, PLR, ACCEL and a target-rate teacher.

Build one from a spec, start it, and train through :mod:`agents.rl.tasks`::

    curriculum = CURRICULA.build("plr:replay=0.5")
    curriculum.start("BeTaL/Maze-v0", {"view_size": 5}, seed=0)

* ``dr``: parameters drawn uniformly for every episode.
* ``plr``: Prioritized Level Replay. New maze levels come from domain randomisation; once
  an episode on one ends, its score (a regret proxy: positive value loss, or MaxMC) decides
  whether it enters a buffer. With probability ``replay`` an episode replays a buffered
  level, drawn by rank priority mixed with staleness, and the replay updates its score.
  Gradient updates use every episode, as in the original PLR (robust PLR would skip the
  updates on new levels).
* ``accel``: PLR whose replayed levels are edited (walls toggled, goal moved): every replay
  queues an edited child, the next episode to start plays it, and its score decides
  whether it enters the buffer. New levels are drawn as in ``dr``, or with ``empty=true``
  start as empty rooms whose complexity grows only through edits that keep the score high.
* ``teacher``: any designer from :mod:`designers` keeps the student near a target success
  rate: each proposal is played for ``episodes`` episodes and the student's success rate on
  them becomes the designer's trial. The student changes as it trains, so the designer sees
  only the recent ``window`` trials, as successive design runs that overlap by half.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from agents.evaluation import wilson_interval
from agents.rl.tasks import CURRICULA, Curriculum, EpisodeRecord, EpisodeScore, Task
from betal_envs.errors import BetalError, ParameterError
from betal_envs.maze.generator import generate_level, mutate_level
from betal_envs.maze.level import Level
from betal_envs.params import ParameterSpace, Params

if TYPE_CHECKING:
    from designers import DesignTask, Trial

logger = logging.getLogger(__name__)

#: The maze parameters that shape a generated level; the default set a curriculum varies.
LEVEL_PARAMS: tuple[str, ...] = ("size", "wall_density", "min_goal_distance")
#: Regret proxies a level-replay curriculum can rank its buffer by.
SCORES: tuple[str, ...] = ("pvl", "maxmc", "learnability")


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
    """Replay high-regret maze levels from a scored buffer (Jiang et al.'s PLR).

    The score of a level is a regret proxy measured over its latest episode:

    * ``pvl``, positive value loss: the mean of ``max(GAE, 0)`` over the episode;
    * ``maxmc``: the highest return ever reached on the level minus the mean value
      estimate over the episode. Levels the student always solves (value near the best
      return) and levels it never solves (best return 0) both score low.
    * ``learnability``: ``p * (1 - p)``, as in Rutherford et al.'s "No Regrets" (2024),
      with ``p`` the student's success rate over its last ``memory`` episodes on the
      level, shrunk toward its success rate over the last 256 episodes anywhere (a prior
      worth two episodes). A level failed once by a student who mostly succeeds thus
      scores high, one solved once scores low. It needs no value function: a value
      estimate that sees only the agent's view cannot tell one level from another, so
      both value-based proxies end up ranking levels by how much easier than average
      they are.

    Replay odds are ``(1 - staleness) * P_rank + staleness * P_stale`` with
    ``P_rank`` proportional to ``(1 / rank) ** (1 / temperature)`` and ``P_stale``
    proportional to the episodes started since the level was last played.
    """

    replay: float = field(default=0.5, metadata={"doc": "probability of replaying a level"})
    buffer_size: int = field(default=256, metadata={"doc": "levels kept in the buffer"})
    warmup: int = field(default=16, metadata={"doc": "levels buffered before replay starts"})
    temperature: float = field(default=0.3, metadata={"doc": "rank-priority temperature"})
    staleness: float = field(default=0.3, metadata={"doc": "weight of staleness in replay odds"})
    score: str = field(
        default="pvl", metadata={"doc": "regret proxy: 'pvl', 'maxmc' or 'learnability'"}
    )
    memory: int = field(
        default=8, metadata={"doc": "latest outcomes per level behind 'learnability'"}
    )

    name = "plr"

    def __post_init__(self) -> None:
        if not 0.0 <= self.replay <= 1.0 or not 0.0 <= self.staleness <= 1.0:
            raise ValueError(
                f"replay and staleness must be in [0, 1], got {self.replay}, {self.staleness}"
            )
        if self.buffer_size < 1 or self.temperature <= 0:
            raise ValueError(
                f"buffer_size must be >= 1 and temperature > 0, got {self.buffer_size}, "
                f"{self.temperature}"
            )
        if self.score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {self.score!r}")
        if self.memory < 1:
            raise ValueError(f"memory must be >= 1, got {self.memory}")

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
        #: The highest episode return reached on each buffered or unscored level (for MaxMC).
        self.max_returns: dict[int, float] = {}
        #: The latest ``memory`` successes and failures on each buffered or unscored level.
        self.outcomes: dict[int, list[bool]] = {}
        #: How many levels were offered to the buffer, and how many were already in it.
        self.offered = 0
        self.duplicates = 0
        self._unscored: dict[int, Task] = {}
        self._keys_by_level: dict[Level, int] = {}

    def new_level(self) -> Task:
        params = self.sample_params()
        level = generate_level(params, self.rng)
        return Task(self.new_key(), params, level, origin="new")

    def replay_ready(self) -> bool:
        """Whether enough levels are buffered for replay."""
        return len(self.levels) >= min(self.warmup, self.buffer_size)

    def next_task(self, env_index: int) -> Task:
        if self.replay_ready() and self.rng.random() < self.replay:
            task = self.replay_task()
        else:
            task = self.new_level()
            self._unscored[task.key] = task
        self.last_played[task.key] = self.tasks_started
        return task

    def replay_odds(self) -> tuple[list[int], np.ndarray]:
        """Buffered keys and their replay probabilities: rank priority mixed with staleness.

        Equal scores share the best rank among them, so a tie (common with ``learnability``,
        whose scores take few values) does not hand most replays to the oldest level.
        """
        keys = list(self.levels)
        scores = np.array([self.scores[key] for key in keys])
        descending = -np.sort(scores)[::-1]
        ranks = 1.0 + np.searchsorted(descending, -scores, side="left")
        by_score = (1.0 / ranks) ** (1.0 / self.temperature)
        stale = np.array([self.tasks_started - self.last_played[key] for key in keys], float)
        by_age = stale / stale.sum() if stale.sum() > 0 else np.full(len(keys), 1 / len(keys))
        odds = (1 - self.staleness) * by_score / by_score.sum() + self.staleness * by_age
        return keys, odds / odds.sum()

    def replay_task(self) -> Task:
        keys, odds = self.replay_odds()
        task = self.levels[keys[int(self.rng.choice(len(keys), p=odds))]]
        return Task(task.key, task.params, task.level, origin="replay")

    def episode_done(self, record: EpisodeRecord) -> None:
        super().episode_done(record)
        key = record.task.key
        if key in self.levels or key in self._unscored:
            best = self.max_returns.get(key, record.episode_return)
            self.max_returns[key] = max(best, record.episode_return)
            outcomes = self.outcomes.setdefault(key, [])
            outcomes.append(record.success)
            del outcomes[: -self.memory]

    def level_score(self, signals: EpisodeScore) -> float:
        """The regret proxy of one finished episode (see the class docstring)."""
        if self.score == "maxmc":
            return self.max_returns.get(signals.key, 0.0) - signals.mean_value
        if self.score == "learnability":
            outcomes = self.outcomes.get(signals.key, [])
            recent = self.records[-256:]
            prior = (sum(r.success for r in recent) + 1) / (len(recent) + 2)
            rate = (sum(outcomes) + 2 * prior) / (len(outcomes) + 2)
            return rate * (1 - rate)
        return signals.positive_advantage

    def observe_scores(self, scores: list[EpisodeScore]) -> None:
        for signals in scores:
            key = signals.key
            if key in self.levels:
                self.scores[key] = self.level_score(signals)
            elif key in self._unscored:
                task = self._unscored.pop(key)
                twin = self._keys_by_level.get(task.level)
                self.offered += 1
                if twin is not None:
                    self._merge_into(twin, key)
                    self.scores[twin] = self.level_score(dataclasses.replace(signals, key=twin))
                else:
                    self._admit(task, self.level_score(signals))
                if key not in self.levels:
                    self.last_played.pop(key, None)
                    self.max_returns.pop(key, None)
                    self.outcomes.pop(key, None)

    def _merge_into(self, twin: int, key: int) -> None:
        """Count a level drawn again (or an edit undone) as more play on its buffered twin.

        Without this the buffer would fill with copies of the same level.
        """
        self.duplicates += 1
        self.last_played[twin] = self.last_played.get(key, self.tasks_started)
        if key in self.max_returns:
            self.max_returns[twin] = max(self.max_returns.get(twin, 0.0), self.max_returns[key])
        outcomes = self.outcomes.get(twin, []) + self.outcomes.get(key, [])
        self.outcomes[twin] = outcomes[-self.memory :]

    def _admit(self, task: Task, score: float) -> None:
        """Put a scored level in the buffer, evicting the lowest score when full."""
        if len(self.levels) >= self.buffer_size:
            lowest = min(self.scores, key=self.scores.__getitem__)
            if self.scores[lowest] >= score:
                return
            self._evict(lowest)
        self.levels[task.key] = Task(task.key, task.params, task.level, origin="buffered")
        self._keys_by_level[task.level] = task.key
        self.scores[task.key] = score
        self.last_played.setdefault(task.key, self.tasks_started)

    def _evict(self, key: int) -> None:
        del self._keys_by_level[self.levels.pop(key).level]
        del self.scores[key], self.last_played[key]
        self.max_returns.pop(key, None)
        self.outcomes.pop(key, None)


@CURRICULA.register("accel")
@dataclass
class ACCEL(PrioritizedLevelReplay):
    """PLR that edits the levels it replays (Parker-Holder et al.'s ACCEL).

    Every replay queues a child of the replayed level made by ``edits`` random edits; the
    next episode to start plays the child, and its score decides whether it enters the
    buffer. With ``replay=p`` about ``p / (1 + p)`` of the episodes are replays, as many are
    children, and the rest are new levels.

    New levels come from the same generator as ``dr`` (as in the jaxued reference
    implementation). ``empty=true`` starts from empty rooms instead, as in the paper's
    maze runs; with a few edits per child, walls then accumulate over many generations,
    far more than a budget of a few hundred thousand steps allows.
    """

    edits: int = field(default=3, metadata={"doc": "random edits per child"})
    empty: bool = field(
        default=False, metadata={"doc": "new levels are empty rooms (else drawn as in 'dr')"}
    )

    name = "accel"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.edits < 1:
            raise ValueError(f"edits must be >= 1, got {self.edits}")

    def start(self, env_id: str, params: Params, seed: int) -> None:
        super().start(env_id, params, seed)
        self._children: list[Task] = []
        #: The level each child was edited from, by the child's key.
        self.parents: dict[int, Level] = {}

    def new_level(self) -> Task:
        if not self.empty:
            return super().new_level()
        params = {**self.sample_params(), "wall_density": 0.0, "min_goal_distance": 2}
        level = generate_level(params, self.rng)
        return Task(self.new_key(), params, level, origin="new")

    def next_task(self, env_index: int) -> Task:
        if not self._children:
            return super().next_task(env_index)
        task = self._children.pop(0)
        self._unscored[task.key] = task
        self.last_played[task.key] = self.tasks_started
        return task

    def replay_task(self) -> Task:
        task = super().replay_task()
        child = mutate_level(task.level, self.rng, self.edits)
        key = self.new_key()
        self.parents[key] = task.level
        self._children.append(Task(key, task.params, child, origin="mutation"))
        return task


@CURRICULA.register("teacher")
@dataclass
class TargetTeacher(DomainRandomization):
    """A designer proposes parameters; the student's success there is the designer's trial.

    The student improves while it trains, so a trial measured long ago says little about it
    now. The designer therefore works in successive design runs of ``window`` trials, each
    seeded afresh and starting from the last ``window // 2`` trials of the run before.
    """

    designer: str = field(default="bayes", metadata={"doc": "designer spec, e.g. 'random'"})
    target: float = field(default=0.5, metadata={"doc": "success rate to keep the student at"})
    episodes: int = field(default=32, metadata={"doc": "episodes per proposal"})
    window: int = field(default=16, metadata={"doc": "recent trials the designer sees"})

    name = "teacher"

    def __post_init__(self) -> None:
        if not 0.0 < self.target < 1.0:
            raise ValueError(f"target must be in (0, 1), got {self.target}")
        if self.episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {self.episodes}")
        if self.window < 2:
            raise ValueError(f"window must be >= 2, got {self.window}")

    def start(self, env_id: str, params: Params, seed: int) -> None:
        from designers import DESIGNERS

        super().start(env_id, params, seed)
        self.design = DESIGNERS.build(self.designer)
        #: Every trial of the run, in order.
        self.trials: list[Trial] = []
        self.runs = 0
        self._history: list[Trial] = []
        self._begin_design_run()
        self.current = self._propose()
        self._outcomes: list[bool] = []

    def _design_task(self) -> DesignTask:
        from designers import DesignTask

        return DesignTask(
            env_id=self.env_id,
            summary=self.template.summary,
            space=self.space,
            target=self.target,
            student="PPO in training",
            iterations=self.window,
            seed=int(np.random.default_rng([self.seed & 0xFFFFFFFF, self.runs]).integers(2**31)),
        )

    def _begin_design_run(self) -> None:
        """Start a fresh design run that remembers the last half window of trials."""
        kept = self._history[len(self._history) - self.window // 2 :] if self._history else []
        self._history = [dataclasses.replace(t, iteration=i) for i, t in enumerate(kept)]
        self.design.start(self._design_task())
        self.runs += 1

    def _record(self, trial: Trial) -> None:
        self.trials.append(trial)
        self._history.append(dataclasses.replace(trial, iteration=len(self._history)))
        self.design.observe(self._history[-1])

    def _propose(self) -> Task:
        """Ask the designer until it proposes valid parameters (invalid ones become trials)."""
        from designers import Trial

        for _ in range(10):
            if len(self._history) >= self.window:
                self._begin_design_run()
            proposal = self.design.propose(list(self._history))
            try:
                params = self.space.complete(proposal.params or {})
            except ParameterError as error:
                self._record(Trial(len(self.trials), "invalid", proposal.params, error=str(error)))
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
        self._record(trial)
        logger.info("teacher trial %d: rate %.2f at %s", trial.iteration, rate, free)
        self._outcomes = []
        self.current = self._propose()
