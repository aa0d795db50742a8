"""The BeTaL loop: propose, validate, evaluate, record, feed back; then verify.

``tune(config)`` runs ``iterations`` trials. Each asks the designer for parameters, validates
them against the template's space (an invalid proposal is recorded as such, counted and fed
back, never silently repaired), evaluates the student on ``episodes`` fresh instances, and
appends the trial to the run directory before the next begins. The designer then names the
parameters to keep, and they are verified on ``eval_episodes`` instances from a stream
disjoint from every search trial's.

Instance streams are derived from the run's seed: trial ``i`` plays stream
``search_stream(seed, i)``, verification plays ``verify_stream(seed)``. Together with
designers that depend only on their seed and history, the same seed gives the same trials
and result, and a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agents.backends import Backend
from agents.budget import Budget, BudgetExhausted, spending
from agents.evaluation import EpisodeResult, evaluate
from agents.registry import make_student
from betal_envs.errors import ConfigError, ParameterError
from betal_envs.params import ParameterSpace, to_jsonable
from betal_envs.registration import resolve_id, template_class
from betal_envs.template import instance_seed
from designers.base import DESIGNERS, Designer, DesignTask, Trial
from designers.rundir import PLOT, RunDir, RunDirError

logger = logging.getLogger(__name__)

_STREAM_MASK = 0x7FFFFFFF


def search_stream(seed: int, iteration: int) -> int:
    """The instance stream of search trial ``iteration``."""
    return instance_seed(seed, 1_000_000 + iteration) & _STREAM_MASK


def verify_stream(seed: int) -> int:
    """The instance stream of verification, disjoint from every search stream."""
    return instance_seed(seed, 2_000_000) & _STREAM_MASK


@dataclass
class TuningConfig:
    """Everything that defines a tuning run (saved as ``config.json``).

    Attributes:
        env_id: the template.
        target: the wanted success rate, strictly between 0 and 1.
        designer: designer spec, e.g. ``bayes`` or ``llm:model=gpt-5,timeout=60``.
        student: student spec; the template's default student when ``None``.
        iterations: proposals (trials) in the search.
        episodes: instances per search trial.
        eval_episodes: instances for verifying the chosen parameters.
        seed: the seed of every random choice in the run.
        free: names of the parameters the designer may set (all when ``None``); the others
            stay at ``fixed`` values or their defaults.
        fixed: values for the parameters held fixed.
        max_tokens, max_cost, max_wall_s: budgets of the whole run (``None``: no limit).
            When one is reached the trial in progress is dropped, the run stops and its
            result is written from the finished trials (verified only if the budget lasted).
    """

    env_id: str
    target: float
    designer: str = "bayes"
    student: str | None = None
    iterations: int = 10
    episodes: int = 50
    eval_episodes: int = 500
    seed: int = 0
    free: list[str] | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    max_tokens: int | None = None
    max_cost: float | None = None
    max_wall_s: float | None = None

    def __post_init__(self) -> None:
        self.env_id = resolve_id(self.env_id)
        if isinstance(self.target, bool) or not isinstance(self.target, (int, float)):
            raise ConfigError(f"target must be a number in (0, 1), got {self.target!r}.")
        if not 0.0 < float(self.target) < 1.0:
            raise ConfigError(
                f"target {self.target} is outside (0, 1); give a success rate such as 0.5."
            )
        self.target = float(self.target)
        for name in ("iterations", "episodes", "eval_episodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        if self.student is None:
            self.student = template_class(self.env_id).default_student
        Budget(self.max_tokens, self.max_cost, self.max_wall_s)  # validates the limits
        self.space()  # names every unknown free parameter and bad fixed value

    def budget(self, history: list[Trial]) -> Budget:
        """The run's budget, charged with what the finished trials spent."""
        return Budget(
            self.max_tokens,
            self.max_cost,
            self.max_wall_s,
            tokens=sum(t.designer_tokens + t.student_tokens for t in history),
            cost=sum(t.cost for t in history),
            spent_wall_s=sum(t.wall_s for t in history),
        )

    def same_run(self, other: TuningConfig) -> bool:
        """Whether two configs describe the same run (budgets may differ)."""
        budgets = {"max_tokens": None, "max_cost": None, "max_wall_s": None}
        return {**asdict(self), **budgets} == {**asdict(other), **budgets}

    def space(self) -> ParameterSpace:
        space = template_class(self.env_id).space
        if self.free is None:
            return space
        return space.restrict(self.free, self.fixed)


@dataclass
class TuningResult:
    """The outcome of a run, as saved in ``result.json`` and printed by ``--json``."""

    env: str
    target: float
    designer: str
    student: str
    seed: int
    best_params: dict[str, Any] | None
    best_iteration: int | None
    search_rate: float | None
    eval_rate: float | None
    eval_gap: float | None
    eval_ci: list[float] | None
    trials: int
    episodes_used: int
    invalid_proposals: int
    designer_errors: int
    tokens: int
    cost: float
    wall_s: float
    stopped: str = "completed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Progress:
    """Callbacks through which a caller (the CLI) follows a run; all optional."""

    on_trial_start: Callable[[int, dict[str, Any] | None], None] | None = None
    on_episode: Callable[[EpisodeResult], None] | None = None
    on_trial: Callable[[Trial], None] | None = None
    on_verify_start: Callable[[dict[str, Any]], None] | None = None


def _run_trial(
    iteration: int,
    designer: Designer,
    history: list[Trial],
    config: TuningConfig,
    space: ParameterSpace,
    student: Any,
    progress: Progress,
    backend: Backend | None,
) -> Trial:
    start = time.perf_counter()
    proposal = designer.propose(history)
    trial = Trial(
        iteration=iteration,
        status="designer_error",
        proposed=None if proposal.params is None else dict(proposal.params),
        rationale=proposal.rationale,
        error=proposal.error,
        designer_tokens=proposal.tokens,
        cost=proposal.cost,
    )
    if proposal.params is None:
        trial.error = trial.error or "the designer proposed nothing"
    else:
        try:
            params = space.complete(space.validate(proposal.params))
        except ParameterError as error:
            trial.status, trial.error = "invalid", "; ".join(error.problems)
        else:
            if progress.on_trial_start:
                progress.on_trial_start(iteration, params)
            record = evaluate(
                student,
                config.env_id,
                params,
                episodes=config.episodes,
                seed=search_stream(config.seed, iteration),
                on_episode=progress.on_episode,
                backend=backend,
            )
            if record.stopped:
                # Recorded with what it spent, so that a resumed run's budget counts it.
                trial.status, trial.error = "stopped", record.stopped
                trial.student_tokens, trial.cost = record.tokens, trial.cost + record.cost
                trial.wall_s = time.perf_counter() - start
                return trial
            trial.status, trial.params = "ok", to_jsonable(record.params)
            trial.successes, trial.episodes = record.successes, record.episodes
            trial.rate, trial.ci = record.rate, record.ci
            trial.gap = abs(record.rate - config.target)
            trial.student_tokens, trial.failures = record.tokens, record.failures
            trial.cost += record.cost
    trial.wall_s = time.perf_counter() - start
    if trial.status != "ok":
        logger.info("trial %d %s: %s", iteration, trial.status, trial.error)
    return trial


def tune(
    config: TuningConfig | None,
    out: str | Path | None = None,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    backend: Backend | None = None,
) -> TuningResult:
    """Run (or resume) a tuning run and return its verified result.

    Args:
        config: what to tune. On resume ``None`` takes the directory's ``config.json``; a
            config given must describe the same run, and its budgets replace the stored ones.
        out: the run directory; ``None`` keeps nothing on disk.
        resume: continue the run recorded in ``out`` without repeating finished trials.
        progress: callbacks for a live display.
        backend: where each trial's episodes run (:mod:`agents.backends`); ``None`` plays
            them in this process. The loop and the run directory stay in this process.

    Raises:
        RunDirError: when ``out`` is busy, or resuming a directory that holds no run.
        ParameterError, UnknownNameError, SpecError: for a bad config.
    """
    progress = progress or Progress()
    # Built before the run directory is touched, so a bad spec leaves nothing behind.
    parts = _Parts.build(config) if config is not None else None
    if out is None:
        if config is None or parts is None:
            raise RunDirError("resuming needs the run directory; pass --resume DIR.")
        return _tune(config, None, progress, parts, backend)
    with RunDir(out) as run:
        stored = TuningConfig(**run.read_config()) if resume or run.has_config() else None
        if config is None and stored is None:
            raise RunDirError(f"{run.path} holds no run to resume.")
        if config is not None and stored is not None and not stored.same_run(config):
            raise RunDirError(
                f"{run.path} already holds a different run; pass --resume {run.path} to "
                "continue it, or choose another --out directory."
            )
        config = config or stored
        parts = parts or _Parts.build(config)
        run.write_config(asdict(config))
        return _tune(config, run, progress, parts, backend)


@dataclass
class _Parts:
    """What a run is made of, built from its config: the space, the student, the designer."""

    space: ParameterSpace
    student: Any
    designer: Designer

    @classmethod
    def build(cls, config: TuningConfig) -> _Parts:
        return cls(
            space=config.space(),
            student=make_student(config.student, config.env_id),
            designer=DESIGNERS.build(config.designer),
        )


def _tune(
    config: TuningConfig,
    run: RunDir | None,
    progress: Progress,
    parts: _Parts,
    backend: Backend | None,
) -> TuningResult:
    started = time.perf_counter()
    space, student, designer = parts.space, parts.student, parts.designer
    template = template_class(config.env_id)
    designer.start(
        DesignTask(
            env_id=config.env_id,
            summary=template.summary,
            space=space,
            target=config.target,
            student=config.student or "",
            iterations=config.iterations,
            seed=config.seed,
        )
    )
    history = run.read_trials() if run else []
    for trial in history:
        designer.observe(trial)
    if history:
        logger.info("resuming after %d finished trials", len(history))

    limit = config.iterations
    if designer.proposal_limit is not None:
        limit = min(limit, designer.proposal_limit)
    previous_wall = sum(t.wall_s for t in history)
    budget = config.budget(history)
    stopped = None
    with spending(budget if budget.limited else None):
        try:
            for iteration in range(len(history), limit):
                budget.check()
                trial = _run_trial(
                    iteration, designer, history, config, space, student, progress, backend
                )
                if run:
                    run.append_trial(trial)
                history.append(trial)
                designer.observe(trial)
                if progress.on_trial:
                    progress.on_trial(trial)
                if trial.status == "stopped":
                    raise BudgetExhausted(trial.error or "budget reached")
        except BudgetExhausted as spent:
            stopped = spent.reason
            logger.warning("stopping the search after %d trials: %s", len(history), stopped)

        best = designer.recommend(history)
        verification = None
        if best is not None and stopped is None:
            if progress.on_verify_start:
                progress.on_verify_start(best)
            verification = evaluate(
                student,
                config.env_id,
                best,
                episodes=config.eval_episodes,
                seed=verify_stream(config.seed),
                on_episode=progress.on_episode,
                backend=backend,
            )
            if verification.stopped:
                stopped, verification = f"{verification.stopped} during verification", None
    result = _summarise(config, designer, student, history, best, verification)
    if stopped:
        result.stopped = stopped
    result.wall_s = previous_wall + (time.perf_counter() - started)
    if run:
        run.write_result(result.to_dict())
        _plot(run.path / PLOT, history, result)
    return result


def _summarise(
    config: TuningConfig,
    designer: Designer,
    student: Any,
    history: list[Trial],
    best: Mapping[str, Any] | None,
    verification: Any,
) -> TuningResult:
    best_json = to_jsonable(best) if best is not None else None
    chosen = next((t for t in history if t.ok and t.params == best_json), None)
    eval_rate = verification.rate if verification else None
    return TuningResult(
        env=config.env_id,
        target=config.target,
        designer=designer.describe(),
        student=student.describe(),
        seed=config.seed,
        best_params=best_json,
        best_iteration=chosen.iteration if chosen else None,
        search_rate=chosen.rate if chosen else None,
        eval_rate=eval_rate,
        eval_gap=abs(eval_rate - config.target) if eval_rate is not None else None,
        eval_ci=list(verification.ci) if verification else None,
        trials=len(history),
        episodes_used=sum(t.episodes for t in history)
        + (verification.episodes if verification else 0),
        invalid_proposals=sum(t.status == "invalid" for t in history),
        designer_errors=sum(t.status == "designer_error" for t in history),
        tokens=sum(t.designer_tokens + t.student_tokens for t in history)
        + (verification.tokens if verification else 0),
        cost=sum(t.cost for t in history) + (verification.cost if verification else 0.0),
        wall_s=0.0,
        stopped="completed" if best is not None else "no valid trial",
    )


def _plot(path: Path, history: list[Trial], result: TuningResult) -> None:
    from designers.plot import plot_run

    try:
        plot_run(path, history, result.to_dict())
    except Exception:  # a failed plot must not lose a finished run
        logger.exception("could not draw %s", path)
