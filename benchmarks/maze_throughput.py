"""Steps per second of BeTaL/Maze-v0 against Minigrid's comparable environments.

Both sides run in this one process with the same loop: random turn/forward actions from a
seeded generator, a reset whenever an episode ends, envs built with ``gym.make`` (checker
off). Pairs compared:

* ``MiniGrid-Empty-8x8-v0`` (6x6 open floor inside its border, 7x7 view) against Maze-v0 at
  ``size=6, wall_density=0, view_size=7``;
* ``MiniGrid-SimpleCrossingS9N2-v0`` (7x7 with two wall lines) against Maze-v0 at
  ``size=7, wall_density=0.25, view_size=7``.

Minigrid is the optional extra ``bench``; without it the Maze rows are still measured. The
table is printed and written to ``benchmarks/results/maze_throughput.md`` and ``.json``.
Usage: ``python benchmarks/maze_throughput.py [--steps N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import gymnasium as gym
import numpy as np

import betal_envs  # noqa: F401  (registers the templates)

RESULTS = Path(__file__).parent / "results"

PAIRS = (
    ("MiniGrid-Empty-8x8-v0", {"size": 6, "wall_density": 0.0, "view_size": 7}),
    ("MiniGrid-SimpleCrossingS9N2-v0", {"size": 7, "wall_density": 0.25, "view_size": 7}),
)


def steps_per_second(make: Callable[[], gym.Env], steps: int, seed: int = 0) -> float:
    """Random left/right/forward actions for ``steps`` steps, resetting at episode ends."""
    env = make()
    rng = np.random.default_rng(seed)
    actions = rng.integers(3, size=steps)
    env.reset(seed=seed)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(int(action))
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def main(argv: list[str] | None = None) -> list[tuple[str, float, float | None]]:
    parser = argparse.ArgumentParser(description="Maze-v0 against Minigrid, steps per second.")
    parser.add_argument("--steps", type=int, default=50_000, help="steps per environment")
    args = parser.parse_args(argv)
    try:
        import minigrid
    except ImportError:
        minigrid = None
        print("minigrid is not installed; install it with: pip install 'betal-envs[bench]'")
    rows: list[tuple[str, float, float | None]] = []
    lines = [
        "# Maze-v0 against Minigrid",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on CPython "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, one process, {args.steps} random "
        f"steps per env, with `python benchmarks/maze_throughput.py --steps {args.steps}`.",
        "",
        "| Minigrid env | Minigrid steps/s | Maze-v0 params | Maze-v0 steps/s | ratio |",
        "|---|---|---|---|---|",
    ]
    for minigrid_id, params in PAIRS:
        ours = steps_per_second(
            lambda p=params: gym.make(
                "BeTaL/Maze-v0", params=p, obs_mode="array", disable_env_checker=True
            ),
            args.steps,
        )
        theirs = None
        if minigrid is not None:
            theirs = steps_per_second(
                lambda i=minigrid_id: gym.make(i, disable_env_checker=True), args.steps
            )
        ratio = f"{ours / theirs:.1f}x" if theirs else "-"
        shown = f"{theirs:,.0f}" if theirs else "-"
        lines.append(f"| {minigrid_id} | {shown} | `{params}` | {ours:,.0f} | {ratio} |")
        rows.append((minigrid_id, ours, theirs))
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "maze_throughput.md").write_text(text)
    record = [{"minigrid": m, "maze_steps_per_s": o, "minigrid_steps_per_s": t} for m, o, t in rows]
    (RESULTS / "maze_throughput.json").write_text(json.dumps(record, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
