"""The picture of a run: success rate per iteration, with intervals, against the target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from designers.base import Trial


def plot_run(path: Path, history: list[Trial], result: dict[str, Any]) -> None:
    """Draw rate per iteration (95 % intervals), invalid proposals, target and verification."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = result["target"]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    evaluated = [t for t in history if t.ok]
    if evaluated:
        x = [t.iteration + 1 for t in evaluated]
        y = [t.rate for t in evaluated]
        # Clipped at zero: at rates of 0 or 1 rounding can put a bound a hair inside the rate.
        low = [max(0.0, t.rate - t.ci[0]) for t in evaluated]
        high = [max(0.0, t.ci[1] - t.rate) for t in evaluated]
        axes.errorbar(x, y, yerr=[low, high], fmt="o-", capsize=3, label="search trial (95% CI)")
    rejected = [t.iteration + 1 for t in history if not t.ok]
    if rejected:
        axes.scatter(
            rejected,
            [0.0] * len(rejected),
            marker="x",
            color="crimson",
            label="invalid or failed proposal",
            zorder=3,
        )
    axes.axhline(target, color="black", linestyle="--", label=f"target {target:.2f}")
    if result.get("eval_rate") is not None:
        verify_x = len(history) + 1.5
        low, high = result["eval_ci"]
        rate = result["eval_rate"]
        axes.errorbar(
            [verify_x],
            [rate],
            yerr=[[max(0.0, rate - low)], [max(0.0, high - rate)]],
            fmt="s",
            color="darkgreen",
            capsize=4,
            label=f"verification {rate:.3f} (gap {result['eval_gap']:.3f})",
        )
    axes.set_xlabel("iteration")
    axes.set_ylabel("success rate")
    axes.set_ylim(-0.05, 1.05)
    axes.set_title(f"{result['env']} - {result['designer']} for {result['student']}", fontsize=9)
    axes.legend(fontsize=7, loc="best")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
