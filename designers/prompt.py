"""What the LLM designer reads and how its replies are read back.

The prompt follows the paper's BeTaL designer: the template's description and parameter
table, the target, every past trial with its measured rate and gap, and feedback in words.
Replies are JSON ``{"params": {...}, "rationale": "..."}``; servers that support JSON Schema
structured output are asked for exactly that shape, others are parsed tolerantly (code fences,
prose around the object, a bare parameter object without the wrapper).
"""

from __future__ import annotations

import json
import re
from typing import Any

from betal_envs.params import to_jsonable
from designers.base import DesignTask, Trial

SYSTEM_PROMPT = (
    "You design benchmark instances of a chosen difficulty. A benchmark template exposes "
    "parameters; a student is evaluated on fresh instances generated at the parameters you "
    "choose, and its success rate is measured. Your goal is parameters at which the student's "
    "success rate equals the target. Use the past trials: parameters that gave a rate above the "
    "target were too easy, below it too hard. Reply with one JSON object "
    '{"params": {<every parameter name>: <value>}, "rationale": "<one or two sentences>"} '
    "and nothing else. Every value must lie in its allowed range."
)


#: Longest reply searched for a proposal. A proposal is a few hundred characters; searching a
#: reply of megabytes for JSON objects would take minutes.
MAX_REPLY_CHARS = 50_000

#: Longest rationale kept in a trial record.
MAX_RATIONALE_CHARS = 2_000

#: Longest part of a past trial (its values, its error) repeated in the next prompt.
MAX_SHOWN_CHARS = 600


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was when cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters in all)"


def feedback(trial: Trial, target: float) -> str:
    """One sentence of feedback in words about a finished trial."""
    error = _clip(str(trial.error), MAX_SHOWN_CHARS)
    if trial.status == "invalid":
        return f"rejected: {error}. Propose values inside the allowed ranges."
    if trial.status == "stopped":
        return f"not measured: {error}; propose again."
    if trial.status != "ok" or trial.rate is None:
        return f"no usable proposal: {error}."
    low, high = trial.ci or (trial.rate, trial.rate)
    where = f"rate {trial.rate:.2f} (95% interval {low:.2f}-{high:.2f}), gap {trial.gap:.2f}"
    if low <= target <= high and trial.gap <= 0.05:
        return f"{where}: on target within noise; refine only slightly."
    if trial.rate > target:
        return f"{where}: too easy; make it harder."
    return f"{where}: too hard; make it easier."


def design_prompt(task: DesignTask, history: list[Trial], with_feedback: bool = True) -> str:
    """The user message for the next proposal."""
    lines = [
        f"Template: {task.env_id}",
        task.summary.strip(),
        "",
        "Parameters (the 'harder' column says which direction makes instances harder):",
        task.space.table(),
        "",
        f"Student: {task.student or 'the reference student'}",
        f"Target success rate: {task.target:.2f}",
        f"Proposals allowed in this run: {task.iterations}",
    ]
    if with_feedback and history:
        lines += ["", "Past trials, oldest first:"]
        for trial in history:
            shown = json.dumps(to_jsonable(trial.params or trial.proposed or {}), sort_keys=True)
            shown = _clip(shown, MAX_SHOWN_CHARS)
            lines.append(f"- trial {trial.iteration}: {shown} -> {feedback(trial, task.target)}")
    lines += ["", "Propose the parameters for the next trial as the JSON object described."]
    return "\n".join(lines)


def reply_schema(task: DesignTask) -> dict[str, Any]:
    """The JSON Schema ``response_format`` asking for a proposal and its rationale."""
    schema = {
        "type": "object",
        "properties": {
            "params": task.space.json_schema(),
            "rationale": {"type": "string"},
        },
        "required": ["params", "rationale"],
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": "proposal", "schema": schema}}


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _json_objects(text: str) -> list[Any]:
    """Every JSON value that starts at a ``{`` in ``text`` and parses, outermost first."""
    decoder = json.JSONDecoder()
    found = []
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        position = candidate.find("{")
        while position != -1:
            try:
                value, end = decoder.raw_decode(candidate, position)
            except (json.JSONDecodeError, RecursionError):
                # RecursionError: nesting deeper than the decoder follows is no proposal.
                position = candidate.find("{", position + 1)
                continue
            found.append(value)
            position = candidate.find("{", end)
    return found


def _rationale(value: Any) -> str:
    return _clip(value if isinstance(value, str) else str(value), MAX_RATIONALE_CHARS)


def parse_proposal(text: str, names: list[str]) -> tuple[dict[str, Any], str]:
    """Read ``(params, rationale)`` out of a reply.

    Accepts the wrapped form ``{"params": {...}, "rationale": ...}`` or a bare object whose
    keys are parameter names, alone or among prose and code fences.

    Raises:
        ValueError: when no JSON object is found, or the reply is longer than
            :data:`MAX_REPLY_CHARS`, saying what was expected.
    """
    text = text or ""
    if len(text) > MAX_REPLY_CHARS:
        raise ValueError(
            f"the reply is {len(text)} characters long, more than the {MAX_REPLY_CHARS} "
            f'searched for a proposal; reply with the JSON object {{"params": {{...}}}} alone'
        )
    for value in _json_objects(text):
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("params"), dict):
            return value["params"], _rationale(value.get("rationale", ""))
        if any(key in names for key in value):
            rationale = _rationale(value.pop("rationale", "")) if "rationale" not in names else ""
            return value, rationale
    snippet = text.strip().replace("\n", " ")[:120]
    raise ValueError(
        f'no JSON object with parameters found in the reply (expected {{"params": {{...}}}}); '
        f"reply began: {snippet!r}"
    )
