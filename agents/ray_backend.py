"""The ``ray`` backend: a trial's episodes in batches, and a sweep's runs, as Ray tasks.

The driver (the process running ``betal tune``, ``betal eval`` or a sweep) connects to Ray,
puts the student in Ray's object store once per evaluation and splits the episode indices into
batches, two per CPU of the cluster unless ``batch_size`` says otherwise. Each batch is a task:
it builds its own env, plays its indices with :func:`agents.evaluation.play_episodes` and
returns how they ended. The driver calls ``on_episode`` as batches come back and returns the
outcomes in index order.

Ray reruns a task whose worker process dies (killed, out of memory, its node lost) up to
``max_retries`` times. An episode depends only on its instance, the parameters and the student,
so a rerun batch returns what the first attempt would have. A Python error raised inside a task
is not retried, since it would be raised again; it reaches the driver as itself.

A spending budget (:func:`agents.budget.spending`) lives on the driver: it is checked before
each wave of one batch per CPU, and what a batch spent is charged to it when the batch returns.
No batch starts once the budget is spent, but batches already running finish, so a run can
overshoot by up to one wave.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from agents.backends import RAY_INSTALL, MissingDependency, Outcome
from agents.budget import Budget, active_budget
from agents.evaluation import EpisodeResult, play_episodes
from agents.student import Episode, Student
from betal_envs.errors import BetalError, ConfigError

logger = logging.getLogger(__name__)

R = TypeVar("R")

#: Remote versions of module-level functions, made once per function and retry count.
_TASKS: dict[tuple[Callable[..., Any], int], Any] = {}


class RayConnectionError(BetalError, ConnectionError):
    """The driver could not join the Ray cluster it was given."""


def import_ray() -> ModuleType:
    """Import Ray, or say in one line how to install it.

    Raises:
        MissingDependency: when Ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise MissingDependency(f"ray is not installed; {RAY_INSTALL}") from None
    return ray


def play_batch(
    student: Student, env_id: str, params: Mapping[str, Any], seed: int, indices: list[int]
) -> list[Outcome]:
    """Play one batch of episodes on a Ray worker and return how each ended."""
    outcomes, _ = play_episodes(student, env_id, params, seed, indices)
    for _, episode in outcomes:
        # A chat history or a map of the maze is the student's business; only costs go back.
        episode.memory = {}
    return outcomes


@dataclass
class RayBackend:
    """Episodes in batches, and jobs, as Ray tasks.

    Args:
        address: the cluster to join: ``"auto"`` or ``HEAD_IP:6379``; ``None`` joins the one
            in ``RAY_ADDRESS`` or one ``ray start`` began on this machine, else starts Ray on
            this machine.
        num_cpus: start a new Ray instance here with this many CPUs, even if a cluster runs
            on this machine (``None``: join or start as ``address`` says).
        batch_size: episodes per task; ``None`` makes two batches per CPU of the cluster.
        max_retries: reruns of a task whose worker process dies; ``-1`` retries forever.

    Raises:
        MissingDependency: when Ray is not installed.
        ConfigError: for a bad setting.
    """

    address: str | None = None
    num_cpus: int | None = None
    batch_size: int | None = None
    max_retries: int = 3
    _ray: ModuleType = field(init=False, repr=False, compare=False)

    name = "ray"
    shares_disk = False

    def __post_init__(self) -> None:
        self._ray = import_ray()
        if self.address is not None and self.num_cpus is not None:
            raise ConfigError(
                f"num_cpus={self.num_cpus} applies to a Ray instance started here, not to the "
                f"cluster at {self.address}; give one of them."
            )
        for name in ("num_cpus", "batch_size"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 1):
                raise ConfigError(f"{name} must be a positive integer or None, got {value!r}.")
        if isinstance(self.max_retries, bool) or self.max_retries < -1:
            raise ConfigError(
                f"max_retries must be -1 (forever) or a count of 0 or more, got "
                f"{self.max_retries!r}."
            )

    def connect(self) -> ModuleType:
        """Join (or start) Ray if this process has not yet; return the ``ray`` module."""
        ray = self._ray
        if ray.is_initialized():
            return ray
        address = self.address
        if address is None and self.num_cpus is not None:
            address = "local"  # a new instance, whatever RAY_ADDRESS or 'ray start' say
        try:
            ray.init(
                address=address,
                num_cpus=self.num_cpus,
                include_dashboard=False,
                logging_level=logging.WARNING,
            )
        except ConnectionError as error:
            raise RayConnectionError(
                f"could not join the Ray cluster at {self.address!r} ({error}); start one with "
                "'ray start --head' and pass the address it prints, or leave --address out "
                "to start Ray on this machine. A cluster with token authentication also needs "
                "RAY_AUTH_MODE=token and RAY_AUTH_TOKEN (from 'ray get-auth-token' on its head) "
                "set here."
            ) from None
        logger.info("Ray is up with %s CPUs", ray.cluster_resources().get("CPU", 0))
        return ray

    def cpus(self) -> int:
        """CPUs of the cluster, at least one."""
        return max(1, int(self.connect().cluster_resources().get("CPU", 1)))

    def play(
        self,
        student: Student,
        env_id: str,
        params: Mapping[str, Any],
        seed: int,
        indices: list[int],
        on_episode: Callable[[EpisodeResult], None] | None = None,
    ) -> tuple[list[Outcome], str | None]:
        ray = self.connect()
        task = _task(ray, play_batch, self.max_retries)
        student_ref = _put_student(ray, student)
        size = self.batch_size or math.ceil(len(indices) / (2 * self.cpus()))
        batches = [indices[i : i + size] for i in range(0, len(indices), max(1, size))]
        budget = active_budget()
        wave = len(batches) if budget is None else self.cpus()
        outcomes: list[Outcome] = []
        for start in range(0, len(batches), max(1, wave)):
            stopped = budget.exhausted() if budget is not None else None
            if stopped:
                return sorted(outcomes, key=lambda outcome: outcome[0].index), stopped
            refs = {
                task.remote(student_ref, env_id, dict(params), seed, batch): batch[0]
                for batch in batches[start : start + wave]
            }
            for _, played in _gather(ray, refs):
                for result, episode in played:
                    _charge(budget, episode)
                    outcomes.append((result, episode))
                    if on_episode is not None:
                        on_episode(result)
        return sorted(outcomes, key=lambda outcome: outcome[0].index), None

    def map_unordered(
        self, fn: Callable[..., R], jobs: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, R]]:
        ray = self.connect()
        task = _task(ray, fn, self.max_retries)
        yield from _gather(ray, {task.remote(*job): position for position, job in enumerate(jobs)})


def _task(ray: ModuleType, fn: Callable[..., Any], max_retries: int) -> Any:
    key = (fn, max_retries)
    if key not in _TASKS:
        _TASKS[key] = ray.remote(max_retries=max_retries, retry_exceptions=False)(fn)
    return _TASKS[key]


def _put_student(ray: ModuleType, student: Student) -> Any:
    try:
        return ray.put(student)
    except TypeError as error:
        raise ConfigError(
            f"student {student.describe()!r} cannot be sent to Ray workers "
            f"({str(error).splitlines()[0]}); run it with --backend local."
        ) from None


def _gather(ray: ModuleType, refs: dict[Any, Any]) -> Iterator[tuple[Any, Any]]:
    """Yield ``(key, value)`` for each task as it finishes; cancel the rest if abandoned."""
    pending = dict(refs)
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                key = pending.pop(ref)
                try:
                    value = ray.get(ref)
                except ray.exceptions.RayTaskError as error:
                    if isinstance(error.cause, BetalError):
                        raise error.cause from None
                    raise
                yield key, value
    finally:
        for ref in pending:
            ray.cancel(ref)


def _charge(budget: Budget | None, episode: Episode) -> None:
    # Remote students spend outside the driver's budget; their spending is counted here.
    if budget is not None:
        budget.tokens += episode.tokens
        budget.cost += episode.cost
        budget.requests += episode.requests - episode.cached_requests
