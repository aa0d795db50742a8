"""Training a stable-baselines3 PPO student under a curriculum, and measuring it on fixed levels.

:func:`train` runs PPO on the maze's array observations (with the student's previous action
added, see :mod:`agents.rl.observation`) with the curriculum choosing every episode's task,
and evaluates the policy on held-out levels at regular intervals (the
learning curve). :func:`solve_levels` plays a policy on given levels, all at once in one
vector env, so that evaluation costs one batched forward pass per step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.vec_env import DummyVecEnv

from agents.rl.curricula import CURRICULA
from agents.rl.observation import PreviousAction, takes_previous_action
from agents.rl.tasks import Curriculum, CurriculumCallback, make_curriculum_env
from betal_envs.maze.env import MAZE_ID
from betal_envs.maze.level import Level

logger = logging.getLogger(__name__)


@dataclass
class PPOSettings:
    """PPO hyperparameters, small enough for a CPU (defaults in the spirit of Minigrid runs)."""

    n_envs: int = 8
    n_steps: int = 128
    batch_size: int = 256
    n_epochs: int = 4
    learning_rate: float = 5e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    net_arch: tuple[int, ...] = (64, 64)
    #: Show the policy its previous action (see :mod:`agents.rl.observation`).
    previous_action: bool = True


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        model: the trained PPO model.
        curriculum: the curriculum, with its records (tasks started, episodes, buffers).
        curve: ``(timesteps, successes, episodes)`` at each evaluation on the held-out levels.
        wall_s: training time in seconds, evaluations included.
    """

    model: PPO
    curriculum: Curriculum
    curve: list[tuple[int, int, int]] = field(default_factory=list)
    wall_s: float = 0.0


def solve_levels(
    model: PPO,
    levels: Sequence[Level],
    params: Mapping[str, Any] | None = None,
    episodes: int = 1,
    deterministic: bool = False,
) -> list[int]:
    """Play each level ``episodes`` times with the policy; return the successes per level.

    Args:
        model: a policy trained on ``BeTaL/Maze-v0`` array observations.
        levels: the levels to play.
        params: parameters for the players (``view_size``, ``step_limit``).
        episodes: attempts per level (they differ when actions are sampled).
        deterministic: take the most likely action instead of sampling one. A memoryless
            policy that always takes its most likely action can loop forever in a maze, so
            sampling is the default.
    """

    with_previous = takes_previous_action(model.observation_space)

    def build(level: Level) -> gym.Env:
        env = gym.make(MAZE_ID, params=dict(params or {}), obs_mode="array", level=level)
        return PreviousAction(env) if with_previous else env

    copies = [level for level in levels for _ in range(episodes)]
    vec = DummyVecEnv([lambda level=level: build(level) for level in copies])
    observations = vec.reset()
    finished = np.zeros(len(copies), dtype=bool)
    solved = np.zeros(len(copies), dtype=bool)
    while not finished.all():
        actions, _ = model.predict(observations, deterministic=deterministic)
        observations, _, dones, infos = vec.step(actions)
        for index in np.flatnonzero(dones & ~finished):
            finished[index] = True
            solved[index] = bool(infos[index].get("success"))
    vec.close()
    return [int(s) for s in solved.reshape(len(levels), episodes).sum(axis=1)]


class _LevelEvaluation(BaseCallback):
    """Evaluates the policy on held-out levels every ``every`` timesteps."""

    def __init__(
        self,
        result: TrainResult,
        levels: Sequence[Level],
        params: Mapping,
        every: int,
        episodes: int,
    ) -> None:
        super().__init__(verbose=0)
        self.result, self.levels, self.params = result, list(levels), dict(params)
        self.every, self.episodes = every, episodes
        self._next = 0

    def evaluate_now(self) -> None:
        """Add a point to the learning curve (once per timestep count)."""
        if self.result.curve and self.result.curve[-1][0] == self.num_timesteps:
            return
        solved = solve_levels(self.model, self.levels, self.params, self.episodes)
        total = len(self.levels) * self.episodes
        self.result.curve.append((self.num_timesteps, sum(solved), total))
        logger.info("eval at %d steps: %d/%d solved", self.num_timesteps, sum(solved), total)
        self._next = self.num_timesteps + self.every

    def _on_training_start(self) -> None:
        self.evaluate_now()

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self.evaluate_now()
        return True


def train(
    curriculum: str | Curriculum,
    total_steps: int,
    *,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    settings: PPOSettings | None = None,
    eval_levels: Sequence[Level] = (),
    eval_every: int = 0,
    eval_episodes: int = 1,
) -> TrainResult:
    """Train a PPO student on the maze for ``total_steps`` under ``curriculum``.

    Args:
        curriculum: a spec such as ``"plr:replay=0.5"`` or an unstarted curriculum.
        total_steps: environment steps of training (summed over the vector env).
        seed: seeds the curriculum, PPO and the environments.
        params: maze parameters held where the curriculum does not choose them.
        settings: PPO hyperparameters.
        eval_levels: held-out levels for the learning curve (none: no curve).
        eval_every: timesteps between evaluations (0: only at the start and the end).
        eval_episodes: attempts per held-out level at each evaluation.
    """
    settings = settings or PPOSettings()
    if isinstance(curriculum, str):
        curriculum = CURRICULA.build(curriculum)
    curriculum.start(MAZE_ID, dict(params or {}), seed)
    env = make_curriculum_env(curriculum, settings.n_envs, settings.previous_action)
    env.seed(seed)
    model = PPO(
        "MultiInputPolicy",
        env,
        n_steps=settings.n_steps,
        batch_size=settings.batch_size,
        n_epochs=settings.n_epochs,
        learning_rate=settings.learning_rate,
        gamma=settings.gamma,
        gae_lambda=settings.gae_lambda,
        ent_coef=settings.ent_coef,
        policy_kwargs={"net_arch": list(settings.net_arch)},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    result = TrainResult(model=model, curriculum=curriculum)
    callbacks: list[BaseCallback] = [CurriculumCallback(curriculum)]
    evaluation = None
    if eval_levels:
        every = eval_every or total_steps
        evaluation = _LevelEvaluation(
            result, eval_levels, curriculum.base_params, every, eval_episodes
        )
        callbacks.append(evaluation)
    start = time.perf_counter()
    model.learn(total_timesteps=total_steps, callback=CallbackList(callbacks))
    if evaluation is not None:
        evaluation.evaluate_now()
    result.wall_s = time.perf_counter() - start
    env.close()
    return result
