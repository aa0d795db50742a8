"""Evaluating a student on a template at given parameters.

``evaluate(student, env_id, params, episodes=N, seed=K)`` plays instances ``(K, 0) ..
(K, N-1)`` of the template through the Gymnasium API and returns an :class:`Evaluation`:
successes, rate with a Wilson interval, tokens, cost, wall time and the reasons of failed
episodes. Students that wait on servers (``Student.concurrency > 1``) play their episodes
concurrently on an asyncio loop, each on its own env; others play them one after another.
A backend (:mod:`agents.backends`) may play them elsewhere, e.g. in batches as Ray tasks.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import gymnasium as gym

import betal_envs  # noqa: F401  (registers the templates)
from agents.budget import BudgetExhausted, active_budget
from agents.student import Episode, Student, StudentFailure
from betal_envs.errors import ConfigError
from betal_envs.registration import resolve_id

if TYPE_CHECKING:
    from agents.backends import Backend

logger = logging.getLogger(__name__)


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a binomial rate (95 % by default); ``(0, 1)`` for no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class EpisodeResult:
    """How one episode ended."""

    index: int
    success: bool
    steps: int
    reward: float
    tokens: int = 0
    cost: float = 0.0
    failure: str | None = None


@dataclass
class Evaluation:
    """A student's record on ``episodes`` fresh instances at one parameter set."""

    env_id: str
    student: str
    params: dict[str, Any]
    seed: int
    episodes: int
    successes: int
    tokens: int = 0
    cost: float = 0.0
    requests: int = 0
    cached_requests: int = 0
    wall_s: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)
    #: Why the evaluation ended before all its episodes (a spent budget); ``None`` if it did not.
    stopped: str | None = None

    @property
    def rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0

    @property
    def ci(self) -> tuple[float, float]:
        return wilson_interval(self.successes, self.episodes)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["params"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()
        }
        record["rate"] = self.rate
        record["ci"] = list(self.ci)
        return record


def _make_env(env_id: str, params: Mapping[str, Any], obs_mode: str) -> gym.Env:
    return gym.make(env_id, params=dict(params), obs_mode=obs_mode, disable_env_checker=True)


def _failure_reason(error: BaseException) -> str:
    if isinstance(error, StudentFailure):
        return error.reason
    return f"{type(error).__name__}: {error}"


def _finish(
    index: int, episode: Episode, steps: int, reward: float, info: dict[str, Any]
) -> EpisodeResult:
    return EpisodeResult(
        index=index,
        success=bool(info.get("success", reward >= 1.0)),
        steps=steps,
        reward=reward,
        tokens=episode.tokens,
        cost=episode.cost,
    )


def play_episode(
    student: Student, env: gym.Env, env_id: str, seed: int, index: int
) -> tuple[EpisodeResult, Episode]:
    """Play instance ``(seed, index)`` synchronously; a student failure ends it as failed."""
    episode = Episode(env_id=env_id, seed=seed, index=index)
    observation, info = env.reset(seed=seed, options={"index": index})
    steps, total = 0, 0.0
    try:
        while True:
            action = student.act(observation, info, episode)
            observation, reward, terminated, truncated, info = env.step(action)
            steps += 1
            total += reward
            if terminated or truncated:
                return _finish(index, episode, steps, total, info), episode
    except StudentFailure as failure:
        logger.info("episode %s/%s failed: %s", seed, index, failure.reason)
        result = EpisodeResult(
            index, False, steps, total, episode.tokens, episode.cost, failure.reason
        )
        return result, episode


async def play_episode_async(
    student: Student, env: gym.Env, env_id: str, seed: int, index: int
) -> tuple[EpisodeResult, Episode]:
    """Asynchronous :func:`play_episode` for students that wait on servers."""
    episode = Episode(env_id=env_id, seed=seed, index=index)
    observation, info = env.reset(seed=seed, options={"index": index})
    steps, total = 0, 0.0
    try:
        while True:
            action = await student.act_async(observation, info, episode)
            observation, reward, terminated, truncated, info = env.step(action)
            steps += 1
            total += reward
            if terminated or truncated:
                return _finish(index, episode, steps, total, info), episode
    except StudentFailure as failure:
        logger.info("episode %s/%s failed: %s", seed, index, failure.reason)
        result = EpisodeResult(
            index, False, steps, total, episode.tokens, episode.cost, failure.reason
        )
        return result, episode


async def _play_all_async(
    student: Student,
    env_id: str,
    params: Mapping[str, Any],
    seed: int,
    indices: list[int],
    on_episode: Callable[[EpisodeResult], None] | None,
    stopped: list[str],
) -> list[tuple[EpisodeResult, Episode]]:
    width = max(1, min(int(student.concurrency), len(indices)))
    envs = [_make_env(env_id, params, student.obs_mode) for _ in range(width)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in indices:
        queue.put_nowait(index)
    results: list[tuple[EpisodeResult, Episode]] = []

    async def worker(env: gym.Env) -> None:
        try:
            while not queue.empty():
                _check_budget()
                index = queue.get_nowait()
                outcome = await play_episode_async(student, env, env_id, seed, index)
                results.append(outcome)
                if on_episode is not None:
                    on_episode(outcome[0])
        except BudgetExhausted as spent:
            stopped.append(spent.reason)

    try:
        await asyncio.gather(*(worker(env) for env in envs))
    finally:
        for env in envs:
            env.close()
    return sorted(results, key=lambda outcome: outcome[0].index)


def _check_budget() -> None:
    budget = active_budget()
    if budget is not None:
        budget.check()


def play_episodes(
    student: Student,
    env_id: str,
    params: Mapping[str, Any],
    seed: int,
    indices: list[int],
    on_episode: Callable[[EpisodeResult], None] | None = None,
) -> tuple[list[tuple[EpisodeResult, Episode]], str | None]:
    """Play instances ``(seed, i)`` for ``i`` in ``indices`` in this process.

    Students that wait on servers play concurrently on an asyncio loop, others one episode
    after another on one env. Inside :func:`agents.budget.spending`, no episode starts once
    the budget is spent.

    Returns:
        How each episode ended, with the student's record of it, in index order; and why
        play stopped early (a spent budget), or ``None`` when every index was played.
    """
    stopped: list[str] = []
    if student.concurrency > 1 or student.is_async:
        outcomes = asyncio.run(
            _play_all_async(student, env_id, params, seed, indices, on_episode, stopped)
        )
        return outcomes, stopped[0] if stopped else None
    outcomes = []
    env = _make_env(env_id, params, student.obs_mode)
    try:
        for index in indices:
            _check_budget()
            outcome = play_episode(student, env, env_id, seed, index)
            outcomes.append(outcome)
            if on_episode is not None:
                on_episode(outcome[0])
    except BudgetExhausted as spent:
        stopped.append(spent.reason)
    finally:
        env.close()
    return outcomes, stopped[0] if stopped else None


def evaluate(
    student: Student,
    env_id: str,
    params: Mapping[str, Any] | None = None,
    *,
    episodes: int = 50,
    seed: int = 0,
    on_episode: Callable[[EpisodeResult], None] | None = None,
    backend: Backend | None = None,
) -> Evaluation:
    """Play ``episodes`` instances of a template at ``params`` and summarise the student's record.

    Args:
        student: the student to evaluate.
        env_id: a registered template id.
        params: the parameters (validated; names left out take their defaults).
        episodes: number of instances, ``(seed, 0) .. (seed, episodes - 1)``.
        seed: the instance stream; disjoint seeds give disjoint instance sets.
        on_episode: called after each episode, e.g. to advance a progress bar.
        backend: where the episodes run (see :mod:`agents.backends`); ``None`` plays them in
            this process. Every backend gives the same evaluation for the same seed.

    Inside :func:`agents.budget.spending`, no episode starts once the budget is spent: the
    evaluation then covers the episodes finished so far and ``stopped`` says why.

    Raises:
        ParameterError: when ``params`` are invalid for the template.
        ConfigError: when ``episodes`` is not a positive integer.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ConfigError(f"episodes must be a positive integer, got {episodes!r}.")
    env_id = resolve_id(env_id)
    start = time.perf_counter()
    env = _make_env(env_id, params or {}, student.obs_mode)
    full_params = env.unwrapped.get_params()
    env.close()
    indices = list(range(episodes))
    play = play_episodes if backend is None else backend.play
    outcomes, stopped = play(student, env_id, full_params, seed, indices, on_episode)
    failures = Counter(result.failure for result, _ in outcomes if result.failure)
    return Evaluation(
        env_id=env_id,
        student=student.describe(),
        params=full_params,
        seed=seed,
        episodes=len(outcomes),
        successes=sum(result.success for result, _ in outcomes),
        tokens=sum(episode.tokens for _, episode in outcomes),
        cost=sum(episode.cost for _, episode in outcomes),
        requests=sum(episode.requests for _, episode in outcomes),
        cached_requests=sum(episode.cached_requests for _, episode in outcomes),
        wall_s=time.perf_counter() - start,
        failures=dict(failures),
        stopped=stopped,
    )
