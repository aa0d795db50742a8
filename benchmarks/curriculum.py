"""Curricula compared: PPO on BeTaL/Maze-v0 under DR, PLR, ACCEL and a target-rate teacher.

Each curriculum trains a PPO student for the same number of environment steps, with several
seeds; the students are then tested zero-shot on hand-designed mazes they never saw
(``benchmarks/mazes/*.txt``). The script writes, under ``--out``:

* ``curriculum.md``: solve rates on the held-out mazes with 95 % Wilson intervals, pooled
  over seeds, next to the reference students ``maze-bfs`` and ``maze-random``;
* ``curriculum.json``: every number behind the table and the curves;
* ``curriculum.png``: the learning curves (held-out solve rate against training steps).

Run ``python benchmarks/curriculum.py --help`` for the settings; the defaults fit in about
half an hour on two CPU cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents.evaluation import wilson_interval
from agents.registry import STUDENTS
from agents.rl import maze_students  # noqa: F401  (registers the maze students)
from agents.rl.ppo import PPOSettings, solve_levels, train
from agents.student import Episode, Student
from betal_envs.maze import MAZE_ID, Level, parse_level

logger = logging.getLogger("benchmarks.curriculum")

MAZES = Path(__file__).parent / "mazes"
CURRICULUM_SPECS = {
    "DR": "dr",
    "PLR": "plr:replay=0.5",
    "ACCEL": "accel:replay=0.8,edits=3",
    "teacher": "teacher:designer=bayes,target=0.5,episodes=32",
}


@dataclass
class Config:
    """Settings of the benchmark; each becomes a ``--flag``."""

    steps: int = field(default=250_000, metadata={"doc": "PPO environment steps per run"})
    seeds: int = field(default=3, metadata={"doc": "training seeds per curriculum"})
    curricula: str = field(
        default="DR,PLR,ACCEL,teacher", metadata={"doc": "comma-separated names to compare"}
    )
    evals: int = field(default=6, metadata={"doc": "points on each learning curve"})
    episodes: int = field(default=10, metadata={"doc": "attempts per held-out maze at the end"})
    curve_episodes: int = field(default=3, metadata={"doc": "attempts per maze per curve point"})
    n_envs: int = field(default=8, metadata={"doc": "parallel environments per run"})
    view_size: int = field(default=5, metadata={"doc": "the students' view (3, 5 or 7)"})
    step_limit: int = field(default=150, metadata={"doc": "steps per episode"})
    out: str = field(default="benchmarks/results", metadata={"doc": "output folder"})


def load_mazes(folder: Path = MAZES) -> dict[str, Level]:
    """The held-out mazes by file stem, in name order."""
    return {path.stem: parse_level(path.read_text()) for path in sorted(folder.glob("*.txt"))}


def play_student(student: Student, levels: dict[str, Level], params: dict, episodes: int) -> int:
    """Successes of a reference student over ``episodes`` attempts at each level."""
    successes = 0
    for number, level in enumerate(levels.values()):
        env = gym.make(MAZE_ID, params=params, obs_mode="array", level=level)
        for index in range(episodes):
            episode = Episode(MAZE_ID, seed=number, index=index)
            observation, info = env.reset(seed=index)
            while True:
                observation, _, terminated, truncated, info = env.step(
                    student.act(observation, info, episode)
                )
                if terminated or truncated:
                    successes += bool(info["success"])
                    break
        env.close()
    return successes


def row(name: str, successes: int, attempts: int, per_seed: str = "") -> str:
    low, high = wilson_interval(successes, attempts)
    rate = successes / attempts
    return (
        f"| {name} | {successes}/{attempts} | {rate:.3f} | [{low:.3f}, {high:.3f}] | {per_seed} |"
    )


def run(config: Config) -> dict:
    """Train every curriculum on every seed and test the students on the held-out mazes."""
    mazes = load_mazes()
    levels = list(mazes.values())
    params = {"view_size": config.view_size, "step_limit": config.step_limit}
    settings = PPOSettings(n_envs=config.n_envs)
    results: dict = {"config": dataclasses.asdict(config), "mazes": list(mazes), "runs": []}
    for name in config.curricula.split(","):
        for seed in range(config.seeds):
            start = time.perf_counter()
            outcome = train(
                CURRICULUM_SPECS[name],
                config.steps,
                seed=seed,
                params=params,
                settings=settings,
                eval_levels=levels,
                eval_every=max(1, config.steps // max(1, config.evals - 1)),
                eval_episodes=config.curve_episodes,
            )
            solved = solve_levels(outcome.model, levels, params, config.episodes)
            record = {
                "curriculum": name,
                "seed": seed,
                "solved_per_maze": dict(zip(mazes, solved, strict=True)),
                "successes": sum(solved),
                "attempts": len(levels) * config.episodes,
                "curve": outcome.curve,
                "tasks_started": outcome.curriculum.tasks_started,
                "wall_s": time.perf_counter() - start,
            }
            results["runs"].append(record)
            logger.info(
                "%s seed %d: %d/%d solved in %.0f s",
                name,
                seed,
                record["successes"],
                record["attempts"],
                record["wall_s"],
            )
    for spec in ("maze-bfs", "maze-random"):
        student = STUDENTS.build(spec)
        successes = play_student(student, mazes, params, config.episodes)
        results[spec] = {"successes": successes, "attempts": len(levels) * config.episodes}
    return results


def table(results: dict) -> str:
    """The Markdown table of held-out solve rates."""
    lines = [
        f"Held-out mazes: {', '.join(results['mazes'])}; "
        f"{results['config']['steps']} PPO steps per run.",
        "",
        "| student | solved | rate | 95 % CI | per seed |",
        "|---|---|---|---|---|",
    ]
    names = list(dict.fromkeys(run["curriculum"] for run in results["runs"]))
    for name in names:
        runs = [run for run in results["runs"] if run["curriculum"] == name]
        per_seed = ", ".join(f"{run['successes'] / run['attempts']:.2f}" for run in runs)
        successes = sum(run["successes"] for run in runs)
        attempts = sum(run["attempts"] for run in runs)
        lines.append(row(f"PPO + {name}", successes, attempts, per_seed))
    for spec in ("maze-bfs", "maze-random"):
        lines.append(row(spec, results[spec]["successes"], results[spec]["attempts"], "-"))
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    """Learning curves: mean held-out solve rate over seeds, with the seeds' range shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    names = list(dict.fromkeys(run["curriculum"] for run in results["runs"]))
    for name in names:
        curves = [run["curve"] for run in results["runs"] if run["curriculum"] == name]
        length = min(len(curve) for curve in curves)
        steps = np.array([point[0] for point in curves[0][:length]])
        rates = np.array([[p[1] / p[2] for p in curve[:length]] for curve in curves])
        axes.plot(steps, rates.mean(axis=0), marker="o", label=name)
        axes.fill_between(steps, rates.min(axis=0), rates.max(axis=0), alpha=0.2)
    axes.set_xlabel("training steps")
    axes.set_ylabel("held-out maze solve rate")
    axes.set_ylim(0, 1)
    axes.legend()
    axes.set_title("PPO on BeTaL/Maze-v0 under four curricula")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in dataclasses.fields(Config):
        parser.add_argument(
            f"--{f.name.replace('_', '-')}",
            type=type(f.default),
            default=f.default,
            help=f.metadata["doc"],
        )
    return Config(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> Path:
    """Run the benchmark and write its table, records and plot; return the table's path."""
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    results = run(config)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "curriculum.json").write_text(json.dumps(results, indent=1))
    (out / "curriculum.md").write_text(table(results))
    plot(results, out / "curriculum.png")
    print(table(results))
    return out / "curriculum.md"


if __name__ == "__main__":
    main()
