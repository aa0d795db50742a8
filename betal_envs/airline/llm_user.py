"""A simulated user played by a model on an OpenAI-compatible server (not the default).

The model is told the user's goal (every request with all its details), how cooperative to
be and whether to bring requests up one at a time, and answers the agent's messages; the
opening message is the rule-based one, so a reset sends no request. A rule-based user runs
alongside on the same agent messages and keeps the record the judge reads (which requests
were addressed, refused, answered), so success is judged the same way; its pointer follows
the agent's outcomes, which a free-speaking model may not, so with this user the record is
an approximation. The model signals the end of its goal with :data:`DONE_MARK`.

A call that fails for good (after the client's retries) gives a fixed reply and adds a
reason to ``failures``, which fails the episode.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
from collections.abc import Mapping
from typing import Any

from betal_envs.airline.tasks import AirlineInstance
from betal_envs.airline.user import RuleUser, UserReply

logger = logging.getLogger(__name__)

DONE_MARK = "###DONE###"
_YES = re.compile(r"^\W*(yes|yeah|yep|sure|correct|please do|go ahead|i confirm)\b", re.I)


def goal_prompt(instance: AirlineInstance, params: Mapping[str, Any]) -> str:
    """The system prompt that tells the model whom it plays and what it wants."""
    goals = "\n".join(
        f"{number}. {request.restatement()}" for number, request in enumerate(instance.requests, 1)
    )
    pace = (
        "State all your goals in your first message."
        if instance.all_at_once
        else "Bring up one goal at a time, in order; move on only once the agent has dealt "
        "with the current one (done it or refused it)."
    )
    reveal = (
        "Give a detail (an id, a reason, a payment method, passengers, bags...) only when "
        "the agent asks for it."
        if params["cooperativeness"] < 0.5
        else "Give the details of a goal when you bring it up."
    )
    return (
        "You play a customer writing to an airline's customer-service agent. Stay in role; "
        "write one to three short sentences per message, as the customer.\n"
        f"Your user id is {instance.user_id}. Your goals:\n{goals}\n\n"
        f"{pace} {reveal} When the agent asks you to confirm a change that matches your "
        "goal, answer starting with 'Yes'. If the agent refuses something, accept it and go "
        "on. Never make up details that are not listed here. Once every goal is dealt with, "
        f"say goodbye and end that message with {DONE_MARK}."
    )


def default_client(model: str) -> Any:
    """A chat client for ``model`` on the configured server, at temperature 0.

    Raises:
        LLMError: when no server is configured (the message says which variables to set).
    """
    from agents.llm.client import ChatClient, ChatSettings

    return ChatClient(ChatSettings(model=model, temperature=0.0))


class LLMUser(RuleUser):
    """The user of one instance, played by a model (see the module docstring).

    Args:
        instance: the instance whose user this is.
        params: the template's parameters (cooperativeness is read).
        model: the model name, used when ``client`` is ``None``.
        client: an :class:`agents.llm.ChatClient` (see :func:`default_client`).
    """

    def __init__(
        self,
        instance: AirlineInstance,
        params: Mapping[str, Any],
        *,
        model: str = "gpt-4o-mini",
        client: Any = None,
    ) -> None:
        super().__init__(instance)
        self.client = client if client is not None else default_client(model)
        self.failures: list[str] = []
        self.messages: list[dict[str, str]] = [
            {"role": "system", "content": goal_prompt(instance, params)},
            {"role": "assistant", "content": instance.opening},
        ]

    def reply(self, message: str) -> UserReply:
        tracked = super().reply(message)
        self.messages.append({"role": "user", "content": message})
        text = self._ask()
        self.messages.append({"role": "assistant", "content": text})
        done = DONE_MARK in text
        text = text.replace(DONE_MARK, "").strip() or "Goodbye."
        self.done = done
        confirms = _YES.match(text) is not None
        logger.debug("simulated user (tracked %r) said %r", tracked.text, text)
        return UserReply(text, confirms=confirms)

    def _ask(self) -> str:
        from agents.llm.reply import LLMError

        try:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return self.client.chat_sync(self.messages).text
            # Inside a running loop (an async student's evaluation): ask from another thread.
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(self.client.chat_sync, self.messages).result().text
        except LLMError as error:
            logger.warning("the simulated user's model failed: %s", error.reason)
            self.failures.append(f"the simulated user could not answer: {error.reason}")
            return "Sorry, could you say that again?"
