"""Judging a finished conversation: the database, the answers, the refusals, the policy.

An episode succeeds when every check passes:

* the final database equals the gold one (the gold actions applied to the starting one);
* every request was addressed before the conversation ended, each forbidden one with a
  refusal, and every question's answer was stated to the user;
* the agent transferred to a human exactly when a request needed it;
* no tool call broke the policy, and every change came after the user's confirmation;
* the turn limit was not reached.

Each failed check adds one reason, in words, to the list :func:`judge` returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from betal_envs.airline.tasks import TRANSFER, AirlineInstance
from betal_envs.airline.world import Database

_SHOWN_DIFFERENCES = 4


class Record(Protocol):
    """What the judge reads from the simulated user's record of the conversation."""

    addressed: list[bool]
    refused: list[bool]
    answered: list[bool]


def _fields(a: Any, b: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(a) if getattr(a, f.name) != getattr(b, f.name)]


def _table_differences(kind: str, ours: Mapping[str, Any], gold: Mapping[str, Any]) -> list[str]:
    found = []
    for key in sorted(ours.keys() - gold.keys()):
        found.append(f"{kind} {key} should not exist")
    for key in sorted(gold.keys() - ours.keys()):
        found.append(f"{kind} {key} is missing")
    for key in sorted(ours.keys() & gold.keys()):
        if ours[key] != gold[key]:
            found.append(f"{kind} {key} differs in {', '.join(_fields(ours[key], gold[key]))}")
    return found


def database_differences(db: Database, gold: Database) -> list[str]:
    """How ``db`` differs from ``gold``, one phrase per differing row (empty when equal)."""
    if db == gold:
        return []
    return (
        _table_differences("reservation", db.reservations, gold.reservations)
        + _table_differences("user", db.users, gold.users)
        + _table_differences("flight", db.flights, gold.flights)
    )


def judge(
    instance: AirlineInstance,
    db: Database,
    record: Record,
    violations: Sequence[str],
    *,
    transferred: bool,
    out_of_turns: bool,
) -> list[str]:
    """The reasons the episode failed; an empty list means success."""
    failures = []
    if out_of_turns:
        failures.append("the turn limit was reached before the conversation ended")
    differences = database_differences(db, instance.gold_db)
    if differences:
        shown = "; ".join(differences[:_SHOWN_DIFFERENCES])
        more = len(differences) - _SHOWN_DIFFERENCES
        failures.append(
            "the database differs from the gold one: "
            + shown
            + (f" (+{more} more)" if more > 0 else "")
        )
    for number, request in enumerate(instance.requests):
        name = f"request {number + 1} ({request.kind})"
        if request.kind == TRANSFER:
            continue
        if not record.addressed[number]:
            failures.append(f"{name} was never addressed")
        elif request.forbidden and not record.refused[number]:
            failures.append(f"{name} had to be refused ({request.rule}) but was not")
        if request.answer is not None and not record.answered[number]:
            failures.append(f"{name} needed the answer {request.answer!r}, which was never stated")
    if instance.needs_transfer and not transferred:
        failures.append("the user needed a human agent, but was never transferred")
    if transferred and not instance.needs_transfer:
        failures.append("the user was transferred to a human agent without need")
    failures.extend(f"policy violation: {violation}" for violation in violations)
    return failures
