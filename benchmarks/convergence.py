"""How fast does a designer converge as the space grows? 1, 2, 4 and all parameters free.

For each template the parameters are taken in the order of :data:`ORDER` (the most telling
first); the first ``k`` are free and the rest stay at their defaults. For every ``k``, target
and seed the script runs ``betal tune`` and records the best search gap after each iteration
(the smallest ``|rate - target|`` among the trials so far) and the final verification gap.
It writes a table and a plot of mean best gap against iteration, one line per ``k``.

With few parameters free a target may lie outside what they can reach at the defaults of
the others; the table shows the mean verified rate so that such a floor is visible.

Usage::

    .venv/bin/python benchmarks/convergence.py [--templates ...] [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.backends import make_backend  # noqa: E402
from betal_envs.registration import template_class  # noqa: E402
from designers.summary import mean_interval, run_gap  # noqa: E402
from designers.sweep import run_or_load  # noqa: E402
from designers.tuning import TuningConfig  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"

#: Per template, the parameters freed first (the rest of the space follows in its order).
ORDER: dict[str, list[str]] = {
    "BeTaL/SpatialGrid-v0": ["n_operations", "n_distractors", "n_particles", "question_kinds"],
    "BeTaL/ArithmeticSequence-v0": ["families", "ahead", "coef_max", "start_max"],
    "BeTaL/Maze-v0": ["min_goal_distance", "wall_density", "size", "step_limit"],
    "BeTaL/Airline-v0": [],
}
SIZES = ("1", "2", "4", "all")


def free_parameters(template: str, size: str) -> list[str] | None:
    """The names free at ``size`` (``None``: all of them)."""
    if size == "all":
        return None
    names = template_class(template).space.names
    ordered = [n for n in ORDER.get(template, []) if n in names]
    ordered += [n for n in names if n not in ordered]
    return ordered[: int(size)]


def best_gap_curve(run_dir: Path, target: float) -> list[float]:
    """The smallest search gap after each iteration (invalid trials keep the previous one)."""
    best, curve = max(target, 1 - target), []
    for line in (run_dir / "trials.jsonl").read_text().splitlines():
        trial = json.loads(line)
        if trial["status"] == "ok":
            best = min(best, trial["gap"])
        curve.append(best)
    return curve


def _plot(path: Path, template: str, curves: dict[str, list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.6), dpi=110)
    for size, curve in curves.items():
        axes.plot(range(1, len(curve) + 1), [100 * g for g in curve], marker="o", label=size)
    axes.set_xlabel("iteration")
    axes.set_ylabel("best search gap so far (%)")
    axes.set_title(f"{template}: convergence by parameters free", fontsize=9)
    axes.legend(title="free", fontsize=7)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--templates", default=",".join(t for t in ORDER if t in _registered()))
    parser.add_argument("--designer", default="bayes")
    parser.add_argument("--targets", default="0.25,0.5,0.75,0.9")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--runs", default=str(ROOT / "runs" / "convergence"))
    parser.add_argument("--out", default=str(RESULTS / "convergence"))
    args = parser.parse_args(argv)

    jobs = []
    for template in args.templates.split(","):
        for size in SIZES:
            for target in map(float, args.targets.split(",")):
                for seed in range(args.seeds):
                    config = TuningConfig(
                        template, target=target, designer=args.designer, seed=seed,
                        free=free_parameters(template, size),
                    )  # fmt: skip
                    where = (Path(args.runs) / template.split("/")[-1] / f"free-{size}"
                             / f"target{target:g}" / f"seed{seed}")  # fmt: skip
                    jobs.append((template, size, target, config, where))
    backend = make_backend("local", workers=args.workers)
    results: list[dict] = [{} for _ in jobs]
    finished = backend.map_unordered(run_or_load, [(j[3], j[4]) for j in jobs])
    for done, (number, result) in enumerate(finished, 1):
        results[number] = result
        template, size, target, _, _ = jobs[number]
        print(
            f"[{done}/{len(jobs)}] {template} {size} free, target {target:g}: gap "
            f"{run_gap(result):.3f}",
            file=sys.stderr,
        )

    curves: dict[tuple[str, str], list[list[float]]] = defaultdict(list)
    finals: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for (template, size, target, _, where), result in zip(jobs, results, strict=True):
        curves[(template, size)].append(best_gap_curve(where, target))
        finals[(template, size)].append(result)

    command = shlex.join(["python", "benchmarks/convergence.py", *sys.argv[1:]])
    lines = [
        "# Convergence against the size of the space",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on CPython "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, with "
        f"`{command}`. Designer `{args.designer}`, "
        f"targets {args.targets}, {args.seeds} seeds, 10 iterations of 50 episodes and "
        "verification on 500; the parameters not free stay at their defaults. Best search "
        "gap: the smallest |rate - target| among the trials so far, averaged over runs.",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = []
    for template in dict.fromkeys(j[0] for j in jobs):
        lines += [
            "",
            f"## {template}",
            "",
            "| free | parameters | best gap after 1 / 3 / 5 / 10 | verification gap (95 % CI) "
            "| mean verified rate |",
            "|---|---|---|---|---|",
        ]
        mean_curves = {}
        for size in SIZES:
            runs = curves[(template, size)]
            curve = [statistics.fmean(run[i] for run in runs) for i in range(len(runs[0]))]
            mean_curves[size] = curve
            gap, half = mean_interval(run_gap(r) for r in finals[(template, size)])
            rate = statistics.fmean(r["eval_rate"] or 0.0 for r in finals[(template, size)])
            names = free_parameters(template, size)
            shown = "all" if names is None else ", ".join(names)
            points = " / ".join(
                f"{100 * curve[i - 1]:.1f}" for i in (1, 3, 5, 10) if i <= len(curve)
            )
            lines.append(
                f"| {size} | {shown} | {points} % | {100 * gap:.2f} % ± "
                f"{100 * half:.2f} | {rate:.3f} |"
            )
            record.append({"template": template, "free": size, "parameters": names,
                           "best_gap_curve": curve, "eval_gap": gap, "eval_gap_ci": half})  # fmt: skip
        plot = out.parent / f"convergence-{template.split('/')[-1]}.png"
        _plot(plot, template, mean_curves)
        lines += ["", f"![{template}]({plot.name})"]
    text = "\n".join(lines) + "\n"
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    print(text)
    return 0


def _registered() -> list[str]:
    from betal_envs.registration import TEMPLATES

    return list(TEMPLATES)


if __name__ == "__main__":
    sys.exit(main())
