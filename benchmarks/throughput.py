"""How fast the templates generate instances and run episodes, on one core.

For each template and parameter set in :data:`CASES` it measures:

* instances generated and verified per second: the template's instance hook, which builds an
  instance and its gold answer (for SpatialGrid, by simulating every operation);
* prompts rendered per second (question templates only), measured apart from generation;
* episodes and steps per second through ``gym.make`` in text and in array mode, each
  episode a ``reset`` followed by steps with one fixed action until it ends (in text mode
  a typical reply from :data:`TEXT_ACTIONS`).

The table is printed and written to ``benchmarks/results/throughput.md`` and ``.json``. To add
a template, add its id and named parameter sets to :data:`CASES`.

Usage::

    .venv/bin/python benchmarks/throughput.py [--seconds 1.0] [--only BeTaL/SpatialGrid-v0]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium as gym

import betal_envs  # noqa: F401  (registers the templates)
from betal_envs.errors import BetalError
from betal_envs.question import QuestionTemplate
from betal_envs.registration import resolve_id, template_class
from betal_envs.template import instance_seed

RESULTS = Path(__file__).parent / "results"

#: Template id -> {name of the parameter set -> parameters (others take their defaults)}.
CASES: dict[str, dict[str, dict[str, Any]]] = {
    "BeTaL/SpatialGrid-v0": {
        "board 10, 3 particles, 20 ops": {"board_size": 10, "n_particles": 3, "n_operations": 20},
        "defaults (board 6, 2 particles, 10 ops)": {},
        "board 24, 8 particles, 100 ops + 50 distractors, all questions": {
            "board_size": 24,
            "n_particles": 8,
            "n_operations": 100,
            "n_distractors": 50,
            "question_kinds": ["position", "facing", "relative"],
        },
    },
    "BeTaL/ArithmeticSequence-v0": {
        "defaults (all families, 5 terms, 2 ahead)": {},
        "degree 6, order 5, 10 ahead, large numbers": {
            "max_degree": 6,
            "max_order": 5,
            "ahead": 10,
            "coef_max": 30,
            "start_max": 1000,
            "negatives": True,
        },
    },
    "BeTaL/Airline-v0": {"defaults": {}},
    "BeTaL/Maze-v0": {
        "defaults (11x11, 30 % walls)": {},
        "15x15, 40 % walls": {"size": 15, "wall_density": 0.4},
    },
}

#: A typical text reply per template; templates not listed answer with one sampled action
#: (a random string up to the space's length, far longer than a real reply).
TEXT_ACTIONS: dict[str, str] = {
    "BeTaL/SpatialGrid-v0": "The particle ends at row 0, column 0.\nAnswer: (0, 0)",
    "BeTaL/ArithmeticSequence-v0": "The differences grow by 2 each time.\nAnswer: 42",
    "BeTaL/Airline-v0": '{"tool": "end_conversation", "arguments": {}}',
    "BeTaL/Maze-v0": "forward",
}


def per_second(work: Callable[[int], Any], seconds: float) -> float:
    """Call ``work(0), work(1), ...`` for about ``seconds`` and return the calls per second."""
    calls, batch = 0, 64
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for i in range(calls, calls + batch):
            work(i)
        calls += batch
    return calls / elapsed


def episodes_per_second(env_id: str, params: dict[str, Any], mode: str, seconds: float) -> dict:
    """Episodes and steps per second of ``reset`` plus steps with one fixed action."""
    env = gym.make(env_id, params=params, obs_mode=mode, disable_env_checker=True)
    env.action_space.seed(0)
    action = env.action_space.sample()
    if mode == "text" and env_id in TEXT_ACTIONS:
        action = TEXT_ACTIONS[env_id]
    env.reset(seed=0)
    steps = 0

    def episode(_: int) -> None:
        nonlocal steps
        env.reset()
        while True:
            steps += 1
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                return

    start = time.perf_counter()
    episodes = per_second(episode, seconds)
    elapsed = time.perf_counter() - start
    env.close()
    return {"episodes_per_s": episodes, "steps_per_s": steps / elapsed}


def measure(env_id: str, params: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Every throughput figure of one template at one parameter set."""
    template = template_class(env_id)(params)
    # The instance hook is exactly "generate and verify": it returns the instance with its gold.
    row: dict[str, Any] = {
        "instances_per_s": per_second(
            lambda i: template._new_instance(instance_seed(0, i)), seconds
        ),
        "prompts_per_s": None,
    }
    if isinstance(template, QuestionTemplate):
        instances = [template._new_instance(instance_seed(1, i)) for i in range(256)]
        row["prompts_per_s"] = per_second(lambda i: template.prompt(instances[i % 256]), seconds)
    for mode in template.obs_modes:
        figures = episodes_per_second(env_id, params, mode, seconds)
        row.update({f"{mode}_{key}": value for key, value in figures.items()})
    return row


def _figure(rate: float | None) -> str:
    """A rate rounded to three significant figures, with thousands separators."""
    return "-" if rate is None else f"{float(f'{rate:.3g}'):,.0f}"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (rates rounded to three significant figures)."""
    columns = [
        ("instances/s", "instances_per_s"),
        ("prompts/s", "prompts_per_s"),
        ("text episodes/s", "text_episodes_per_s"),
        ("text steps/s", "text_steps_per_s"),
        ("array episodes/s", "array_episodes_per_s"),
        ("array steps/s", "array_steps_per_s"),
    ]
    lines = [
        "| template | parameters | " + " | ".join(title for title, _ in columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for row in rows:
        cells = [_figure(row.get(key)) for _, key in columns]
        lines.append(f"| {row['template']} | {row['case']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--only", default=None, help="measure only this template id")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error(f"--seconds must be positive, got {args.seconds:g}")
    if args.only:
        try:
            args.only = resolve_id(args.only)
        except BetalError as error:
            parser.error(str(error))

    rows = []
    for env_id, cases in CASES.items():
        if args.only and env_id != args.only:
            continue
        for case, params in cases.items():
            rows.append({"template": env_id, "case": case, **measure(env_id, params, args.seconds)})

    machine = f"{platform.python_implementation()} {platform.python_version()}, "
    machine += f"{platform.machine()}, {os.cpu_count()} logical CPUs (one used)"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = f"benchmarks/throughput.py --seconds {args.seconds:g}"
    command += f" --only {args.only}" if args.only else ""
    table = markdown(rows)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "throughput.md").write_text(
        f"# Template throughput\n\nMeasured {stamp} on {machine} with `{command}`.\n\n{table}\n"
    )
    record = {
        "measured": stamp,
        "machine": machine,
        "command": command,
        "seconds": args.seconds,
        "rows": rows,
    }
    (args.out / "throughput.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
