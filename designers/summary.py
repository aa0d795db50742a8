"""Summaries of many tuning runs: verification gaps per template, designer and target.

Both ``benchmarks/tuning.py`` and ``betal report`` read finished runs (the ``result.json`` of
each run directory) and group them here, so a sweep's table and a report's table are the
same numbers. A run that found no valid parameters counts with the largest gap it could have
had at its target, ``max(target, 1 - target)``, so that failing never looks better than
missing.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from scipy import stats

#: The paper's best designer's mean verification gap, where it reported one.
PAPER_BEST: dict[str, float] = {
    "BeTaL/SpatialGrid-v0": 0.0498,
    "BeTaL/ArithmeticSequence-v0": 0.0828,
    "BeTaL/Airline-v0": 0.077,
}


def mean_interval(values: Iterable[float]) -> tuple[float, float]:
    """The mean and the half-width of its 95 % t-interval (0 for fewer than two values)."""
    values = list(values)
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, 0.0
    t = stats.t.ppf(0.975, len(values) - 1)
    return mean, float(t * statistics.stdev(values) / math.sqrt(len(values)))


def run_gap(result: Mapping[str, Any]) -> float:
    """A run's verification gap; the worst possible one when it verified nothing."""
    if result.get("eval_gap") is not None:
        return float(result["eval_gap"])
    target = float(result["target"])
    return max(target, 1.0 - target)


def by_target(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (template, designer, target): gaps over seeds, episodes, invalid share."""
    groups: dict[tuple[str, str, float], list[Mapping[str, Any]]] = defaultdict(list)
    for result in results:
        groups[(result["env"], result["designer"], float(result["target"]))].append(result)
    rows = []
    for (env, designer, target), runs in sorted(groups.items()):
        gaps = [run_gap(r) for r in runs]
        mean, half = mean_interval(gaps)
        proposals = sum(r["trials"] for r in runs)
        rows.append(
            {
                "template": env,
                "designer": designer,
                "target": target,
                "runs": len(runs),
                "mean_gap": mean,
                "ci_half": half,
                "max_gap": max(gaps),
                "mean_eval_rate": statistics.fmean(r["eval_rate"] or 0.0 for r in runs),
                "episodes": statistics.fmean(r["episodes_used"] for r in runs),
                "tokens": statistics.fmean(r.get("tokens", 0) for r in runs),
                "invalid": sum(r["invalid_proposals"] for r in runs),
                "proposals": proposals,
            }
        )
    return rows


#: The template column of the rows that pool every template of a sweep.
ALL_TEMPLATES = "all templates"


def by_designer(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (template, designer) over all targets, with the ratio to ``random``.

    When the runs cover more than one template, one more row per designer pools all its runs
    (template :data:`ALL_TEMPLATES`): the figure a user who tunes every template would see.
    """
    gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
    for result in results:
        gaps[(result["env"], result["designer"])].append(run_gap(result))
    if len({env for env, _ in gaps}) > 1:
        for (_, designer), values in list(gaps.items()):
            gaps[(ALL_TEMPLATES, designer)].extend(values)
    rows = []
    for (env, designer), values in sorted(gaps.items(), key=_all_last):
        mean, half = mean_interval(values)
        baseline = gaps.get((env, "random"))
        rows.append(
            {
                "template": env,
                "designer": designer,
                "runs": len(values),
                "mean_gap": mean,
                "ci_half": half,
                "vs_random": mean / statistics.fmean(baseline) if baseline else None,
                "paper_best": PAPER_BEST.get(env),
            }
        )
    return rows


def _all_last(item: tuple[tuple[str, str], list[float]]) -> tuple[bool, str, str]:
    (env, designer), _ = item
    return env == ALL_TEMPLATES, env, designer


def designer_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines of :func:`by_designer` rows."""
    lines = [
        "| template | designer | runs | mean gap | 95 % CI | vs random | paper's best designer |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "-" if r["vs_random"] is None else f"{r['vs_random']:.2f}x"
        paper = "-" if r["paper_best"] is None else f"{100 * r['paper_best']:.2f} %"
        lines.append(
            f"| {r['template']} | {r['designer']} | {r['runs']} | {100 * r['mean_gap']:.2f} % "
            f"| ± {100 * r['ci_half']:.2f} | {ratio} | {paper} |"
        )
    return lines


def target_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines of :func:`by_target` rows."""
    lines = [
        "| template | designer | target | runs | mean gap | 95 % CI | worst | mean verified rate "
        "| episodes per run | tokens per run | invalid / proposals |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['template']} | {r['designer']} | {r['target']:.2f} | {r['runs']} "
            f"| {100 * r['mean_gap']:.2f} % | ± {100 * r['ci_half']:.2f} | "
            f"{100 * r['max_gap']:.1f} % | {r['mean_eval_rate']:.3f} | {r['episodes']:.0f} "
            f"| {r['tokens']:.0f} | {r['invalid']} / {r['proposals']} |"
        )
    return lines
