"""Where episodes and runs execute: in this process (``local``) or on a Ray cluster (``ray``).

A backend does two jobs for the rest of the suite:

* :meth:`Backend.play` plays a list of episode indices of one template at one parameter set
  and returns how each ended. :func:`agents.evaluation.evaluate` hands its episodes to a
  backend and assembles the :class:`~agents.evaluation.Evaluation` from the outcomes in index
  order, so the evaluation does not depend on where, or in which order, the episodes ran.
* :meth:`Backend.map_unordered` runs independent jobs (the runs of a sweep) and yields each
  result as soon as it is ready.

An episode is a function of its instance ``(seed, index)``, the parameters and the student;
reference students draw their randomness from a generator seeded per episode. So the same
seed gives the same trials and results on every backend.

``local`` plays episodes in this process and runs jobs in ``workers`` processes on this
machine, which share its disk. ``ray`` (:mod:`agents.ray_backend`) sends both to Ray tasks,
whose workers may sit on other machines: its jobs must not write this machine's files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from agents.evaluation import EpisodeResult, play_episodes
from agents.student import Episode, Student
from betal_envs.errors import BetalError, ConfigError, unknown_name

logger = logging.getLogger(__name__)

R = TypeVar("R")

#: How one episode ended, with the student's record of it (tokens, cost, requests).
Outcome = tuple[EpisodeResult, Episode]

#: The backends :func:`make_backend` knows.
BACKENDS = ("local", "ray")

#: The command that installs the ``ray`` backend's dependency.
RAY_INSTALL = "pip install 'betal-envs[ray]'"


class MissingDependency(BetalError, ImportError):
    """An optional dependency is not installed; the message names the command that installs it."""


class Backend(Protocol):
    """Where episodes and jobs run.

    Attributes:
        name: ``"local"`` or ``"ray"``, as given to ``--backend``.
        shares_disk: whether jobs run where this process's files are, so that they may write
            run directories themselves.
    """

    name: str
    shares_disk: bool

    def play(
        self,
        student: Student,
        env_id: str,
        params: Mapping[str, Any],
        seed: int,
        indices: list[int],
        on_episode: Callable[[EpisodeResult], None] | None = None,
    ) -> tuple[list[Outcome], str | None]:
        """Play instances ``(seed, i)`` for ``i`` in ``indices`` with every parameter given.

        Returns:
            The outcomes in index order, and why play stopped early (a spent budget of
            :func:`agents.budget.spending`), or ``None`` when every index was played.
        """
        ...

    def map_unordered(
        self, fn: Callable[..., R], jobs: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, R]]:
        """Call ``fn(*job)`` for every job; yield ``(position of the job, result)`` as each ends.

        ``fn`` must be a module-level function, so that other processes can import it.
        """
        ...


@dataclass
class LocalBackend:
    """Episodes in this process; jobs one after another here, or in ``workers`` processes.

    Args:
        workers: processes for :meth:`map_unordered`; ``1`` runs the jobs in this process.
    """

    workers: int = 1

    name = "local"
    shares_disk = True

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ConfigError(f"workers must be a positive integer, got {self.workers!r}.")

    def play(
        self,
        student: Student,
        env_id: str,
        params: Mapping[str, Any],
        seed: int,
        indices: list[int],
        on_episode: Callable[[EpisodeResult], None] | None = None,
    ) -> tuple[list[Outcome], str | None]:
        return play_episodes(student, env_id, params, seed, indices, on_episode)

    def map_unordered(
        self, fn: Callable[..., R], jobs: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, R]]:
        if self.workers == 1:
            for position, job in enumerate(jobs):
                yield position, fn(*job)
            return
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            futures = {pool.submit(fn, *job): position for position, job in enumerate(jobs)}
            for future in as_completed(futures):
                yield futures[future], future.result()


def make_backend(
    name: str,
    address: str | None = None,
    *,
    workers: int = 1,
    num_cpus: int | None = None,
) -> Backend:
    """Build the backend ``--backend NAME [--address ADDR]`` asks for.

    Args:
        name: ``"local"`` or ``"ray"``.
        address: the Ray cluster to join (``"auto"``, or ``HEAD_IP:6379``); ``None`` joins
            the cluster in ``RAY_ADDRESS`` or one ``ray start`` began on this machine, else
            starts Ray here. Only for ``ray``.
        workers: processes of the local backend's :meth:`~LocalBackend.map_unordered`.
        num_cpus: start a new Ray instance here with this many CPUs (only for ``ray``).

    Raises:
        UnknownNameError: for another name.
        MissingDependency: for ``ray`` when Ray is not installed.
        ConfigError: for ``address`` or ``num_cpus`` given to the local backend.
    """
    if name == "local":
        if address is not None or num_cpus is not None:
            raise ConfigError(
                f"--address {address} is for the Ray backend; add --backend ray, or drop "
                "--address to run here."
                if address is not None
                else f"num_cpus={num_cpus} is for the Ray backend; use workers= locally."
            )
        return LocalBackend(workers=workers)
    if name == "ray":
        from agents.ray_backend import RayBackend

        return RayBackend(address=address, num_cpus=num_cpus)
    raise unknown_name("backend", name, BACKENDS)
