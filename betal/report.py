"""``betal report RUN_DIR...``: a Markdown report with plots from finished tuning runs.

Each argument is a run directory (one holding ``result.json``) or a folder searched for them,
so one run and a whole benchmark sweep are reported the same way. The report holds:

* every run: target, verified rate with its interval, gap, episodes, tokens, invalid
  proposals, and a plot of rate per iteration against the target;
* the verification gap per template, designer and target with 95 % intervals over runs,
  as tables and as one plot per template;
* what was spent (episodes, tokens) and the share of invalid proposals per designer.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from betal_envs.errors import BetalError
from designers.base import Trial
from designers.plot import plot_run
from designers.rundir import RESULT, TRIALS, load_trials
from designers.summary import by_designer, by_target, designer_table, target_table


@dataclass
class Run:
    """A finished run as read from its directory."""

    path: Path
    result: dict[str, Any]
    trials: list[Trial]


def find_runs(paths: list[str]) -> list[Run]:
    """Every run directory at or below ``paths``, in a stable order.

    Raises:
        BetalError: when a path does not exist or holds no finished run.
    """
    runs = []
    for name in paths:
        path = Path(name)
        if not path.exists():
            raise BetalError(f"{path} does not exist; give run directories or folders of them.")
        found = [path] if (path / RESULT).exists() else sorted(p.parent for p in path.rglob(RESULT))
        if not found:
            raise BetalError(
                f"{path} holds no finished run (no {RESULT}); finish or resume it with "
                f"'betal tune --resume DIR' first."
            )
        runs.extend(_read(directory) for directory in found)
    return runs


def _read(directory: Path) -> Run:
    result = json.loads((directory / RESULT).read_text())
    # A last line cut short by a kill is left out; resuming the run repairs the file.
    trials, _ = load_trials(directory / TRIALS)
    return Run(directory, result, trials)


def _run_name(run: Run, root: Path) -> str:
    try:
        return str(run.path.resolve().relative_to(root)) or run.path.name
    except ValueError:
        return str(run.path)


def _runs_table(runs: list[Run], names: list[str], plots: list[str | None]) -> list[str]:
    lines = [
        "| run | template | designer | student | target | verified rate (95 % CI) | gap "
        "| episodes | tokens | invalid / proposals | plot |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run, name, plot in zip(runs, names, plots, strict=True):
        r = run.result
        if r.get("eval_rate") is None:
            verified = "none (no valid trial)"
        else:
            low, high = r["eval_ci"]
            verified = f"{r['eval_rate']:.3f} ({low:.3f}-{high:.3f})"
        gap = "-" if r.get("eval_gap") is None else f"{100 * r['eval_gap']:.1f} %"
        lines.append(
            f"| {name} | {r['env']} | {r['designer']} | {r['student']} | {r['target']:.2f} "
            f"| {verified} | {gap} | {r['episodes_used']} | {r.get('tokens', 0)} "
            f"| {r['invalid_proposals']} / {r['trials']} | {f'[rate]({plot})' if plot else '-'} |"
        )
    return lines


def _plot_gaps(path: Path, template: str, rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    designers = sorted({r["designer"] for r in rows})
    width = 0.8 / max(1, len(designers))
    targets = sorted({r["target"] for r in rows})
    for number, designer in enumerate(designers):
        mine = {r["target"]: r for r in rows if r["designer"] == designer}
        x = [targets.index(t) + (number - (len(designers) - 1) / 2) * width for t in mine]
        gaps = [100 * r["mean_gap"] for r in mine.values()]
        errors = [100 * r["ci_half"] for r in mine.values()]
        axes.bar(x, gaps, width, yerr=errors, capsize=3, label=designer)
    axes.set_xticks(range(len(targets)), [f"{t:.2f}" for t in targets])
    axes.set_xlabel("target success rate")
    axes.set_ylabel("verification gap (%)")
    axes.set_title(f"{template}: mean verification gap (95 % CI over runs)", fontsize=9)
    axes.legend(fontsize=7)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_report(runs: list[Run], out: Path, run_plots: bool = True) -> Path:
    """Write ``out/report.md`` and its plots; return the report's path.

    With ``run_plots=False`` the plot of rate per iteration of each run is left out; the
    tables and the gap plots per template are written all the same.
    """
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    root = Path.cwd().resolve()
    names = [_run_name(run, root) for run in runs]
    rate_plots: list[str | None] = [None] * len(runs)
    if run_plots:
        for number, run in enumerate(runs):
            plot = plots / f"run{number:03d}-rate.png"
            plot_run(plot, run.trials, run.result)
            rate_plots[number] = str(plot.relative_to(out))

    results = [run.result for run in runs]
    target_rows = by_target(results)
    lines = [
        "# BeTaL tuning report",
        "",
        f"{len(runs)} run(s). Gap = |verified rate - target|, measured on fresh instances "
        "disjoint from the search; intervals are 95 % t-intervals over runs.",
        "",
        "## Verification gap per template and designer",
        "",
        *designer_table(by_designer(results)),
        "",
        "## Per target",
        "",
        *target_table(target_rows),
        "",
    ]
    per_template: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in target_rows:
        per_template[row["template"]].append(row)
    for template, rows in per_template.items():
        plot = plots / f"gap-{template.replace('/', '_')}.png"
        _plot_gaps(plot, template, rows)
        lines += [f"![verification gap, {template}]({plot.relative_to(out)})", ""]
    lines += ["## Invalid proposals and spend per designer", ""]
    lines += ["| designer | proposals | invalid | invalid share | designer errors | episodes "
              "| tokens | cost |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    spend: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        spend[result["designer"]].append(result)
    for designer, group in sorted(spend.items()):
        proposals = sum(r["trials"] for r in group)
        invalid = sum(r["invalid_proposals"] for r in group)
        share = invalid / proposals if proposals else 0.0
        lines.append(
            f"| {designer} | {proposals} | {invalid} | {100 * share:.1f} % "
            f"| {sum(r.get('designer_errors', 0) for r in group)} "
            f"| {sum(r['episodes_used'] for r in group)} | {sum(r.get('tokens', 0) for r in group)} "
            f"| ${sum(r.get('cost', 0.0) for r in group):.4f} |"
        )
    lines += ["", "## Runs", "", *_runs_table(runs, names, rate_plots), ""]
    report = out / "report.md"
    report.write_text("\n".join(lines))
    return report


def run_report(args: argparse.Namespace) -> int:
    """The ``betal report`` command."""
    runs = find_runs(args.runs)
    report = write_report(runs, Path(args.out), run_plots=args.run_plots)
    print(f"wrote {report} from {len(runs)} run(s)", file=sys.stderr)
    return 0
