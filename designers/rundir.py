"""The run directory: the durable record of one tuning run.

Layout::

    DIR/config.json    what was asked (template, target, designer, student, budget, seed)
    DIR/trials.jsonl   one JSON line per finished trial, appended and fsynced as it finishes
    DIR/result.json    the verified outcome, written last
    DIR/rate.png       rate per iteration with its interval against the target
    DIR/.lock          held by the one process writing the directory

A run killed at any point loses at most the trial in progress. On resume, a last line cut
short by a kill (it lacks its line end) is detected, dropped with a warning and the file
truncated to its last complete line, so the next append starts clean. A complete line that is
not a trial cannot come from a kill; it is reported as damage and nothing is cut.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path
from typing import IO, Any

from betal_envs.errors import BetalError
from designers.base import Trial

logger = logging.getLogger(__name__)

CONFIG = "config.json"
TRIALS = "trials.jsonl"
RESULT = "result.json"
PLOT = "rate.png"
LOCK = ".lock"


class RunDirError(BetalError):
    """The run directory cannot be used as asked (busy, missing, or of another run)."""


def write_json_atomic(path: Path, value: Any) -> None:
    """Write JSON to ``path`` through a temporary file so readers never see half a file."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)


class RunDir:
    """Exclusive access to one run directory; use as a context manager.

    Args:
        path: the directory (created if missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock: IO[str] | None = None

    def __enter__(self) -> RunDir:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.path / LOCK, "w")
        except OSError as error:
            raise RunDirError(
                f"cannot use {self.path} as a run directory ({error.strerror or error}); "
                "choose a directory you can write, e.g. --out runs/mine."
            ) from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise RunDirError(
                f"run directory {self.path} is in use by another process; wait for it to "
                "finish or choose another --out directory."
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    # -- config and result ----------------------------------------------------------------

    def has_config(self) -> bool:
        return (self.path / CONFIG).exists()

    def read_config(self) -> dict[str, Any]:
        """What the run was asked to do; needs no lock.

        Raises:
            RunDirError: when there is no config, or it is not a JSON object.
        """
        try:
            config = json.loads((self.path / CONFIG).read_text())
        except FileNotFoundError:
            raise RunDirError(
                f"{self.path} holds no {CONFIG}; it is not a run directory. "
                "Pass the --out directory of an earlier 'betal tune'."
            ) from None
        except (OSError, ValueError) as error:
            raise RunDirError(
                f"{self.path / CONFIG} cannot be read ({error}); it was edited or damaged. "
                "Restore it, or start the run afresh in another --out directory."
            ) from None
        if not isinstance(config, dict):
            raise RunDirError(
                f"{self.path / CONFIG} holds a JSON {type(config).__name__}, not an object; "
                "restore it, or start the run afresh in another --out directory."
            )
        return config

    def write_config(self, config: dict[str, Any]) -> None:
        write_json_atomic(self.path / CONFIG, config)

    def write_result(self, result: dict[str, Any]) -> None:
        write_json_atomic(self.path / RESULT, result)

    def read_result(self) -> dict[str, Any] | None:
        path = self.path / RESULT
        return json.loads(path.read_text()) if path.exists() else None

    # -- trials ---------------------------------------------------------------------------

    def read_trials(self) -> list[Trial]:
        """The finished trials, dropping (and cutting off) a last line left half-written.

        Raises:
            RunDirError: when a complete line is not a trial of this run (see
                :func:`load_trials`); nothing is cut then.
        """
        path = self.path / TRIALS
        trials, cut = load_trials(path)
        if cut:
            logger.warning(
                "dropping an incomplete last line of %s (%d bytes; a run was killed while "
                "writing it); that trial will be run again",
                path,
                cut,
            )
            with open(path, "r+b") as handle:
                handle.truncate(path.stat().st_size - cut)
        return trials

    def append_trial(self, trial: Trial) -> None:
        """Append one finished trial and force it to disk before returning."""
        with open(self.path / TRIALS, "a") as handle:
            handle.write(json.dumps(trial.to_dict(), sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def load_trials(path: Path) -> tuple[list[Trial], int]:
    """The trials recorded in a ``trials.jsonl``, without changing the file.

    Returns:
        The trials of the complete lines, in order, and the length in bytes of a last line
        left without its line end by a kill (0 when there is none); that line is not read.

    Raises:
        RunDirError: when a complete line is not a trial, or trials are out of order (an
            edited or damaged file).
    """
    if not path.exists():
        return [], 0
    lines = path.read_bytes().splitlines(keepends=True)
    cut = len(lines.pop()) if lines and not lines[-1].endswith(b"\n") else 0
    trials: list[Trial] = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise TypeError(f"a JSON {type(record).__name__}, not an object")
            trial = Trial.from_dict(record)
        except (ValueError, TypeError) as error:
            raise RunDirError(
                f"line {number} of {path} is not a trial ({error}); the file was edited or "
                "damaged. Repair or delete that line, then resume again."
            ) from None
        if trial.iteration != len(trials):
            raise RunDirError(
                f"line {number} of {path} holds trial {trial.iteration}, expected "
                f"{len(trials)}; the file was edited or two runs wrote to it. Start the run "
                "afresh in another --out directory."
            )
        trials.append(trial)
    return trials, cut
