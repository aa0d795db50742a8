"""How much faster a sweep runs on Ray with two workers than serially on the local backend.

The same small sweep (templates x designers x targets x seeds, built as ``benchmarks/tuning.py``
builds its runs) runs twice from this script, each time into fresh run directories:

1. serially in this process, on the local backend with one worker;
2. on Ray with ``--workers`` CPUs: a Ray instance started by this script, or the cluster at
   ``--address``, where each run is a Ray task and this script writes the run directories.

It checks that both give the same result run for run (everything but wall time), prints a
table of wall times and the speed-up, and writes it to ``benchmarks/results/ray_speedup.md``
and ``.json``. Ray's start-up is timed apart from the sweep; the workers' first imports are
part of the sweep's time, as they are of any real sweep. The load average before the
measurement is recorded: other work on the machine distorts both times.

Usage::

    .venv/bin/python benchmarks/ray_speedup.py                   # the measured sweep
    .venv/bin/python benchmarks/ray_speedup.py --designers random --targets 0.5 --seeds 2 \\
        --out /tmp/ray_speedup                                   # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.backends import Backend, LocalBackend  # noqa: E402
from agents.ray_backend import RayBackend  # noqa: E402
from benchmarks.tuning import Sweep  # noqa: E402
from designers.sweep import run_sweep  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Settings:
    """Settings of the measurement; each becomes a ``--flag``."""

    templates: str = "BeTaL/SpatialGrid-v0"
    #: Designer specs separated by spaces; the slow ones first, so short runs fill the tail.
    designers: str = "bayes random random-replay"
    targets: str = "0.25,0.5,0.75,0.9"
    seeds: int = 2
    iterations: int = 10
    episodes: int = 50
    eval_episodes: int = 500
    #: CPUs of the Ray instance started here (ignored with ``--address``).
    workers: int = 2
    #: The Ray cluster to join; empty: start Ray on this machine with ``--workers`` CPUs.
    address: str = ""
    out: str = str(RESULTS / "ray_speedup")


def machine() -> str:
    return f"CPython {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"


def timed_sweep(sweep: Sweep, backend: Backend) -> tuple[float, dict[tuple, dict[str, Any]]]:
    """Run the sweep into fresh directories; return its wall time and results by run."""
    with tempfile.TemporaryDirectory(prefix="betal-speedup-") as runs:
        sweep.runs = runs
        jobs = [(config, sweep.run_dir(config)) for config in sweep.configs()]
        started = time.perf_counter()
        results = list(run_sweep(jobs, backend))
        wall_s = time.perf_counter() - started
    by_run = {(r["env"], r["designer"], r["target"], r["seed"]): r for r in results}
    return wall_s, by_run


def same_results(a: dict[tuple, dict[str, Any]], b: dict[tuple, dict[str, Any]]) -> bool:
    """Whether two sweeps agree run for run on everything but wall time."""

    def strip(result: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in result.items() if k != "wall_s"}

    return a.keys() == b.keys() and all(strip(a[key]) == strip(b[key]) for key in a)


def markdown(record: dict[str, Any]) -> str:
    rows = record["rows"]
    lines = [
        "# A tuning sweep on Ray against the serial local backend",
        "",
        f"Measured {record['date']} on {record['machine']}, load average "
        f"{record['load_before']:.2f} before the measurement. Sweep: {record['runs']} runs "
        f"({record['sweep']}), each {record['settings']['iterations']} iterations of "
        f"{record['settings']['episodes']} episodes and verification on "
        f"{record['settings']['eval_episodes']}; each template's default reference student. "
        "Both sweeps run from one script into fresh run directories; Ray's start-up is timed "
        "apart, the workers' first imports count in the sweep. Results identical run for run: "
        f"{'yes' if record['same_results'] else 'NO'}. "
        f"Command: `{record['command']}`.",
        "",
        "| backend | workers | sweep wall time (s) | start-up (s) | speed-up |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['backend']} | {row['workers']} | {row['wall_s']:.1f} | "
            f"{row['startup_s']:.1f} | {row['speedup']:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for f in fields(Settings):
        parser.add_argument(
            f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default
        )
    settings = Settings(**vars(parser.parse_args(argv)))
    sweep = Sweep(
        templates=settings.templates,
        designers=settings.designers,
        targets=settings.targets,
        seeds=settings.seeds,
        iterations=settings.iterations,
        episodes=settings.episodes,
        eval_episodes=settings.eval_episodes,
    )
    load_before = os.getloadavg()[0]

    serial_s, serial = timed_sweep(sweep, LocalBackend(workers=1))
    print(f"local, serial: {serial_s:.1f} s for {len(serial)} runs", file=sys.stderr)

    started = time.perf_counter()
    ray = RayBackend(
        address=settings.address or None,
        num_cpus=None if settings.address else settings.workers,
    )
    workers = ray.cpus()
    startup_s = time.perf_counter() - started
    ray_s, on_ray = timed_sweep(sweep, ray)
    print(f"ray, {workers} workers: {ray_s:.1f} s (start-up {startup_s:.1f} s)", file=sys.stderr)

    record = {
        "date": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "machine": machine(),
        "load_before": load_before,
        "command": shlex.join(["python", "benchmarks/ray_speedup.py", *sys.argv[1:]]),
        "settings": asdict(settings),
        "sweep": f"{settings.templates}; designers {settings.designers}; targets "
        f"{settings.targets}; seeds 0..{settings.seeds - 1}",
        "runs": len(serial),
        "same_results": same_results(serial, on_ray),
        "rows": [
            {"backend": "local (serial)", "workers": 1, "wall_s": serial_s, "startup_s": 0.0},
            {"backend": "ray", "workers": workers, "wall_s": ray_s, "startup_s": startup_s},
        ],
    }
    for row in record["rows"]:
        row["speedup"] = serial_s / row["wall_s"]
    text = markdown(record)
    out = Path(settings.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(text)
    return 0 if record["same_results"] else 1


if __name__ == "__main__":
    sys.exit(main())
