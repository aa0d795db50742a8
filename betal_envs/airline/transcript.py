"""The conversation as the agent sees it, and reading the agent's actions.

The text observation is a fixed header (how to act, the policy, the tools as JSON lines)
followed by :data:`CONVERSATION` and one JSON object per line for every event so far:

* ``{"role": "user", "content": "..."}``: the user speaks.
* ``{"role": "agent", "content": "..."}``: the agent wrote to the user.
* ``{"role": "agent", "tool": "get_user", "arguments": {...}}``: the agent called a tool;
* ``{"role": "tool", "tool": "get_user", "result": ...}`` or ``..., "error": "..."}``: its
  result, or why the call was rejected (the database is then unchanged).
* ``{"role": "env", "error": "..."}``: the action could not be read at all.

An action is, in its documented form, the JSON text ``{"tool": name, "arguments": {...}}``
or ``{"message": "..."}`` (a ``dict`` of the same shape is accepted too). For LLM agents the
reading is lenient: a code fence around the JSON, an ``Action:`` prefix, the OpenAI shapes
``{"name": ..., "arguments": "<JSON text>"}`` and ``{"function": {...}}``, a call written
``get_user({"user_id": "x"})`` or ``get_user(user_id="x")``, a JSON call inside prose; any
other text is a message to the user.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from betal_envs.airline.schemas import TOOL_NAMES

CONVERSATION = "== CONVERSATION =="
POLICY_HEADING = "== POLICY =="
TOOLS_HEADING = "== TOOLS =="
#: Longest message text kept from one action.
MAX_MESSAGE = 4000

INSTRUCTIONS = f"""\
You are a customer-service agent of an airline, talking with one user. Follow the policy
below exactly. Each turn, answer with exactly one action, written as JSON:
  {{"tool": "<tool name>", "arguments": {{...}}}}   call a tool; its result comes back as a
                                                  "tool" line
  {{"message": "<text>"}}                           write to the user; the reply comes back as
                                                  a "user" line
End the conversation with the end_conversation tool once the user has nothing more to ask.
The conversation so far follows {CONVERSATION}, one JSON object per line."""


def header(policy: str, tools: Sequence[Mapping[str, Any]]) -> str:
    """The part of the observation that never changes: instructions, policy, tools."""
    lines = [INSTRUCTIONS, "", POLICY_HEADING, policy.rstrip(), "", TOOLS_HEADING]
    lines += [json.dumps(tool["function"]) for tool in tools]
    return "\n".join([*lines, "", CONVERSATION])


def event_line(event: Mapping[str, Any]) -> str:
    """One event as its JSON line (ASCII only; unknown objects written with ``repr``)."""
    return json.dumps(event, default=repr)


def read_events(observation: str) -> list[dict[str, Any]]:
    """The events of an observation, in order (for students and tests)."""
    _, _, body = observation.partition(CONVERSATION + "\n")
    return [json.loads(line) for line in body.splitlines() if line.startswith("{")]


@dataclass
class Action:
    """An action as read: a tool call, a message, or unreadable (``error`` says why)."""

    kind: str
    tool: Any = None
    arguments: Any = field(default_factory=dict)
    text: str = ""
    error: str = ""


_HOW = 'write {"tool": "<name>", "arguments": {...}} or {"message": "<text>"}'
_FENCE = re.compile(r"^```[A-Za-z]*\s*(.*?)\s*```$", re.S)
_CALL_PREFIX = re.compile(r"^(?:action|call|tool)\s*:\s*", re.I)
_MESSAGE_PREFIX = re.compile(r"^(?:message|reply|say|answer)\s*:\s*", re.I)
_CALL = re.compile(r"^([A-Za-z_]\w*)\s*(\(.*\)|\{.*\})\s*;?$", re.S)
_DECODER = json.JSONDecoder()


def _invalid(reason: str) -> Action:
    return Action("invalid", error=f"{reason}; {_HOW}")


def _message(text: str) -> Action:
    return Action("message", text=text[:MAX_MESSAGE])


def _from_mapping(value: Mapping[str, Any]) -> Action:
    if "tool" in value:
        name, arguments = value["tool"], value.get("arguments", value.get("args", {}))
    elif isinstance(value.get("function"), Mapping):
        name, arguments = value["function"].get("name"), value["function"].get("arguments", {})
    elif "name" in value and "arguments" in value:
        name, arguments = value["name"], value["arguments"]
    elif "message" in value or "content" in value:
        text = value.get("message", value.get("content"))
        if not isinstance(text, str):
            return _invalid(f"the message must be text, got {type(text).__name__}")
        return _message(text)
    else:
        return _invalid(
            f"a JSON action needs 'tool' or 'message', got keys {sorted(map(str, value))}"
        )
    if arguments is None:
        arguments = {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError):
            return _invalid(f"the arguments of {name!r} are not valid JSON: {arguments[:200]!r}")
    return Action("tool", tool=name, arguments=arguments)


def _keyword_arguments(inside: str) -> dict[str, Any]:
    """``user_id="x", total_bags=2`` as a dict, reading the values as Python literals."""
    call = ast.parse(f"f({inside})", mode="eval").body
    if not isinstance(call, ast.Call) or call.args:
        raise ValueError("write the arguments as name=value pairs")
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}


def _call_form(name: str, rest: str) -> Action:
    inside = rest[1:-1].strip() if rest.startswith("(") else rest
    try:
        if not inside:
            return Action("tool", tool=name, arguments={})
        if inside.startswith("{"):
            return Action("tool", tool=name, arguments=json.loads(inside))
        return Action("tool", tool=name, arguments=_keyword_arguments(inside))
    except (ValueError, SyntaxError, RecursionError, MemoryError, TypeError) as error:
        return _invalid(f"the arguments of {name} cannot be read ({type(error).__name__})")


def _embedded_call(text: str) -> Action | None:
    """A JSON tool call somewhere inside prose, if there is one."""
    for match in list(re.finditer(r"\{", text))[:20]:
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict) and ("tool" in value or "function" in value):
            return _from_mapping(value)
    return None


def parse_action(action: Any) -> Action:
    """Read an action (see the module docstring); never raises."""
    if isinstance(action, Mapping):
        return _from_mapping(action)
    if isinstance(action, bytes):
        action = action.decode("utf-8", errors="replace")
    if not isinstance(action, str):
        return _invalid(f"an action is text, got {type(action).__name__}")
    text = action.strip()
    if not text:
        return _invalid("the action is empty")
    if fence := _FENCE.match(text):
        text = fence.group(1)
    body = _CALL_PREFIX.sub("", text, count=1)
    if body.startswith(("{", "[")):
        try:
            value = json.loads(body)
        except (ValueError, RecursionError) as error:
            return _invalid(f"the action looks like JSON but cannot be read ({error})")
        if not isinstance(value, dict):
            return _invalid(f"a JSON action is an object, got {type(value).__name__}")
        return _from_mapping(value)
    if (call := _CALL.match(body)) and call.group(1) in TOOL_NAMES:
        return _call_form(call.group(1), call.group(2))
    return _embedded_call(text) or _message(_MESSAGE_PREFIX.sub("", text, count=1))
