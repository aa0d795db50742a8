"""Pictures of a conversation: the transcript as text, and a timeline as an RGB image.

The picture has a title (the user, the turn, the outcome) and three labelled bands: one cell
per turn, coloured by what happened (a message to the user, a read-only tool call, a change to
the database, a rejected call, a policy violation) with a legend of those colours; one block
per request of the user, named by its kind and coloured by its state (waiting, under way,
addressed, refused); and the outcome. Below them the last lines of the conversation are
written out, so a frame of a recorded episode can be read on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from betal_envs.airline.policy import CHANGING_TOOLS
from betal_envs.drawing import INK, MUTED, WHITE, Label, draw_labels, fit, text_width

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
ROLE_COLOURS: dict[str, tuple[int, int, int]] = {
    "user": (31, 119, 180),
    "agent": (60, 60, 60),
    "tool": (110, 140, 110),
    "env": (214, 39, 40),
}
_BACKGROUND = (250, 248, 240)
_EMPTY_TURN = (232, 230, 222)
_WIDTH, _MARGIN, _BAND, _GUTTER = 560, 10, 22, 72
_TEXT, _SMALL, _LINE = 12, 11, 16
#: Lines of the conversation written under the bands.
_TRANSCRIPT_LINES = 10
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
    turns: Sequence[str],
    turn_limit: int,
    requests: Sequence[str],
    outcome: str,
    *,
    title: str = "",
    kinds: Sequence[str] = (),
    events: Sequence[Mapping[str, Any]] = (),
    reason: str = "",
) -> np.ndarray:
    """The timeline as an ``(H, W, 3)`` ``uint8`` image.

    Args:
        turns: what each agent turn so far was (see :func:`turn_kinds`).
        turn_limit: turns the episode may last; one cell each.
        requests: the state of each request of the user.
        outcome: ``"running"``, ``"success"`` or ``"failure"``.
        title: the first line of the picture.
        kinds: the kind of each request, written in its block.
        events: the conversation; its last lines are written under the bands.
        reason: why the episode failed, written after the outcome.
    """
    lines = [event_line(event) for event in events][-_TRANSCRIPT_LINES:]
    transcript_top = _MARGIN + 22 + 3 * (_BAND + 8) + 20
    # Room for every line from the first turn on: frames of one episode share one size.
    height = transcript_top + _TRANSCRIPT_LINES * _LINE + _MARGIN
    image = np.empty((height, _WIDTH, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    inner_left, inner_right = _MARGIN + _GUTTER, _WIDTH - _MARGIN
    inner = inner_right - inner_left
    labels = [Label(fit(title, 13, _WIDTH - 2 * _MARGIN), _MARGIN, _MARGIN + 7, INK, 13)]

    top = _MARGIN + 22
    labels.append(
        Label(f"turns {len(turns)}/{turn_limit}", _MARGIN, top + _BAND / 2, MUTED, _SMALL)
    )
    cell = inner / max(1, turn_limit)
    for number in range(turn_limit):
        left = inner_left + int(number * cell)
        right = inner_left + int((number + 1) * cell)
        colour = TURN_COLOURS[turns[number]] if number < len(turns) else _EMPTY_TURN
        image[top : top + _BAND, left : max(left + 1, right - 1)] = colour

    top += _BAND + 8
    labels.append(Label("requests", _MARGIN, top + _BAND / 2, MUTED, _SMALL))
    block = inner / max(1, len(requests))
    for number, state in enumerate(requests):
        left = inner_left + int(number * block)
        right = inner_left + int((number + 1) * block)
        image[top : top + _BAND, left : right - 2] = REQUEST_COLOURS[state]
        kind = kinds[number] if number < len(kinds) else ""
        text = fit(f"{number + 1} {kind}: {state}", _SMALL, right - left - 8)
        labels.append(Label(text, left + 4, top + _BAND / 2, INK, _SMALL))

    top += _BAND + 8
    labels.append(Label("outcome", _MARGIN, top + _BAND / 2, MUTED, _SMALL))
    image[top : top + _BAND, inner_left:inner_right] = OUTCOME_COLOURS[outcome]
    shown = fit(f"{outcome}: {reason}" if reason else outcome, _TEXT, inner - 12)
    ink = INK if outcome == "running" else WHITE
    labels.append(Label(shown, inner_left + 6, top + _BAND / 2, ink, _TEXT))

    top += _BAND + 10
    x = inner_left
    for kind, colour in TURN_COLOURS.items():
        image[top - 4 : top + 5, x : x + 9] = colour
        labels.append(Label(kind, x + 13, top, MUTED, _SMALL))
        x += 13 + text_width(kind, _SMALL) + 16

    for number, line in enumerate(lines):
        role = line.split(maxsplit=1)[0] if line.strip() else ""
        colour = ROLE_COLOURS.get(role, INK)
        y = transcript_top + number * _LINE + _LINE / 2
        labels.append(Label(fit(line, _SMALL, _WIDTH - 2 * _MARGIN), _MARGIN, y, colour, _SMALL))
    draw_labels(image, labels)
    return image


def event_line(event: Mapping[str, Any]) -> str:
    """One event of the conversation as a line for people; long tool results shortened."""
    role = event.get("role")
    if role == "agent" and "tool" in event:
        arguments = json.dumps(event.get("arguments"), default=repr)
        return f"agent -> {event['tool']} {arguments}"
    if role == "tool":
        body = event["error"] if "error" in event else json.dumps(event.get("result"))
        mark = "ERROR " if "error" in event else ""
        shown = body if len(body) <= _RESULT_CHARS else body[:_RESULT_CHARS] + " ..."
        return f"tool  <- {mark}{shown}"
    if role == "env":
        return f"env   !! {event['error']}"
    return f"{role:<5} : {event.get('content', '')}"


def transcript_text(title: str, events: Sequence[Mapping[str, Any]], footer: str) -> str:
    """The conversation for people: one line per event, long tool results shortened."""
    return "\n".join([title, *(event_line(event) for event in events), footer])
