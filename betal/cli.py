"""The ``betal`` command line: list templates, students and designers; tune; evaluate; report.

The CLI owns the terminal: progress and tables go to standard error through rich, and with
``--json`` the last line of standard output is one JSON object for scripts. A user mistake
(an unknown name, bad parameters, a busy run directory) is reported as one line on standard
error with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from betal.redaction import redact, redact_logs
from betal_envs.errors import BetalError

EXIT_USAGE = 2


def _add_budget_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-tokens", type=int, help="stop once this many tokens are spent")
    parser.add_argument("--max-cost", type=float, help="stop once this many dollars are spent")
    parser.add_argument("--max-wall-s", type=float, help="stop after this many seconds")


def _add_backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="where episodes run: 'local' (this process, the default) or 'ray' (batches of "
        "episodes as Ray tasks; pip install 'betal-envs[ray]')",
    )
    parser.add_argument(
        "--address",
        help="with --backend ray: the cluster to join, 'auto' or HEAD_IP:6379 (default: the "
        "one 'ray start' began on this machine, else a Ray instance started here)",
    )


def _add_common_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--student", help="student spec, NAME[:key=value,...]; the template's default if omitted"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every random choice (default 0)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the result as one JSON line at the end"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-v info, -vv debug)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="betal",
        description="BeTaL: tune parameterized benchmark templates to a target difficulty.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    envs = commands.add_parser("envs", help="list the templates and their parameter tables")
    envs.add_argument("env", nargs="?", help="show only this template")
    envs.add_argument("--json", action="store_true", help="print JSON instead of tables")

    for name, text in (
        ("students", "list the students and their settings"),
        ("designers", "list the designers and their settings"),
    ):
        listing = commands.add_parser(name, help=text)
        listing.add_argument("--json", action="store_true", help="print JSON instead of tables")

    tune = commands.add_parser(
        "tune", help="find parameters at which the student hits a target rate"
    )
    tune.add_argument("env", nargs="?", help="template id, e.g. BeTaL/SpatialGrid-v0")
    tune.add_argument("--target", type=float, help="wanted success rate in (0, 1)")
    tune.add_argument("--designer", default="bayes", help="designer spec (default: bayes)")
    tune.add_argument("--iterations", type=int, default=10, help="proposals (default 10)")
    tune.add_argument("--episodes", type=int, default=50, help="episodes per trial (default 50)")
    tune.add_argument(
        "--eval-episodes",
        type=int,
        default=500,
        help="episodes verifying the chosen parameters (default 500)",
    )
    tune.add_argument(
        "--free", help="comma-separated parameters the designer may set (default all)"
    )
    tune.add_argument("--out", help="run directory to write (default: none kept)")
    tune.add_argument("--resume", metavar="DIR", help="continue the run recorded in DIR")
    _add_budget_options(tune)
    _add_backend_options(tune)
    _add_common_run_options(tune)

    evaluate = commands.add_parser("eval", help="evaluate a student at given parameters")
    evaluate.add_argument("env", help="template id")
    evaluate.add_argument("--params", default="{}", help="JSON object, or @FILE holding one")
    evaluate.add_argument("--episodes", type=int, default=100, help="episodes (default 100)")
    _add_budget_options(evaluate)
    _add_backend_options(evaluate)
    _add_common_run_options(evaluate)

    report = commands.add_parser(
        "report", help="write a Markdown report with plots from run directories"
    )
    report.add_argument("runs", nargs="+", help="run directories, or folders holding them")
    report.add_argument(
        "--out", default="report", help="folder for report.md and plots (default: report)"
    )
    report.add_argument(
        "--no-run-plots",
        dest="run_plots",
        action="store_false",
        help="leave out the plot of each run (a large sweep's report stays small)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``betal`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(getattr(args, "verbose", 0), logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    redact_logs()
    try:
        if args.command == "envs":
            from betal.listing import show_envs

            return show_envs(args)
        if args.command == "students":
            from betal.listing import show_students

            return show_students(args)
        if args.command == "designers":
            from betal.listing import show_designers

            return show_designers(args)
        if args.command == "tune":
            from betal.run_commands import run_tune

            return run_tune(args, parser)
        if args.command == "eval":
            from betal.run_commands import run_eval

            return run_eval(args)
        if args.command == "report":
            from betal.report import run_report

            return run_report(args)
    except BetalError as error:
        print(f"betal: error: {redact(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "betal: interrupted; finished trials are kept (resume with --resume DIR)",
            file=sys.stderr,
        )
        return 130
    parser.error(f"unknown command {args.command!r}")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
