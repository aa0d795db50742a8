"""The student protocol: who is evaluated on a template's instances.

A student plays episodes through the Gymnasium API only: it reads the observation and the
``info`` dict and returns an action. Whatever it must remember within one episode (a chat
history, a plan) lives in the :class:`Episode` handed to every call, so one student object
can play many episodes at once.

Students that call a server override :meth:`Student.act_async` and set ``concurrency``
above one; the evaluator then keeps that many episodes in flight. A call that fails for good
raises :class:`StudentFailure`, and the episode is recorded as failed with that reason.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from betal_envs.errors import BetalError


class StudentFailure(BetalError):
    """The student could not produce an action (timeout, server error); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Episode:
    """One episode as the student sees it: where it comes from, its memory and its costs."""

    env_id: str
    seed: int
    index: int
    memory: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    requests: int = 0
    cached_requests: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Student(ABC):
    """Base class of every student.

    Class attributes:
        name: the registry name used in specs such as ``spatial-exact:slip=0.1``.
        obs_mode: the observation mode the student reads, ``"text"`` or ``"array"``.
        templates: ids of templates the student can play; empty means any text template.
    """

    name: ClassVar[str] = ""
    obs_mode: ClassVar[str] = "text"
    templates: ClassVar[tuple[str, ...]] = ()

    #: Episodes the evaluator may keep in flight at once.
    concurrency: int = 1

    @abstractmethod
    def act(self, observation: Any, info: dict[str, Any], episode: Episode) -> Any:
        """Return the action for this observation."""

    async def act_async(self, observation: Any, info: dict[str, Any], episode: Episode) -> Any:
        """Asynchronous form of :meth:`act`; students that wait on servers override it."""
        return self.act(observation, info, episode)

    @property
    def is_async(self) -> bool:
        return type(self).act_async is not Student.act_async

    def describe(self) -> str:
        """The student's spec with the settings that differ from their defaults, for logs and
        run records (subclasses may name every setting)."""
        if not dataclasses.is_dataclass(self):
            return self.name
        changed = [
            f"{f.name}={getattr(self, f.name)}"
            for f in dataclasses.fields(self)
            if f.default is not dataclasses.MISSING and getattr(self, f.name) != f.default
        ]
        return f"{self.name}:{','.join(changed)}" if changed else self.name
