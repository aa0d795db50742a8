"""Does a difficulty tuned for one student carry over to weaker and stronger students?

The paper claimed that parameters tuned for one target model keep their difficulty order for
other models. This script takes the parameters that ``bayes`` chose for each template's
default student in the tuning sweep (``benchmarks/tuning.py``, run directories under
``--runs``), plays them with a ladder of reference students from weaker to stronger, and
reports each student's mean rate per target and how often the ladder's order held (the
weaker student never above the stronger one).

Usage::

    .venv/bin/python benchmarks/transfer.py [--episodes 300] [--runs runs/benchmark]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents import evaluate, make_student  # noqa: E402
from betal_envs.registration import template_class  # noqa: E402
from designers.summary import mean_interval  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

#: Per template, student specs from the weakest to the strongest; ``None`` is the default
#: student the parameters were tuned for.
LADDERS: dict[str, list[str | None]] = {
    "BeTaL/SpatialGrid-v0": [
        "spatial-exact:slip=0.1",
        None,
        "spatial-exact:slip=0.02",
        "spatial-exact:slip=0.01",
    ],
    "BeTaL/ArithmeticSequence-v0": [
        "sequence-solver:max_degree=2,max_order=2,slip=0.06",
        None,
        "sequence-solver:max_degree=2,max_order=2,slip=0.015",
        "sequence-solver:max_degree=6,max_order=5,slip=0.015",
    ],
    "BeTaL/Maze-v0": ["maze-bfs:memory=5", None, "maze-bfs:memory=0,epsilon=0.02"],
    "BeTaL/Airline-v0": [
        "airline-scripted:skip_check=0.3,slip=0.15,capacity=2",
        None,
        "airline-scripted:skip_check=0.02,slip=0.02,capacity=6",
    ],
}


def chosen_parameters(runs: Path, template: str) -> list[dict]:
    """The verified results of ``bayes`` runs for ``template`` in a tuning sweep."""
    folder = runs / template.split("/")[-1] / "bayes"
    results = [json.loads(path.read_text()) for path in sorted(folder.glob("*/*/result.json"))]
    return [r for r in results if r.get("best_params") is not None]


def _ordered(rates: list[float]) -> bool:
    """Whether no student scored above a stronger one."""
    return all(weaker <= stronger for weaker, stronger in itertools.pairwise(rates))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=300, help="episodes per student and run")
    parser.add_argument("--runs", default=str(ROOT / "runs" / "benchmark"), help="sweep's runs")
    parser.add_argument("--out", default=str(RESULTS / "transfer"), help="table path, no suffix")
    args = parser.parse_args(argv)

    rows, records = [], []
    for template, ladder in LADDERS.items():
        results = chosen_parameters(Path(args.runs), template)
        if not results:
            print(f"{template}: no bayes runs under {args.runs}; skipped", file=sys.stderr)
            continue
        specs = [spec or template_class(template).default_student for spec in ladder]
        students = [make_student(spec, template) for spec in specs]
        rates: dict[float, list[list[float]]] = defaultdict(list)
        for result in results:
            seed = 10_000 + int(result["seed"])
            ladder_rates = [
                evaluate(student, template, result["best_params"], episodes=args.episodes,
                         seed=seed).rate
                for student in students
            ]  # fmt: skip
            rates[result["target"]].append(ladder_rates)
            records.append({"template": template, "target": result["target"],
                            "seed": result["seed"], "students": specs, "rates": ladder_rates})  # fmt: skip
            print(f"{template} target {result['target']:.2f} seed {result['seed']}: "
                  + " ".join(f"{r:.2f}" for r in ladder_rates), file=sys.stderr)  # fmt: skip
        for target, per_run in sorted(rates.items()):
            kept = sum(_ordered(run) for run in per_run)
            cells = []
            for position in range(len(specs)):
                mean, half = mean_interval(run[position] for run in per_run)
                cells.append(f"{mean:.3f} ± {half:.3f}")
            rows.append((template, target, len(per_run), specs, cells, kept))

    lines = [
        "# Transfer of tuned difficulty across students",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on CPython "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, with `python benchmarks/transfer.py "
        f"--episodes {args.episodes}`. Parameters: those `bayes` chose for each template's "
        f"default student (marked *) in the tuning sweep; {args.episodes} fresh episodes per "
        "student and run; mean rate over seeds with 95 % t-intervals. *Order kept*: runs in "
        "which no student scored above a stronger one.",
        "",
    ]
    for template in dict.fromkeys(row[0] for row in rows):
        mine = [row for row in rows if row[0] == template]
        specs = mine[0][3]
        default = template_class(template).default_student
        names = [f"{s} *" if s == default else s for s in specs]
        lines += [
            f"## {template}",
            "",
            "| target | runs | " + " | ".join(names) + " | order kept |",
        ]
        lines.append("|---" * (len(specs) + 3) + "|")
        for _, target, runs, _, cells, kept in mine:
            lines.append(f"| {target:.2f} | {runs} | " + " | ".join(cells) + f" | {kept}/{runs} |")
        lines.append("")
    kept = sum(_ordered(r["rates"]) for r in records)
    lines.append(f"Order kept in {kept} of {len(records)} runs over all templates and targets.")
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps(records, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
