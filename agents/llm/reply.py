"""What a chat call returns, and reading it out of a server's JSON.

OpenAI-compatible servers differ in the details (content as a string or a list of parts,
arguments as a string or an object, usage present or not), so the reply is read here by
hand, leniently where the meaning is clear and with an :class:`LLMError` naming the problem
where it is not. The same reader serves fresh and cached replies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from betal_envs.errors import BetalError


class LLMError(BetalError):
    """A chat call failed for good (after any retries).

    Attributes:
        reason: a short sentence saying why, stable enough to group failures by; it never
            contains the API key.
        status: the HTTP status of the last answer, when there was one.
    """

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class ChatReply:
    """One assistant message and what it cost.

    Attributes:
        text: the message content (empty when the model only called tools).
        tool_calls: ``[{"id": ..., "name": ..., "arguments": "<JSON text>"}]``.
        prompt_tokens: input tokens the server reported.
        completion_tokens: output tokens the server reported (reasoning included).
        cost: US dollars, from the client's price table; 0 for a cached reply.
        cached: whether the reply came from the on-disk cache (no request was sent).
        finish_reason: the server's ``finish_reason`` (``"length"`` means cut short).
        model: the model that answered, as the server names it.
    """

    text: str
    tool_calls: list[dict[str, str]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cached: bool = False
    finish_reason: str | None = None
    model: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_message(self) -> dict[str, Any]:
        """The reply as an assistant message, ready to append to a chat history."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
                for call in self.tool_calls
            ]
        return message


def _clean(text: str) -> str:
    """``text`` with lone surrogates (``"\\ud800"`` escapes in the JSON) replaced by ``?``.

    They are legal in JSON but not in UTF-8, so they would fail every later write or request.
    """
    return text.encode("utf-8", "replace").decode("utf-8")


def _content_text(content: Any) -> str:
    """Message content as text: a string as is, a list of parts joined by their text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return _clean(content)
    if isinstance(content, list):
        texts = [part.get("text") for part in content if isinstance(part, Mapping)]
        return _clean("".join(text for text in texts if isinstance(text, str)))
    raise LLMError(f"reply content is a {type(content).__name__}, not text")


def _tool_call(call: Any, number: int) -> dict[str, str]:
    function = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise LLMError("reply has a tool call without a function name")
    arguments = function.get("arguments", "{}")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    call_id = call.get("id")
    return {
        "id": _clean(call_id) if isinstance(call_id, str) and call_id else f"call_{number}",
        "name": _clean(function["name"]),
        "arguments": _clean(arguments),
    }


def _count(usage: Mapping[str, Any], name: str) -> int:
    value = usage.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def reported_usage(body: Any) -> tuple[int, int]:
    """The prompt and completion tokens a reply body reports, ``(0, 0)`` where it reports none.

    Read separately from :func:`read_completion` so that a reply which cannot be used is still
    charged to the budget for what the server says it cost.
    """
    usage = body.get("usage") if isinstance(body, Mapping) else None
    if not isinstance(usage, Mapping):
        return 0, 0
    return _count(usage, "prompt_tokens"), _count(usage, "completion_tokens")


def read_completion(body: Any) -> ChatReply:
    """Read the first choice of a ``chat.completion`` JSON object.

    Returns:
        The reply with its token counts; ``cost`` is 0 and ``cached`` False (the client
        fills them in).

    Raises:
        LLMError: when the body is not a completion: not an object, an error object, no
            choices, or a choice without a message.
    """
    if not isinstance(body, Mapping):
        raise LLMError(f"reply is a JSON {type(body).__name__}, not a chat completion object")
    choices = body.get("choices")
    if not choices and isinstance(body.get("error"), Mapping):
        message = body["error"].get("message", "no message")
        raise LLMError(f"server answered with an error object: {_clean(str(message))[:200]}")
    if not isinstance(choices, list) or not choices:
        raise LLMError("reply has no choices")
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, Mapping) else None
    if not isinstance(message, Mapping):
        raise LLMError("reply's first choice has no message")
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise LLMError("reply's tool_calls is not a list")
    prompt_tokens, completion_tokens = reported_usage(body)
    finish_reason = choice.get("finish_reason")
    model = body.get("model")
    return ChatReply(
        text=_content_text(message.get("content")),
        tool_calls=[_tool_call(call, number) for number, call in enumerate(calls)],
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        model=model if isinstance(model, str) else "",
    )
