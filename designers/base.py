"""The designer protocol: who chooses a template's parameters to hit a target success rate.

A designer is the teacher (or adversary) of Unsupervised Environment Design seen from the
evaluation side. The tuning loop asks it for a :class:`Proposal`, validates the proposal
against the template's parameter space, evaluates the student there and hands the finished
:class:`Trial` back through :meth:`Designer.observe`. At the end :meth:`Designer.recommend`
names the parameters to verify.

Designers must be deterministic functions of their seed and the trials they have seen, so a
resumed run (which replays the recorded trials through ``observe``) proposes exactly what
an uninterrupted run would have.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from betal_envs.params import ParameterSpace, to_jsonable
from betal_envs.specs import Registry


@dataclass(frozen=True)
class DesignTask:
    """What a designer is asked to do.

    Attributes:
        env_id: the template's id.
        summary: the template's description in words, for LLM prompts.
        space: the parameters the designer may set.
        target: the success rate wanted, in (0, 1).
        student: the student's spec, for prompts and records.
        iterations: the proposal budget of the run.
        seed: the seed every random choice of the designer derives from.
    """

    env_id: str
    summary: str
    space: ParameterSpace
    target: float
    student: str = ""
    iterations: int = 10
    seed: int = 0


@dataclass
class Proposal:
    """What a designer proposes: raw parameter values (validated by the loop) and why.

    ``params`` is ``None`` when the designer produced nothing usable at all (an unreadable
    LLM reply, a server error); ``error`` then says what happened.
    """

    params: dict[str, Any] | None
    rationale: str = ""
    error: str | None = None
    tokens: int = 0
    cost: float = 0.0
    raw: str | None = None


@dataclass
class Trial:
    """One iteration of the loop: a proposal and, if it was valid, the student's record.

    Attributes:
        iteration: 0-based position in the run.
        status: ``"ok"`` (evaluated), ``"invalid"`` (rejected by validation),
            ``"designer_error"`` (nothing usable was proposed) or ``"stopped"`` (a budget ran
            out while the student played; what was spent is kept, the partial rate is not).
        proposed: the raw values the designer proposed.
        params: the complete validated parameters (``None`` unless ``status == "ok"``).
        successes, episodes, rate, ci: the student's record at ``params``.
        gap: ``abs(rate - target)``.
        error: why the proposal was rejected or failed.
        designer_tokens, student_tokens, cost: what the iteration spent.
        failures: reasons of failed episodes with their counts.
    """

    iteration: int
    status: str
    proposed: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    rationale: str = ""
    error: str | None = None
    successes: int = 0
    episodes: int = 0
    rate: float | None = None
    ci: tuple[float, float] | None = None
    gap: float | None = None
    designer_tokens: int = 0
    student_tokens: int = 0
    cost: float = 0.0
    wall_s: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        for key in ("proposed", "params"):
            if record[key] is not None:
                record[key] = to_jsonable(record[key])
        if record["ci"] is not None:
            record["ci"] = list(record["ci"])
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Trial:
        record = dict(record)
        if record.get("ci") is not None:
            record["ci"] = tuple(record["ci"])
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in record.items() if k in known})


class Designer(ABC):
    """Base class of every designer; subclasses are dataclasses whose fields are settings."""

    name: ClassVar[str] = ""
    #: Whether the designer calls an LLM (listed by ``betal designers``).
    uses_llm: ClassVar[bool] = False
    #: Most proposals the designer makes in a run (``None``: as many as the loop asks for).
    proposal_limit: ClassVar[int | None] = None

    def start(self, task: DesignTask) -> None:
        """Begin a run; called once before the first proposal (and again on resume)."""
        self.task = task

    @abstractmethod
    def propose(self, history: list[Trial]) -> Proposal:
        """Propose the next parameters given every finished trial, in order."""

    def observe(self, trial: Trial) -> None:  # noqa: B027  (optional hook)
        """Take note of a finished trial (the default keeps nothing; ``history`` suffices)."""

    def recommend(self, history: list[Trial]) -> dict[str, Any] | None:
        """The parameters to verify: by default those of the evaluated trial nearest the target.

        Ties go to the trial with more episodes, then the earlier one.
        """
        evaluated = [t for t in history if t.ok]
        if not evaluated:
            return None
        best = min(evaluated, key=lambda t: (t.gap, -t.episodes, t.iteration))
        return dict(best.params or {})

    def describe(self) -> str:
        """The designer's spec: its name and every setting that differs from the default."""
        if not dataclasses.is_dataclass(self):
            return self.name
        changed = [
            f"{f.name}={getattr(self, f.name)}"
            for f in dataclasses.fields(self)
            if f.init
            and not f.name.startswith("_")
            and f.default is not dataclasses.MISSING
            and getattr(self, f.name) != f.default
        ]
        return f"{self.name}:{','.join(changed)}" if changed else self.name


DESIGNERS: Registry[Designer] = Registry("designer")
