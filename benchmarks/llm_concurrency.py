"""How much the ``openai`` student gains from keeping several requests in flight.

The scripted OpenAI-compatible server of ``tests/openai_server.py`` is started on 127.0.0.1
and answers every chat request after ``--delay`` seconds (50 ms by default), a stand-in for
a model's latency. ``evaluate()`` then plays ``--episodes`` instances of
``BeTaL/SpatialGrid-v0`` with the ``openai`` student, reply cache off, at each concurrency
in ``--concurrency``. Since the requests only wait, episodes per second should grow almost
in proportion to the concurrency until the client's own overhead shows. Each run is
repeated ``--repeats`` times and the fastest counts, so that other work on the machine
weighs as little as possible.

Before the runs, a few requests without the scripted delay measure the bare round trip to
the server, which every episode pays on top of the delay.

The table is printed and written to ``benchmarks/results/llm_concurrency.md`` and ``.json``.

Usage::

    .venv/bin/python benchmarks/llm_concurrency.py [--episodes 64] [--delay 0.05]
        [--concurrency 1 16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# The loopback server lives in tests/, which is not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents import evaluate, make_student
from tests.openai_server import OpenAIServer, Reply

RESULTS = Path(__file__).parent / "results"
ENV_ID = "BeTaL/SpatialGrid-v0"
ANSWER = "I followed every operation.\nAnswer: (0, 0)"


def run(server: OpenAIServer, concurrency: int, episodes: int) -> dict[str, Any]:
    """One evaluation of the ``openai`` student at ``concurrency``, cache off.

    The student keeps its default retries, as a real run would; the requests the server
    received show how many attempts were retried.

    Raises:
        SystemExit: when an episode failed for good, since its time is not a reply's.
    """
    spec = f"openai:model=gpt-4o-mini,temperature=0,concurrency={concurrency},timeout=10"
    student = make_student(f"{spec},cache=false", ENV_ID)
    server.reset_records()
    evaluation = evaluate(student, ENV_ID, episodes=episodes)
    if evaluation.failures:
        raise SystemExit(f"episodes failed at concurrency {concurrency}: {evaluation.failures}")
    return {
        "wall_s": evaluation.wall_s,
        "requests": len(server.chat_requests),
        "max_in_flight": server.max_in_flight,
    }


def measure(server: OpenAIServer, concurrency: int, episodes: int, repeats: int) -> dict[str, Any]:
    """The fastest of ``repeats`` runs at ``concurrency``, with every run's figures."""
    runs = [run(server, concurrency, episodes) for _ in range(repeats)]
    fastest = min(runs, key=lambda figures: figures["wall_s"])
    return {
        "concurrency": concurrency,
        "episodes": episodes,
        **fastest,
        "episodes_per_s": episodes / fastest["wall_s"],
        "runs": runs,
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table, with the speed-up over the first row."""
    base = rows[0]
    lines = [
        "| concurrency | episodes | wall s | episodes/s "
        f"| vs concurrency {base['concurrency']} | max in flight | requests sent |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = row["episodes_per_s"] / base["episodes_per_s"]
        lines.append(
            f"| {row['concurrency']} | {row['episodes']} | {row['wall_s']:.2f} "
            f"| {row['episodes_per_s']:.1f} | {ratio:.1f}x | {row['max_in_flight']} "
            f"| {row['requests']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=64, help="episodes per run")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds before each answer")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 16], help="concurrencies to measure"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per concurrency")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    args = parser.parse_args()

    with OpenAIServer() as server:
        # The student finds its server through the environment; the key is a placeholder.
        os.environ["OPENAI_BASE_URL"] = server.url
        os.environ["OPENAI_API_KEY"] = "sk-loopback-benchmark"

        server.set_script([ANSWER])
        bare = run(server, concurrency=1, episodes=16)
        round_trip_ms = 1000 * bare["wall_s"] / 16

        server.set_script([Reply.text(ANSWER, delay=args.delay)])
        rows = [measure(server, c, args.episodes, args.repeats) for c in args.concurrency]

    machine = f"{platform.python_implementation()} {platform.python_version()}, "
    machine += f"{platform.machine()}, {os.cpu_count()} logical CPUs"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = (
        f"benchmarks/llm_concurrency.py --episodes {args.episodes} --delay {args.delay:g} "
        f"--concurrency {' '.join(map(str, args.concurrency))} --repeats {args.repeats}"
    )
    note = (
        f"The server answers each request after {1000 * args.delay:g} ms; an episode without "
        f"that delay took {round_trip_ms:.1f} ms (the bare round trip, paid on top of it). "
        f"Fastest of {args.repeats} runs; the student's reply cache is off, its retries on "
        "(requests sent above the episodes were retried)."
    )
    table = markdown(rows)
    print(f"{note}\n\n{table}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "llm_concurrency.md").write_text(
        f"# LLM student concurrency\n\nMeasured {stamp} on {machine} with `{command}`, "
        f"evaluating the `openai` student on {ENV_ID} against the loopback server of "
        f"`tests/openai_server.py`.\n\n{note}\n\n{table}\n"
    )
    record = {
        "measured": stamp,
        "machine": machine,
        "command": command,
        "template": ENV_ID,
        "delay_s": args.delay,
        "round_trip_ms": round_trip_ms,
        "rows": rows,
    }
    (args.out / "llm_concurrency.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
