"""The run directory: the durable record of one tuning run.

Layout::

    DIR/config.json    what was asked (template, target, designer, student, budget, seed)
    DIR/trials.jsonl   one JSON line per finished trial, appended and fsynced as it finishes
    DIR/result.json    the verified outcome, written last
    DIR/rate.png       rate per iteration with its interval against the target
    DIR/.lock          held by the one process writing the directory

A run killed at any point loses at most the trial in progress. On resume, a last line cut
short by a kill is detected, dropped with a warning and the file truncated to its last
complete line, so the next append starts clean.
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
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path / LOCK, "w")
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
        try:
            return json.loads((self.path / CONFIG).read_text())
        except FileNotFoundError:
            raise RunDirError(
                f"{self.path} holds no {CONFIG}; it is not a run directory. "
                "Pass the --out directory of an earlier 'betal tune'."
            ) from None

    def write_config(self, config: dict[str, Any]) -> None:
        write_json_atomic(self.path / CONFIG, config)

    def write_result(self, result: dict[str, Any]) -> None:
        write_json_atomic(self.path / RESULT, result)

    def read_result(self) -> dict[str, Any] | None:
        path = self.path / RESULT
        return json.loads(path.read_text()) if path.exists() else None

    # -- trials ---------------------------------------------------------------------------

    def read_trials(self) -> list[Trial]:
        """The finished trials, dropping (and cutting off) a last line left half-written."""
        path = self.path / TRIALS
        if not path.exists():
            return []
        data = path.read_bytes()
        trials: list[Trial] = []
        keep = 0
        for line in data.splitlines(keepends=True):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no line end")
                trials.append(Trial.from_dict(json.loads(line)))
            except ValueError:
                logger.warning(
                    "dropping an incomplete last line of %s (%d bytes; a run was killed "
                    "while writing it); that trial will be run again",
                    path,
                    len(data) - keep,
                )
                break
            keep += len(line)
        if keep < len(data):
            with open(path, "r+b") as handle:
                handle.truncate(keep)
        return trials

    def append_trial(self, trial: Trial) -> None:
        """Append one finished trial and force it to disk before returning."""
        with open(self.path / TRIALS, "a") as handle:
            handle.write(json.dumps(trial.to_dict(), sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
