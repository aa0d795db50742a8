"""The paper's protocol with reference students: how close to the target does each designer get?

For every template, designer, target and seed it runs ``betal tune`` (10 iterations of 50
episodes, then verification of the chosen parameters on 500 fresh instances, by default) and
reports, per template, designer and target, the mean verification gap ``|rate - target|``
over seeds with a 95 % t-interval, the episodes used and the invalid proposals. A last table
averages over targets and compares every designer with ``random``.

Students are each template's default reference student unless ``--students`` names others
(``openai:model=NAME`` for an LLM, separated by spaces). When ``OPENAI_BASE_URL`` is set the
default designers also include the paper's LLM designers (``llm``, ``llm-oneshot``,
``best-of-n``), on the model ``$BETAL_LLM_MODEL`` names (the designer's default otherwise);
without it, LLM designers run only when named in ``--designers``.

Each run keeps its run directory under ``--runs``; a rerun skips runs that already hold a
``result.json``, so an interrupted sweep continues where it stopped.

``--backend ray [--address ADDR]`` runs every run as a Ray task on the cluster's CPUs instead
of in ``--workers`` local processes; only this script writes the run directories, which come
out the same (see :mod:`designers.sweep`).

Usage::

    .venv/bin/python benchmarks/tuning.py                        # the full protocol
    .venv/bin/python benchmarks/tuning.py --templates BeTaL/SpatialGrid-v0 --seeds 2 \\
        --targets 0.5 --designers "random bayes"                 # a quick subset
    .venv/bin/python benchmarks/tuning.py --backend ray --address auto   # on a Ray cluster
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.backends import make_backend  # noqa: E402
from betal_envs.errors import BetalError  # noqa: E402
from betal_envs.registration import TEMPLATES  # noqa: E402
from designers import DESIGNERS  # noqa: E402
from designers.summary import by_designer, by_target, designer_table, target_table  # noqa: E402
from designers.sweep import run_sweep  # noqa: E402
from designers.tuning import TuningConfig  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
#: Templates whose default student needs no server; the sweep covers those that are registered.
OFFLINE_TEMPLATES = (
    "BeTaL/SpatialGrid-v0",
    "BeTaL/ArithmeticSequence-v0",
    "BeTaL/Airline-v0",
    "BeTaL/Maze-v0",
)


NON_LLM_DESIGNERS = "random random-replay bayes"
LLM_DESIGNERS = ("llm", "llm-oneshot", "best-of-n")


def default_designers() -> str:
    """The non-LLM designers, and the LLM ones too when a server is configured."""
    if not os.environ.get("OPENAI_BASE_URL"):
        return NON_LLM_DESIGNERS
    model = os.environ.get("BETAL_LLM_MODEL")
    named = [f"{name}:model={model}" if model else name for name in LLM_DESIGNERS]
    return " ".join([NON_LLM_DESIGNERS, *named])


@dataclass
class Sweep:
    """Settings of the sweep; each becomes a ``--flag``."""

    templates: str = ",".join(t for t in OFFLINE_TEMPLATES if t in TEMPLATES)
    #: Designer specs separated by spaces (a spec's own settings are separated by commas).
    designers: str = field(default_factory=default_designers)
    #: Student specs separated by spaces; empty: each template's default reference student.
    students: str = ""
    targets: str = "0.25,0.5,0.75,0.9"
    seeds: int = 5
    iterations: int = 10
    episodes: int = 50
    eval_episodes: int = 500
    workers: int = max(1, min(2, os.cpu_count() or 1))
    #: ``local`` (runs in ``workers`` processes) or ``ray`` (runs as Ray tasks).
    backend: str = "local"
    #: The Ray cluster to join with ``--backend ray``; empty: start Ray on this machine.
    address: str = ""
    runs: str = str(ROOT / "runs" / "benchmark")
    out: str = str(RESULTS / "tuning")

    def configs(self) -> list[TuningConfig]:
        return [
            TuningConfig(
                template,
                target=float(target),
                designer=designer,
                student=student,
                iterations=self.iterations,
                episodes=self.episodes,
                eval_episodes=self.eval_episodes,
                seed=seed,
            )
            for template in _items(self.templates)
            for designer in self.designer_specs()
            for student in self.students.split() or [None]
            for target in _items(self.targets)
            for seed in range(self.seeds)
        ]

    def designer_specs(self) -> list[str]:
        """The designer specs, each checked before any run starts."""
        specs = self.designers.split()
        for spec in specs:
            DESIGNERS.build(spec)
        return specs

    def run_dir(self, config: TuningConfig) -> Path:
        name = config.env_id.split("/")[-1]
        designer = _slug(config.designer)
        if self.students:
            designer = f"{designer}/{_slug(config.student or 'default')}"
        return Path(self.runs) / name / designer / f"target{config.target:g}" / f"seed{config.seed}"


def _slug(spec: str) -> str:
    """A spec as a folder name."""
    return spec.replace(":", "_").replace(",", "_").replace("=", "-").replace("/", "-")


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def markdown(results: list[dict[str, Any]], sweep: Sweep, wall_s: float) -> str:
    lines = [
        "# Tuning to a target difficulty with reference students",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {_machine()}; "
        f"{sweep.iterations} iterations of {sweep.episodes} episodes, verification on "
        f"{sweep.eval_episodes} fresh instances, seeds 0..{sweep.seeds - 1}; {wall_s:.0f} s "
        f"of wall time for the runs made now. Students: {_students(sweep)}. "
        "Gap = |verified rate - target|; 95 % t-interval over runs. Command: "
        f"`{shlex.join(['python', 'benchmarks/tuning.py', *sys.argv[1:]])}`.",
        "",
        "## Mean verification gap over all targets",
        "",
        *designer_table(by_designer(results)),
        "",
        "## Per target",
        "",
        *target_table(by_target(results)),
    ]
    return "\n".join(lines) + "\n"


def _students(sweep: Sweep) -> str:
    if not sweep.students:
        return "each template's default reference student (no LLM)"
    return ", ".join(f"`{spec}`" for spec in sweep.students.split())


def _machine() -> str:
    return f"CPython {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for f in fields(Sweep):
        default = f.default_factory() if f.default is MISSING else f.default
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(default), default=default)
    sweep = Sweep(**vars(parser.parse_args(argv)))
    configs = sweep.configs()
    try:
        backend = make_backend(sweep.backend, sweep.address or None, workers=sweep.workers)
    except BetalError as error:
        print(f"{Path(__file__).name}: error: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    jobs = [(config, sweep.run_dir(config)) for config in configs]
    for number, result in enumerate(run_sweep(jobs, backend), 1):
        results.append(result)
        state = "kept" if result.get("skipped") else f"{result['wall_s']:.1f} s"
        print(
            f"[{number}/{len(configs)}] {result['env']} {result['designer']} "
            f"target {result['target']:.2f} seed {result['seed']}: gap "
            f"{result['eval_gap']:.3f} ({state})",
            file=sys.stderr,
        )
    wall_s = time.perf_counter() - started
    if sweep.students:
        # Rows are per template and student, so that each student is compared with random.
        results = [{**r, "env": f"{r['env']} · {r['student']}"} for r in results]
    text = markdown(results, sweep, wall_s)
    out = Path(sweep.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    record = {
        "sweep": asdict(sweep),
        "machine": _machine(),
        "by_designer": by_designer(results),
        "by_target": by_target(results),
        "runs": results,
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
