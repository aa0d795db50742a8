"""The LLM tool-calling student: a model with function tools holds a conversation template.

Spec: ``openai-tools:model=gpt-4o-mini,temperature=0,concurrency=16,timeout=60``, with the
settings of the ``openai`` student. Made for ``BeTaL/Airline-v0``: the system prompt is the
template's policy (from the reset info), the tools are passed in the OpenAI ``tools`` format,
and each step the conversation in the text observation (one JSON line per event) is turned
into chat messages: the user's lines as user messages, the agent's messages and tool calls
as assistant messages, tool results as tool messages. A tool call in the reply becomes the
JSON action ``{"tool": name, "arguments": {...}}`` (further calls of the same reply are
queued for the next steps, without asking again); a text reply becomes ``{"message": ...}``.

Rebuilding the messages from the observation keeps the student stateless between steps
apart from that queue, and makes a rerun send the very same requests, which the reply cache
then answers. A call that fails for good raises :class:`~agents.student.StudentFailure`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents.llm.client import LLMError
from agents.llm.extract import as_action_text, strip_reasoning
from agents.llm.student import OpenAIStudent, record_reply
from agents.registry import STUDENTS
from agents.student import Episode, StudentFailure
from betal_envs.airline.transcript import CONVERSATION, TOOLS_HEADING, read_events

SYSTEM_PROMPT = (
    "You are a customer-service agent of an airline, in a conversation with one user. "
    "Follow the policy below exactly. Write to the user in plain messages, and act only "
    "through the tools: look things up before you answer, describe each change and wait for "
    "the user's yes before making it, and refuse what the policy does not allow. Call "
    "end_conversation once the user has nothing more to ask."
)
#: Longest message text the student sends.
MAX_MESSAGE = 4000


def tools_from_observation(observation: str) -> list[dict[str, Any]]:
    """The tools (OpenAI format) listed in an observation's header, one JSON line each."""
    _, _, rest = observation.partition(TOOLS_HEADING + "\n")
    listed, _, _ = rest.partition(CONVERSATION)
    return [
        {"type": "function", "function": json.loads(line)}
        for line in listed.splitlines()
        if line.startswith("{")
    ]


def events_to_messages(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages for a conversation's events (tool call ids are numbered in order)."""
    messages: list[dict[str, Any]] = []
    calls = 0
    for event in events:
        role = event.get("role")
        if role == "user":
            messages.append({"role": "user", "content": str(event.get("content", ""))})
        elif role == "agent" and "tool" in event:
            calls += 1
            function = {
                "name": str(event["tool"]),
                "arguments": json.dumps(event.get("arguments"), default=repr),
            }
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": f"call_{calls}", "type": "function", "function": function}
                    ],
                }
            )
        elif role == "agent":
            messages.append({"role": "assistant", "content": str(event.get("content", ""))})
        elif role == "tool":
            body = {"error": event["error"]} if "error" in event else event.get("result")
            messages.append(
                {"role": "tool", "tool_call_id": f"call_{calls}", "content": json.dumps(body)}
            )
        elif role == "env" and "error" in event:
            messages.append({"role": "user", "content": f"(the system) {event['error']}"})
    return messages


@STUDENTS.register("openai-tools")
@dataclass
class OpenAIToolStudent(OpenAIStudent):
    """A model calling the template's tools (``$OPENAI_BASE_URL``, ``$OPENAI_API_KEY``)."""

    name = "openai-tools"
    obs_mode = "text"
    templates = ("BeTaL/Airline-v0",)

    def prepare(self, observation: str, info: dict[str, Any], episode: Episode) -> None:
        """On an episode's first step, keep its system prompt and tools."""
        memory = episode.memory
        if "tools" in memory:
            return
        tools = info.get("tools") or tools_from_observation(observation)
        memory["tools"] = [dict(tool) for tool in tools]
        policy = info.get("policy", "")
        memory["system"] = f"{SYSTEM_PROMPT}\n\n{policy}".rstrip()
        memory["queue"] = []

    async def act_async(self, observation: Any, info: dict[str, Any], episode: Episode) -> str:
        """Ask the model for the next action (or take the next queued tool call).

        Raises:
            StudentFailure: when the call fails for good; the reason comes from the client.
        """
        self.prepare(str(observation), info, episode)
        memory = episode.memory
        if memory["queue"]:
            return memory["queue"].pop(0)
        messages = [{"role": "system", "content": memory["system"]}]
        messages += events_to_messages(read_events(str(observation)))
        try:
            reply = await self._client.chat(messages, tools=memory["tools"])
        except LLMError as error:
            raise StudentFailure(error.reason) from error
        record_reply(episode, reply)
        if reply.tool_calls:
            actions = [_call_action(call) for call in reply.tool_calls]
            memory["queue"] = actions[1:]
            return actions[0]
        text = as_action_text(strip_reasoning(reply.text).strip(), MAX_MESSAGE)
        return json.dumps({"message": text})


def _call_action(call: Mapping[str, str]) -> str:
    """A reply's tool call as a JSON action; unreadable arguments are passed on as text."""
    try:
        arguments: Any = json.loads(call["arguments"]) if call["arguments"].strip() else {}
    except (ValueError, RecursionError):
        arguments = call["arguments"]
    return json.dumps({"tool": call["name"], "arguments": arguments})
