"""Curricula compared: PPO on BeTaL/Maze-v0 under DR, PLR, ACCEL and a target-rate teacher.

Each curriculum trains a PPO student for the same number of environment steps, with several
seeds; the students are then tested zero-shot on hand-designed mazes they never saw
(``benchmarks/mazes/*.txt``). The script writes, under ``--out``:

* ``curriculum.md``: solve rates on the held-out mazes with 95 % Wilson intervals, pooled
  over seeds, next to the reference students ``maze-bfs`` and ``maze-random``; the rates
  per maze; and what each curriculum served in training (its students' success there,
  episode length, the walls and goal distance of its levels);
* ``curriculum.json``: every number behind the tables and the curves;
* ``curriculum.png``: the learning curves (held-out solve rate against training steps).

Runs go to ``--workers`` processes at once, each with one torch thread. Run
``python benchmarks/curriculum.py --help`` for the settings. The defaults (20 runs of a
million steps) take about 30 CPU-minutes, so about a quarter of an hour on two free cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents.evaluation import wilson_interval
from agents.registry import STUDENTS
from agents.rl import maze_students  # noqa: F401  (registers the maze students)
from agents.rl.ppo import PPOSettings, solve_levels, train
from agents.rl.tasks import Curriculum
from agents.student import Episode, Student
from betal_envs.maze import MAZE_ID, Level, goal_distance, parse_level

logger = logging.getLogger("benchmarks.curriculum")

MAZES = Path(__file__).parent / "mazes"
#: The curricula compared. PLR and ACCEL rank levels by learnability rather than by a
#: value-based regret proxy: the students' value function sees only their view, and the
#: value-based scores filled the buffers with the easiest levels (see
#: :class:`agents.rl.curricula.PrioritizedLevelReplay`).
CURRICULUM_SPECS = {
    "DR": "dr",
    "PLR": "plr:replay=0.5,score=learnability",
    "ACCEL": "accel:replay=0.8,edits=3,score=learnability",
    "teacher": "teacher:designer=bayes,target=0.5,episodes=32",
}


@dataclass
class Config:
    """Settings of the benchmark; each becomes a ``--flag``."""

    steps: int = field(default=1_000_000, metadata={"doc": "PPO environment steps per run"})
    seeds: int = field(default=5, metadata={"doc": "training seeds per curriculum"})
    curricula: str = field(
        default="DR,PLR,ACCEL,teacher", metadata={"doc": "comma-separated names to compare"}
    )
    evals: int = field(default=6, metadata={"doc": "points on each learning curve"})
    episodes: int = field(default=10, metadata={"doc": "attempts per held-out maze at the end"})
    curve_episodes: int = field(default=3, metadata={"doc": "attempts per maze per curve point"})
    n_envs: int = field(default=8, metadata={"doc": "parallel environments per run"})
    workers: int = field(default=2, metadata={"doc": "training runs at once, one process each"})
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


def seed_interval(rates: list[float]) -> tuple[float, float] | None:
    """A 95 % Student-t interval for the mean over seeds (``None`` for one seed).

    Unlike the Wilson interval over pooled attempts, it counts how much training runs differ
    from one another, which is most of the spread.
    """
    if len(rates) < 2:
        return None
    from scipy.stats import t

    mean = float(np.mean(rates))
    half = float(t.ppf(0.975, len(rates) - 1) * np.std(rates, ddof=1) / np.sqrt(len(rates)))
    return mean - half, mean + half


def row(name: str, successes: int, attempts: int, rates: list[float] | None = None) -> str:
    """A table row: pooled rate with its Wilson interval; per-seed rates with their interval."""
    low, high = wilson_interval(successes, attempts)
    rate = successes / attempts
    per_seed = ", ".join(f"{r:.2f}" for r in rates) if rates else "-"
    interval = seed_interval(rates or [])
    over_seeds = f"[{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "-"
    return (
        f"| {name} | {successes}/{attempts} | {rate:.3f} | [{low:.3f}, {high:.3f}] "
        f"| {per_seed} | {over_seeds} |"
    )


def served(curriculum: Curriculum) -> dict:
    """What a curriculum served in training, summarised over the last fifth of its episodes.

    Sizes, wall fractions and goal distances are those of the levels played (an edited
    level no longer matches the parameters it was first drawn with).
    """
    records = curriculum.records
    tail = records[len(records) * 4 // 5 :] or records
    summary: dict = {
        "episodes": len(records),
        "origins": dict(Counter(record.task.origin for record in records)),
        "success": float(np.mean([record.success for record in tail])),
        "steps": float(np.mean([record.steps for record in tail])),
    }
    levels = [record.level for record in tail if record.level is not None]
    if levels:
        summary["levels"] = {
            "size": float(np.mean([level.shape[0] for level in levels])),
            "wall_fraction": float(np.mean([level.walls.mean() for level in levels])),
            "goal_distance": float(np.mean([goal_distance(level) for level in levels])),
            "distinct": len(set(levels)),
        }
    return summary


def train_one(config: Config, name: str, seed: int) -> dict:
    """Train one student under curriculum ``name`` and test it on the held-out mazes."""
    if config.workers > 1:
        import torch

        torch.set_num_threads(1)
    mazes = load_mazes()
    levels = list(mazes.values())
    params = {"view_size": config.view_size, "step_limit": config.step_limit}
    start, cpu_start = time.perf_counter(), time.process_time()
    outcome = train(
        CURRICULUM_SPECS[name],
        config.steps,
        seed=seed,
        params=params,
        settings=PPOSettings(n_envs=config.n_envs),
        eval_levels=levels,
        eval_every=max(1, config.steps // max(1, config.evals - 1)),
        eval_episodes=config.curve_episodes,
    )
    solved = solve_levels(outcome.model, levels, params, config.episodes)
    return {
        "curriculum": name,
        "spec": CURRICULUM_SPECS[name],
        "seed": seed,
        "solved_per_maze": dict(zip(mazes, solved, strict=True)),
        "successes": sum(solved),
        "attempts": len(levels) * config.episodes,
        "curve": outcome.curve,
        "tasks_started": outcome.curriculum.tasks_started,
        "served": served(outcome.curriculum),
        "wall_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu_start,
    }


def run(config: Config) -> dict:
    """Train every curriculum on every seed and test the students on the held-out mazes."""
    mazes = load_mazes()
    params = {"view_size": config.view_size, "step_limit": config.step_limit}
    results: dict = {"config": dataclasses.asdict(config), "mazes": list(mazes), "runs": []}
    jobs = [(name, seed) for name in config.curricula.split(",") for seed in range(config.seeds)]
    for name, _ in jobs:
        if name not in CURRICULUM_SPECS:
            raise ValueError(
                f"unknown curriculum {name!r}; choose from {', '.join(CURRICULUM_SPECS)}."
            )
    start = time.perf_counter()
    if config.workers > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(config.workers, mp_context=context) as pool:
            futures = [pool.submit(train_one, config, name, seed) for name, seed in jobs]
            records = [future.result() for future in futures]
    else:
        records = [train_one(config, name, seed) for name, seed in jobs]
    for record in records:
        logger.info(
            "%s seed %d: %d/%d solved in %.0f s (%.0f s CPU)",
            record["curriculum"],
            record["seed"],
            record["successes"],
            record["attempts"],
            record["wall_s"],
            record["cpu_s"],
        )
    results["runs"] = records
    results["train_wall_s"] = time.perf_counter() - start
    results["train_cpu_s"] = sum(record["cpu_s"] for record in records)
    for spec in ("maze-bfs", "maze-random"):
        student = STUDENTS.build(spec)
        successes = play_student(student, mazes, params, config.episodes)
        results[spec] = {"successes": successes, "attempts": len(mazes) * config.episodes}
    return results


def table(results: dict) -> str:
    """The Markdown tables: held-out solve rates, rates per maze, what was served."""
    config = results["config"]
    lines = [
        f"Held-out mazes: {', '.join(results['mazes'])}; {config['steps']} PPO steps per run, "
        f"{config['seeds']} seeds, {config['episodes']} attempts per maze and seed "
        f"(view {config['view_size']}, step limit {config['step_limit']}). Training took "
        f"{results['train_wall_s'] / 60:.0f} min wall, {results['train_cpu_s'] / 60:.0f} min "
        f"CPU, with {config['workers']} workers.",
        "",
        "| student | solved | rate | 95 % CI (attempts) | per seed | 95 % CI (seeds) |",
        "|---|---|---|---|---|---|",
    ]
    names = list(dict.fromkeys(run["curriculum"] for run in results["runs"]))
    groups = {name: [run for run in results["runs"] if run["curriculum"] == name] for name in names}
    for name, runs in groups.items():
        rates = [run["successes"] / run["attempts"] for run in runs]
        successes = sum(run["successes"] for run in runs)
        attempts = sum(run["attempts"] for run in runs)
        lines.append(row(f"PPO + {name} (`{runs[0]['spec']}`)", successes, attempts, rates))
    for spec in ("maze-bfs", "maze-random"):
        lines.append(row(spec, results[spec]["successes"], results[spec]["attempts"]))
    lines += ["", "Solve rate per held-out maze, pooled over seeds:", ""]
    lines.append("| student | " + " | ".join(results["mazes"]) + " |")
    lines.append("|---" * (len(results["mazes"]) + 1) + "|")
    for name, runs in groups.items():
        rates = [
            sum(run["solved_per_maze"][maze] for run in runs) / (len(runs) * config["episodes"])
            for maze in results["mazes"]
        ]
        lines.append(f"| PPO + {name} | " + " | ".join(f"{rate:.2f}" for rate in rates) + " |")
    lines += [
        "",
        "What each curriculum served over the last fifth of training, means over seeds: the "
        "students' success and episode length there, the levels' side, wall fraction, "
        "shortest path to the goal, and how many distinct levels; the replayed share is "
        "over all of training.",
        "",
        "| curriculum | episodes | training success | episode length | side | walls "
        "| goal distance | distinct levels | replayed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in groups.items():
        lines.append(served_row(name, [run["served"] for run in runs]))
    return "\n".join(lines) + "\n"


def served_row(name: str, summaries: list[dict]) -> str:
    """One row of the served-levels table: means over the seeds' summaries."""

    def mean(pick: Callable[[dict], float]) -> float:
        return float(np.mean([pick(summary) for summary in summaries]))

    return (
        f"| {name} | {mean(lambda s: s['episodes']):.0f} | {mean(lambda s: s['success']):.2f} "
        f"| {mean(lambda s: s['steps']):.0f} | {mean(lambda s: s['levels']['size']):.1f} "
        f"| {mean(lambda s: s['levels']['wall_fraction']):.2f} "
        f"| {mean(lambda s: s['levels']['goal_distance']):.1f} "
        f"| {mean(lambda s: s['levels']['distinct']):.0f} "
        f"| {mean(lambda s: s['origins'].get('replay', 0) / s['episodes']):.2f} |"
    )


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
