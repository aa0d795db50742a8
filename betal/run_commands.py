"""``betal tune`` and ``betal eval``: live progress on standard error, a summary at the end."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from betal_envs.errors import BetalError
from betal_envs.params import to_jsonable


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("episodes"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _trial_line(trial: Any, target: float) -> str:
    if not trial.ok:
        return f"trial {trial.iteration + 1}: [red]{trial.status}[/] {trial.error}"
    low, high = trial.ci
    return (
        f"trial {trial.iteration + 1}: rate [bold]{trial.rate:.3f}[/] [{low:.2f}, {high:.2f}] "
        f"gap {trial.gap:.3f} {json.dumps(trial.params, separators=(',', ':'))}"
    )


def run_tune(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from agents.backends import make_backend
    from designers.rundir import RunDir
    from designers.tuning import Progress as TuningProgress
    from designers.tuning import TuningConfig, tune

    budgets = {
        "max_tokens": args.max_tokens,
        "max_cost": args.max_cost,
        "max_wall_s": args.max_wall_s,
    }
    if args.resume:
        out, resume = args.resume, True
        if not Path(out, "config.json").exists():
            raise BetalError(f"--resume {out}: no config.json there; it is not a run directory.")
        config = TuningConfig(**RunDir(out).read_config())
        given = {name: value for name, value in budgets.items() if value is not None}
        config = dataclasses.replace(config, **given)
    else:
        if not args.env or args.target is None:
            parser.error("tune needs ENV and --target T (or --resume DIR)")
        out, resume = args.out, False
        config = TuningConfig(
            env_id=args.env,
            target=args.target,
            designer=args.designer,
            student=args.student,
            iterations=args.iterations,
            episodes=args.episodes,
            eval_episodes=args.eval_episodes,
            seed=args.seed,
            free=[n.strip() for n in args.free.split(",")] if args.free else None,
            **budgets,
        )
    backend = make_backend(args.backend, args.address)
    console = Console(stderr=True)
    console.print(
        f"tuning [bold]{config.env_id}[/] to target {config.target:.2f} with designer "
        f"[cyan]{config.designer}[/] for student [cyan]{config.student}[/]"
        + (f" (run directory {out})" if out else "")
    )
    total = config.iterations * config.episodes + config.eval_episodes
    with _progress(console) as bar:
        task = bar.add_task("search", total=total)
        callbacks = TuningProgress(
            on_episode=lambda _: bar.advance(task),
            on_trial=lambda t: (
                console.print(_trial_line(t, config.target)),
                bar.update(task, completed=(t.iteration + 1) * config.episodes),
            ),
            on_verify_start=lambda p: bar.update(
                task, description="verify", completed=config.iterations * config.episodes
            ),
        )
        result = tune(config, out, resume=resume, progress=callbacks, backend=backend)
    _print_summary(console, result.to_dict())
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True))
    return 0


def _print_summary(console: Console, result: dict[str, Any]) -> None:
    table = Table(title="tuning result", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    ci = result["eval_ci"]
    rows = [
        ("template", result["env"]),
        ("designer / student", f"{result['designer']} / {result['student']}"),
        ("target", f"{result['target']:.3f}"),
        (
            "verified rate",
            "-"
            if result["eval_rate"] is None
            else f"{result['eval_rate']:.3f}  (95% CI {ci[0]:.3f}-{ci[1]:.3f})",
        ),
        ("verification gap", "-" if result["eval_gap"] is None else f"{result['eval_gap']:.3f}"),
        (
            "search rate of choice",
            "-"
            if result["search_rate"] is None
            else f"{result['search_rate']:.3f} (trial {result['best_iteration'] + 1})",
        ),
        ("parameters", json.dumps(result["best_params"])),
        (
            "trials / invalid / designer errors",
            f"{result['trials']} / {result['invalid_proposals']} / {result['designer_errors']}",
        ),
        ("episodes used", str(result["episodes_used"])),
        ("tokens / cost", f"{result['tokens']} / ${result['cost']:.4f}"),
        ("wall time", f"{result['wall_s']:.1f} s"),
    ]
    if result.get("stopped", "completed") != "completed":
        rows.append(("stopped", result["stopped"]))
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def _read_params(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.exists():
            raise BetalError(f"--params {text}: no such file {path}.")
        text = path.read_text()
    example = "write e.g. --params '{\"board_size\": 8}' or --params @params.json."
    try:
        params = json.loads(text)
    except json.JSONDecodeError as error:
        raise BetalError(
            f"--params is not valid JSON ({error.msg} at character {error.pos}); {example}"
        ) from None
    except (ValueError, RecursionError) as error:
        # A number of thousands of digits, or nesting deeper than the decoder follows.
        reason = str(error).partition(";")[0] or type(error).__name__
        raise BetalError(f"--params cannot be read ({reason}); {example}") from None
    if not isinstance(params, dict):
        shown = text.strip()[:60] + ("..." if len(text.strip()) > 60 else "")
        raise BetalError(f"--params must be a JSON object of name to value, got {shown}.")
    return params


def run_eval(args: argparse.Namespace) -> int:
    from agents.backends import make_backend
    from agents.budget import Budget, spending
    from agents.evaluation import evaluate
    from agents.registry import make_student

    params = _read_params(args.params)
    student = make_student(args.student, args.env)
    backend = make_backend(args.backend, args.address)
    budget = Budget(args.max_tokens, args.max_cost, args.max_wall_s)
    console = Console(stderr=True)
    with _progress(console) as bar, spending(budget if budget.limited else None):
        task = bar.add_task("eval", total=args.episodes)
        record = evaluate(
            student,
            args.env,
            params,
            episodes=args.episodes,
            seed=args.seed,
            on_episode=lambda _: bar.advance(task),
            backend=backend,
        )
    low, high = record.ci
    table = Table(title="evaluation", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in (
        ("template", record.env_id),
        ("student", record.student),
        (
            "rate",
            f"{record.rate:.3f}  ({record.successes}/{record.episodes}, 95% CI {low:.3f}-{high:.3f})",
        ),
        ("parameters", json.dumps(to_jsonable(record.params))),
        ("failures", json.dumps(record.failures) if record.failures else "none"),
        ("tokens / cost", f"{record.tokens} / ${record.cost:.4f}"),
        ("wall time", f"{record.wall_s:.2f} s"),
        ("stopped", record.stopped or "no: every episode played"),
    ):
        table.add_row(key, value)
    console.print(table)
    if args.json:
        print(json.dumps(record.to_dict(), sort_keys=True))
    return 0
