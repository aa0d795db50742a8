"""How a curriculum reaches an SB3 student: tasks, a wrapper that applies them, a callback.

A :class:`Curriculum` (the teacher) hands out a :class:`Task` (parameters, and for the maze
possibly a concrete level) each time an environment starts an episode, and hears back how the
episode went. Auto-resetting vector envs drop reset options, so :class:`CurriculumWrapper`
does not rely on them: at every reset it asks the curriculum for the next task and sets it on
the unwrapped template with ``set_params`` / ``set_level``, which persist.

The wrapper pulls tasks from the curriculum object itself, so the environments must live in
the training process (``DummyVecEnv``, which :func:`make_curriculum_env` builds); subprocess
vector envs would each hold a copy of the curriculum and never see its updates.

:class:`CurriculumCallback` reports, for every finished episode, what a curriculum needs to
score its task: the mean positive generalised advantage estimate over the episode's
transitions (PLR's "positive value loss") and the mean value estimate (for MaxMC, the
highest return seen on the level minus the value). Both are read from the PPO rollout
buffer, summed over every rollout an episode spans, so a long episode is scored whole.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv

import betal_envs  # noqa: F401  (registers the templates)
from agents.rl.observation import PreviousAction
from betal_envs.errors import BetalError
from betal_envs.maze.level import Level
from betal_envs.params import Params
from betal_envs.registration import resolve_id, template_class
from betal_envs.specs import Registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """What one episode is played on.

    Attributes:
        key: identifies the task within a curriculum (a replayed level keeps its key).
        params: the complete parameters in force.
        level: a concrete maze level, or ``None`` to generate one from ``params``.
        origin: how the curriculum came by it: ``"sampled"``, ``"new"``, ``"replay"``,
            ``"mutation"`` or ``"proposal"``.
    """

    key: int
    params: Params
    level: Level | None = None
    origin: str = "sampled"


@dataclass
class EpisodeRecord:
    """A finished episode as the curriculum hears of it.

    Attributes:
        env_index: the env that played it.
        task: what it was played on.
        success: whether the student succeeded.
        episode_return: the undiscounted return.
        steps: the episode's length.
        level: the maze level played, for templates with levels (generated from the task's
            parameters when the task gives none).
    """

    env_index: int
    task: Task
    success: bool
    episode_return: float
    steps: int = 0
    level: Level | None = None


@dataclass(frozen=True)
class EpisodeScore:
    """The learning signals of one finished episode, from which a curriculum scores its task.

    Attributes:
        key: the task's key.
        positive_advantage: mean over the episode's transitions of ``max(GAE, 0)``, PLR's
            *positive value loss*: large where the student is still improving.
        mean_value: mean of the value estimates ``V(s_t)`` over the episode's transitions.
        steps: transitions in the episode.
    """

    key: int
    positive_advantage: float
    mean_value: float
    steps: int


class Curriculum(ABC):
    """Base class of teachers that choose each episode's task; subclasses are dataclasses.

    Subclasses implement :meth:`next_task`; they may react to :meth:`episode_done` and
    :meth:`observe_scores`. Every random choice comes from ``self.rng``, seeded in
    :meth:`start`, so a training run repeats exactly.
    """

    name: ClassVar[str] = ""

    def start(self, env_id: str, params: Params, seed: int) -> None:
        """Prepare for training on ``env_id`` with ``params`` held where not chosen."""
        self.env_id = resolve_id(env_id)
        self.template = template_class(self.env_id)
        self.base_params = self.template.space.validate(params)
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.records: list[EpisodeRecord] = []
        self.tasks_started = 0
        self._next_key = 0

    def new_key(self) -> int:
        self._next_key += 1
        return self._next_key

    def task_started(self, env_index: int) -> Task:
        """The task for the episode ``env_index`` is starting (called by the wrapper)."""
        self.tasks_started += 1
        return self.next_task(env_index)

    @abstractmethod
    def next_task(self, env_index: int) -> Task:
        """Choose the task of the episode environment ``env_index`` is starting."""

    def episode_done(self, record: EpisodeRecord) -> None:
        """Hear how an episode went (the default keeps the record)."""
        self.records.append(record)

    def observe_scores(self, scores: list[EpisodeScore]) -> None:  # noqa: B027  (optional hook)
        """Hear the learning signals of the episodes that finished during the last rollout."""

    def describe(self) -> str:
        return self.name


CURRICULA: Registry[Curriculum] = Registry("curriculum")


class CurriculumWrapper(gym.Wrapper):
    """Sets the curriculum's next task on the template at every reset.

    Every step's info carries ``"task_key"``, and the last step of an episode also
    ``"episode_return"``, so that the callback can attribute transitions and outcomes.

    Args:
        env: an env made from a registered template.
        curriculum: the teacher, already started.
        env_index: this env's position in the vector env.
    """

    def __init__(self, env: gym.Env, curriculum: Curriculum, env_index: int) -> None:
        super().__init__(env)
        self.curriculum = curriculum
        self.env_index = env_index
        self.task: Task | None = None
        self._return = 0.0
        self._steps = 0

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self.task = self.curriculum.task_started(self.env_index)
        template = self.env.unwrapped
        template.set_params(self.task.params)
        if hasattr(template, "set_level"):
            template.set_level(self.task.level)
        elif self.task.level is not None:
            raise BetalError(
                f"{self.curriculum.name} hands out levels, which {template.env_id} cannot play."
            )
        self._return, self._steps = 0.0, 0
        observation, info = self.env.reset(**kwargs)
        return observation, {**info, "task_key": self.task.key}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        self._steps += 1
        info = {**info, "task_key": self.task.key}
        if terminated or truncated:
            info["episode_return"] = self._return
            template = self.env.unwrapped
            level = template.instance if hasattr(template, "set_level") else None
            success = bool(info.get("success"))
            self.curriculum.episode_done(
                EpisodeRecord(self.env_index, self.task, success, self._return, self._steps, level)
            )
        return observation, reward, terminated, truncated, info


def make_curriculum_env(
    curriculum: Curriculum, n_envs: int = 4, previous_action: bool = False
) -> DummyVecEnv:
    """A ``DummyVecEnv`` of ``n_envs`` array-mode templates wrapped for ``curriculum``.

    Args:
        curriculum: the teacher, already started.
        n_envs: environments stepped together.
        previous_action: add the student's previous action to each observation (see
            :mod:`agents.rl.observation`).
    """

    def build(index: int) -> gym.Env:
        env = gym.make(
            curriculum.env_id,
            params=curriculum.base_params,
            obs_mode="array",
            disable_env_checker=True,
        )
        if previous_action:
            env = PreviousAction(env)
        return CurriculumWrapper(env, curriculum, index)

    return DummyVecEnv([lambda index=index: build(index) for index in range(n_envs)])


class CurriculumCallback(BaseCallback):
    """Feeds every finished episode's learning signals to the curriculum after each rollout.

    An episode may span several rollouts; its sums are carried over until it ends, so the
    score covers every transition of the episode (with the rollout's bootstrapped GAE at each
    boundary). Episodes still running when training stops are never scored.
    """

    def __init__(self, curriculum: Curriculum) -> None:
        super().__init__(verbose=0)
        self.curriculum = curriculum
        self._keys: list[list[int]] = []
        self._dones: list[np.ndarray] = []
        #: Per env index: the running episode's task key, positive-advantage sum, value sum
        #: and transition count.
        self._open: dict[int, list[float]] = {}

    def _on_rollout_start(self) -> None:
        self._keys, self._dones = [], []

    def _on_step(self) -> bool:
        self._keys.append([int(info["task_key"]) for info in self.locals["infos"]])
        self._dones.append(np.array(self.locals["dones"], dtype=bool))
        return True

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        advantages = np.maximum(np.asarray(buffer.advantages), 0.0)
        values = np.asarray(buffer.values)
        keys, dones = np.asarray(self._keys), np.asarray(self._dones)
        if keys.shape != advantages.shape or dones.shape != advantages.shape:
            logger.warning(
                "rollout has %s task keys but %s advantages; skipping the scores",
                keys.shape,
                advantages.shape,
            )
            self._open.clear()
            return
        finished: list[EpisodeScore] = []
        for env_index in range(keys.shape[1]):
            for step in range(keys.shape[0]):
                key = int(keys[step, env_index])
                running = self._open.get(env_index)
                if running is None or running[0] != key:
                    running = self._open[env_index] = [key, 0.0, 0.0, 0]
                running[1] += float(advantages[step, env_index])
                running[2] += float(values[step, env_index])
                running[3] += 1
                if dones[step, env_index]:
                    _, advantage_sum, value_sum, steps = self._open.pop(env_index)
                    finished.append(
                        EpisodeScore(key, advantage_sum / steps, value_sum / steps, int(steps))
                    )
        if finished:
            self.curriculum.observe_scores(finished)
