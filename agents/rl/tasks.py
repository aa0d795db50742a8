"""How a curriculum reaches an SB3 student: tasks, a wrapper that applies them, a callback.

A :class:`Curriculum` (the teacher) hands out a :class:`Task` (parameters, and for the maze
possibly a concrete level) each time an environment starts an episode, and hears back how the
episode went. Auto-resetting vector envs drop reset options, so :class:`CurriculumWrapper`
does not rely on them: at every reset it asks the curriculum for the next task and sets it on
the unwrapped template with ``set_params`` / ``set_level``, which persist.

The wrapper pulls tasks from the curriculum object itself, so the environments must live in
the training process (``DummyVecEnv``, which :func:`make_curriculum_env` builds); subprocess
vector envs would each hold a copy of the curriculum and never see its updates.

:class:`CurriculumCallback` reports finished episodes to the curriculum and, after each
rollout, a per-task *regret proxy*: the mean positive generalised advantage estimate over the
task's transitions (PLR's "positive value loss"), read from the PPO rollout buffer.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv

import betal_envs  # noqa: F401  (registers the templates)
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
    """A finished episode as the curriculum hears of it."""

    env_index: int
    task: Task
    success: bool
    episode_return: float


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

    def observe_scores(self, scores: dict[int, float]) -> None:  # noqa: B027  (optional hook)
        """Hear each task's regret proxy after a rollout (task key -> score)."""

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
        self._return = 0.0
        observation, info = self.env.reset(**kwargs)
        return observation, {**info, "task_key": self.task.key}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        info = {**info, "task_key": self.task.key}
        if terminated or truncated:
            info["episode_return"] = self._return
            self.curriculum.episode_done(
                EpisodeRecord(self.env_index, self.task, bool(info.get("success")), self._return)
            )
        return observation, reward, terminated, truncated, info


def make_curriculum_env(curriculum: Curriculum, n_envs: int = 4) -> DummyVecEnv:
    """A ``DummyVecEnv`` of ``n_envs`` array-mode templates wrapped for ``curriculum``."""

    def build(index: int) -> gym.Env:
        env = gym.make(
            curriculum.env_id,
            params=curriculum.base_params,
            obs_mode="array",
            disable_env_checker=True,
        )
        return CurriculumWrapper(env, curriculum, index)

    return DummyVecEnv([lambda index=index: build(index) for index in range(n_envs)])


class CurriculumCallback(BaseCallback):
    """Feeds a rollout's per-task regret proxy (mean positive GAE) to the curriculum."""

    def __init__(self, curriculum: Curriculum) -> None:
        super().__init__(verbose=0)
        self.curriculum = curriculum
        self._keys: list[list[int]] = []

    def _on_rollout_start(self) -> None:
        self._keys = []

    def _on_step(self) -> bool:
        self._keys.append([int(info["task_key"]) for info in self.locals["infos"]])
        return True

    def _on_rollout_end(self) -> None:
        advantages = np.asarray(self.model.rollout_buffer.advantages)
        keys = np.asarray(self._keys)
        if keys.shape != advantages.shape:
            logger.warning(
                "rollout has %s task keys but %s advantages; skipping the scores",
                keys.shape,
                advantages.shape,
            )
            return
        totals: dict[int, list[float]] = defaultdict(list)
        for key, advantage in zip(keys.ravel(), np.maximum(advantages, 0.0).ravel(), strict=True):
            totals[int(key)].append(float(advantage))
        self.curriculum.observe_scores({key: float(np.mean(v)) for key, v in totals.items()})
