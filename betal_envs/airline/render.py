"""Pictures of a conversation: the transcript as text, and a timeline as an RGB image.

The picture has three bands: one cell per turn, coloured by what happened (a message to the
user, a read-only tool call, a change to the database, a rejected call, a policy violation);
one block per request of the user (waiting, under way, addressed, refused); and the outcome
(under way, success, failure). It is drawn with numpy only, so it is cheap every step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from betal_envs.airline.policy import CHANGING_TOOLS

#: Colours of turns, by what the agent did.
TURN_COLOURS: dict[str, tuple[int, int, int]] = {
    "message": (66, 133, 244),
    "read": (120, 190, 120),
    "change": (142, 68, 173),
    "error": (243, 156, 18),
    "violation": (214, 39, 40),
}
REQUEST_COLOURS: dict[str, tuple[int, int, int]] = {
    "waiting": (200, 200, 200),
    "current": (255, 214, 102),
    "addressed": (46, 160, 67),
    "refused": (23, 162, 184),
}
OUTCOME_COLOURS: dict[str, tuple[int, int, int]] = {
    "running": (255, 214, 102),
    "success": (46, 160, 67),
    "failure": (214, 39, 40),
}
_BACKGROUND = (250, 248, 240)
_EMPTY_TURN = (232, 230, 222)
_WIDTH, _MARGIN, _BAND = 400, 8, 24
_RESULT_CHARS = 300


def turn_kinds(events: Sequence[Mapping[str, Any]], violating: set[int]) -> list[str]:
    """What each agent turn was, from the events (``violating``: turns that broke policy)."""
    kinds: list[str] = []
    for event in events:
        role = event.get("role")
        if role == "agent" and "content" in event:
            kinds.append("message")
        elif role == "env":
            kinds.append("error")
        elif role == "tool":
            if "error" in event:
                kinds.append("error")
            elif len(kinds) in violating:
                kinds.append("violation")
            else:
                kinds.append("change" if event.get("tool") in CHANGING_TOOLS else "read")
    return kinds


def picture(
    turns: Sequence[str], turn_limit: int, requests: Sequence[str], outcome: str
) -> np.ndarray:
    """The timeline as an ``(H, W, 3)`` ``uint8`` image."""
    height = 3 * _BAND + 4 * _MARGIN
    image = np.empty((height, _WIDTH, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    inner = _WIDTH - 2 * _MARGIN

    top = _MARGIN
    cell = inner / max(1, turn_limit)
    for number in range(turn_limit):
        left, right = _MARGIN + int(number * cell), _MARGIN + int((number + 1) * cell)
        colour = TURN_COLOURS[turns[number]] if number < len(turns) else _EMPTY_TURN
        image[top : top + _BAND, left : max(left + 1, right - 1)] = colour

    top += _BAND + _MARGIN
    block = inner / max(1, len(requests))
    for number, state in enumerate(requests):
        left, right = _MARGIN + int(number * block), _MARGIN + int((number + 1) * block)
        image[top : top + _BAND, left : right - 2] = REQUEST_COLOURS[state]

    top += _BAND + _MARGIN
    image[top : top + _BAND, _MARGIN : _WIDTH - _MARGIN] = OUTCOME_COLOURS[outcome]
    return image


def transcript_text(title: str, events: Sequence[Mapping[str, Any]], footer: str) -> str:
    """The conversation for people: one line per event, long tool results shortened."""
    lines = [title]
    for event in events:
        role = event.get("role")
        if role == "agent" and "tool" in event:
            arguments = json.dumps(event.get("arguments"), default=repr)
            lines.append(f"agent -> {event['tool']} {arguments}")
        elif role == "tool":
            body = event["error"] if "error" in event else json.dumps(event.get("result"))
            mark = "ERROR " if "error" in event else ""
            shown = body if len(body) <= _RESULT_CHARS else body[:_RESULT_CHARS] + " ..."
            lines.append(f"tool  <- {mark}{shown}")
        elif role == "env":
            lines.append(f"env   !! {event['error']}")
        else:
            lines.append(f"{role:<5} : {event.get('content', '')}")
    lines.append(footer)
    return "\n".join(lines)
