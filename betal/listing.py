"""``betal envs``, ``betal students`` and ``betal designers``: what exists and how to set it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from betal_envs.registration import resolve_id, template_class, template_ids


def _print_json(value: Any) -> int:
    print(json.dumps(value, indent=2, default=str))
    return 0


def show_envs(args: argparse.Namespace) -> int:
    ids = [resolve_id(args.env)] if args.env else template_ids()
    records = []
    for env_id in ids:
        cls = template_class(env_id)
        records.append(
            {
                "id": env_id,
                "summary": " ".join(cls.summary.split()),
                "default_student": cls.default_student,
                "obs_modes": list(getattr(cls, "obs_modes", ("text", "array"))),
                "parameters": cls.space.describe(),
            }
        )
    if args.json:
        return _print_json(records)
    console = Console()
    for record in records:
        table = Table(title=f"[bold]{record['id']}[/]", title_justify="left", expand=False)
        for column in ("name", "type", "allowed", "default", "meaning", "harder"):
            # Names are what a user types: never broken across lines.
            table.add_column(column, overflow="fold", no_wrap=column in ("name", "type"))
        for p in record["parameters"]:
            table.add_row(
                p["name"],
                p["type"],
                p["allowed"],
                json.dumps(p["default"]),
                p["meaning"],
                str(p["harder"] or "-"),
            )
        console.print(table)
        console.print(f"  {record['summary']}")
        console.print(f"  default student: [cyan]{record['default_student']}[/]\n")
    return 0


def _settings_text(settings: list[dict[str, Any]]) -> str:
    return (
        "\n".join(
            f"{s['name']}={s['default']!r} ({s['type']}) {s['doc']}".rstrip() for s in settings
        )
        or "-"
    )


def show_students(args: argparse.Namespace) -> int:
    from agents.registry import load_students

    students = load_students()
    records = []
    for name in students:
        cls = students.get(name)
        records.append(
            {
                "name": name,
                "templates": list(cls.templates) or ["any text template"],
                "obs_mode": cls.obs_mode,
                "description": (cls.__doc__ or "").strip().split("\n")[0],
                "settings": students.settings(name),
            }
        )
    if args.json:
        return _print_json(records)
    table = Table(title="students", title_justify="left")
    for column in ("name", "plays", "reads", "settings"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            f"[bold]{r['name']}[/]\n{r['description']}",
            "\n".join(r["templates"]),
            r["obs_mode"],
            _settings_text(r["settings"]),
        )
    Console().print(table)
    return 0


def show_designers(args: argparse.Namespace) -> int:
    from designers import DESIGNERS

    records = []
    for name in DESIGNERS:
        cls = DESIGNERS.get(name)
        records.append(
            {
                "name": name,
                "uses_llm": cls.uses_llm,
                "description": (cls.__doc__ or "").strip().split("\n")[0],
                "settings": DESIGNERS.settings(name),
            }
        )
    if args.json:
        return _print_json(records)
    table = Table(title="designers", title_justify="left")
    for column in ("name", "LLM", "settings"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            f"[bold]{r['name']}[/]\n{r['description']}",
            "yes" if r["uses_llm"] else "no",
            _settings_text(r["settings"]),
        )
    Console().print(table)
    return 0
