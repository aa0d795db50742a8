"""Reading the rule-based user's sentences back: what it asks for and the details it gives.

This is the inverse of :mod:`betal_envs.airline.phrases`, kept beside it so the two agree.
Scripted students use it (an LLM student needs none of it): :func:`read_jobs` finds the
requests in a user message, and :meth:`Job.get` reads one detail out of everything the user
said about a request so far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from betal_envs.airline.phrases import CABIN_WORDS, REASON_WORDS
from betal_envs.airline.world import Passenger

_DAY = r"(\d{4}-\d{2}-\d{2})"
_PERSON = rf"([A-Za-z]+) ([A-Za-z]+), born {_DAY}"
#: The sentence that starts each kind of request, in the order they are tried.
KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("book", re.compile(rf"I want to book a trip from ([A-Z]{{3}}) to ([A-Z]{{3}}) on {_DAY}")),
    ("cancel", re.compile(r"I want to cancel ")),
    ("change_flight", re.compile(rf"I want to move .+? to {_DAY}, on the same flight number")),
    ("baggage", re.compile(r"I want to (add|remove) (\d+) checked bags? ")),
    ("passengers", re.compile(r"correct the details of a passenger|I want to add a passenger to")),
    ("compensation", re.compile(r"I would like compensation")),
    (
        "info",
        re.compile(
            r"How much have I paid in total|What is the status of the flight|"
            r"How many free checked bags"
        ),
    ),
    ("transfer", re.compile(r"wheelchair|my cat in the cabin|complaint|special meal")),
)
_ORDINAL = re.compile(r"\b(?:First|Second|Third|Fourth|Fifth|Sixth), ")
_MANY = re.compile(r"I have \d+ requests today\.")
_USER_ID = re.compile(r"[Mm]y user id is ([a-z]+_[a-z]+_\d+)")
_PATTERNS: dict[str, re.Pattern[str]] = {
    "reservation_id": re.compile(r"\breservation (?:id is )?([A-Z]{6})\b"),
    "trip": re.compile(rf"\btrip from ([A-Z]{{3}}) to ([A-Z]{{3}}) on {_DAY}"),
    "reason": re.compile(r"The reason is (.+?)\.(?:\s|$)"),
    "payment": re.compile(r"Please (?:use|pay with) [^.]*ending in \d{4}[^.]*\."),
    "passengers": re.compile(r"The passengers are: (.+?)\.(?:\s|$)"),
    "passenger_change": re.compile(rf"change the passenger {_PERSON} to {_PERSON}"),
    "added_passenger": re.compile(rf"add a passenger to .+?: {_PERSON}"),
    "cabin": re.compile(r"fly in (basic economy|economy|business)"),
    "bags": re.compile(r"I need (\d+) checked bags in total"),
    "insurance": re.compile(r"I (would like|do not want) travel insurance"),
    "new_date": re.compile(rf"to {_DAY}, on the same flight number"),
    "bag_change": re.compile(r"I want to (add|remove) (\d+) checked bag"),
}
_METHOD = re.compile(r"(credit card|gift card|certificate) ending in (\d{4})")
_QUESTIONS = {
    "paid": "How much have I paid",
    "status": "status of the flight",
    "bags": "free checked",
}


def read_user_id(text: str) -> str | None:
    found = _USER_ID.search(text)
    return found.group(1) if found else None


def kind_of(text: str) -> str | None:
    """The kind of request a piece of user text starts, or ``None``."""
    return next((kind for kind, pattern in KIND_PATTERNS if pattern.search(text)), None)


@dataclass
class Job:
    """A request as a student understands it: its kind and all the user said about it."""

    kind: str
    text: str

    def hear(self, reply: str) -> None:
        """Add what the user said next about this request."""
        self.text = f"{self.text} {reply}"

    def get(self, name: str) -> Any:
        """One detail read from the text, or ``None`` when the user has not given it."""
        if name == "question":
            return next((k for k, words in _QUESTIONS.items() if words in self.text), None)
        if name == "book_trip":
            found = KIND_PATTERNS[0][1].search(self.text)
            return found.groups() if found else None
        found = list(_PATTERNS[name].finditer(self.text))
        if not found:
            return None
        last = found[-1]
        if name == "trip":
            return found[0].groups()
        if name == "payment":
            return _METHOD.findall(last.group(0))
        if name == "reason":
            words = last.group(1)
            return next((k for k, v in REASON_WORDS.items() if v == words), "other")
        if name == "passengers":
            return [Passenger(*m) for m in re.findall(_PERSON, last.group(1))]
        if name == "passenger_change":
            groups = last.groups()
            return Passenger(*groups[:3]), Passenger(*groups[3:])
        if name == "added_passenger":
            return Passenger(*last.groups())
        if name == "cabin":
            return next(k for k, v in CABIN_WORDS.items() if v == last.group(1))
        if name == "bags":
            return int(last.group(1))
        if name == "insurance":
            return last.group(1) == "would like"
        if name == "bag_change":
            return int(last.group(2)) * (1 if last.group(1) == "add" else -1)
        return last.group(1)


def read_jobs(text: str) -> list[Job]:
    """The requests a user message brings up (several, when it lists them in order)."""
    segments = _ORDINAL.split(text)[1:] if _MANY.search(text) else [text]
    jobs = []
    for segment in segments:
        kind = kind_of(segment)
        if kind is not None:
            jobs.append(Job(kind, segment))
    return jobs
