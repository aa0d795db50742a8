"""Many tuning runs at once, each into its own run directory, on a backend.

:func:`run_sweep` takes ``(config, run directory)`` pairs and yields each run's result as it
finishes. A directory that already holds a result is read, not run again; one that holds
finished trials is continued from them, as ``betal tune --resume`` would.

Who writes the run directories depends on the backend (:mod:`agents.backends`). Where the
workers share this machine's disk (``local``), each run writes its own directory as it goes, a
trial at a time. Where they may not (``ray``), only this process, the driver, writes: it reads
what each directory holds, sends the config and the finished trials to a task that continues
the run in a scratch directory on its worker, and writes the trials, plot and result that come
back. The directories are the same either way, so resuming and ``betal report`` work
unchanged. Under ``ray``, an interrupted sweep keeps every finished run, and a run that was in
flight starts again from the trials its directory held.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agents.backends import Backend
from designers.base import Trial
from designers.rundir import PLOT, RESULT, RunDir, RunDirError
from designers.tuning import TuningConfig, tune


def run_or_load(config: TuningConfig, where: str | Path) -> dict[str, Any]:
    """The result of the run in ``where``: read when it finished before, else run (on) now."""
    done = Path(where) / RESULT
    if done.exists():
        return {**json.loads(done.read_text()), "skipped": True}
    return tune(config, where).to_dict()


def continue_run(config: dict[str, Any], trials: list[dict[str, Any]]) -> dict[str, Any]:
    """Continue a run from its finished trials in a scratch directory, and return what it added.

    This is the task a worker runs; it writes nothing outside a temporary directory.

    Args:
        config: the run's ``config.json``.
        trials: the records of the trials already finished, in order.

    Returns:
        ``{"trials": [records of the new trials], "result": the result record, "plot": the
        bytes of rate.png, or None if it could not be drawn}``.
    """
    with tempfile.TemporaryDirectory(prefix="betal-run-") as scratch:
        with RunDir(scratch) as run:
            run.write_config(config)
            for record in trials:
                run.append_trial(Trial.from_dict(record))
        result = tune(None, scratch, resume=True)
        added = RunDir(scratch).read_trials()[len(trials) :]
        plot = Path(scratch, PLOT)
        return {
            "trials": [trial.to_dict() for trial in added],
            "result": result.to_dict(),
            "plot": plot.read_bytes() if plot.exists() else None,
        }


def run_sweep(
    jobs: Sequence[tuple[TuningConfig, str | Path]], backend: Backend
) -> Iterator[dict[str, Any]]:
    """Run every ``(config, run directory)`` job on ``backend``; yield results as runs end.

    A result read from a finished directory carries ``"skipped": True``.

    Raises:
        RunDirError: when a directory is busy or holds a different run.
    """
    if backend.shares_disk:
        runs = [(config, Path(where)) for config, where in jobs]
        for _, result in backend.map_unordered(run_or_load, runs):
            yield result
        return
    with contextlib.ExitStack() as held:
        open_runs: list[RunDir] = []
        tasks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for config, where in jobs:
            run = held.enter_context(RunDir(where))
            finished = run.read_result()
            if finished is not None:
                yield {**finished, "skipped": True}
                continue
            history = _prepare(run, config)
            open_runs.append(run)
            tasks.append((asdict(config), [trial.to_dict() for trial in history]))
        for position, added in backend.map_unordered(continue_run, tasks):
            yield _record(open_runs[position], added)


def _prepare(run: RunDir, config: TuningConfig) -> list[Trial]:
    """Check that ``run`` holds this run or none, record its config, return its trials."""
    if run.has_config() and not TuningConfig(**run.read_config()).same_run(config):
        raise RunDirError(
            f"{run.path} already holds a different run; move it away or choose another "
            "folder for the sweep's runs."
        )
    run.write_config(asdict(config))
    return run.read_trials()


def _record(run: RunDir, added: dict[str, Any]) -> dict[str, Any]:
    """Write what a worker's run added; the result goes last, as a local run writes it."""
    for record in added["trials"]:
        run.append_trial(Trial.from_dict(record))
    if added["plot"] is not None:
        (run.path / PLOT).write_bytes(added["plot"])
    run.write_result(added["result"])
    return added["result"]
