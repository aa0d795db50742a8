"""The LLM student: a model behind an OpenAI-compatible server answers a template's questions.

Spec: ``openai:model=gpt-4o-mini,temperature=0,concurrency=16,timeout=60``. The student reads
the text observation (the question), sends it with a system prompt for the template, and
returns the answer part of the reply; the template's lenient parser reads it and judges it.
Tokens, cost and requests go into the :class:`~agents.student.Episode`; a call that fails for
good (timeouts, server errors, after retries) raises :class:`~agents.student.StudentFailure`
with the reason, and the evaluator records the episode as failed.

The chat history lives in ``episode.memory["messages"]``, so one student object plays many
episodes at once and a template with several turns would continue the same conversation.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from agents.llm.client import ChatClient, ChatReply, ChatSettings, LLMError
from agents.llm.extract import as_action_text, final_answer
from agents.llm.prices import PriceTable
from agents.registry import STUDENTS
from agents.student import Episode, Student, StudentFailure
from betal_envs.errors import BetalError, SpecError
from betal_envs.question import QuestionTemplate

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are taking a test made of self-contained questions. Read the question carefully; "
    "it states every rule you need. Work it out step by step if that helps, then finish "
    "with one final line of the form 'Answer: <answer>', giving the answer in exactly the "
    "format the question asks for."
)

#: Additions to :data:`SYSTEM_PROMPT` for particular templates.
TEMPLATE_PROMPTS: dict[str, str] = {
    "BeTaL/SpatialGrid-v0": (
        "Keep a written record of every particle's row, column and facing, and update it "
        "after each numbered operation in order. Remember that edges wrap around and that "
        "rotating the board also turns the particles on it. Ignore sentences that describe "
        "a change which does not happen."
    ),
    "BeTaL/ArithmeticSequence-v0": (
        "Find the rule that generates every shown term before extending the sequence, and "
        "check it against all of them; answer with the integer alone."
    ),
}


def system_prompt(env_id: str) -> str:
    """The system prompt for a template: the generic one plus the template's addition."""
    addition = TEMPLATE_PROMPTS.get(env_id)
    return f"{SYSTEM_PROMPT}\n\n{addition}" if addition else SYSTEM_PROMPT


def record_reply(episode: Episode, reply: ChatReply) -> None:
    """Add a reply's tokens, cost and request count to the episode's accounts."""
    episode.prompt_tokens += reply.prompt_tokens
    episode.completion_tokens += reply.completion_tokens
    episode.cost += reply.cost
    if reply.cached:
        episode.cached_requests += 1
    else:
        episode.requests += 1


@STUDENTS.register("openai")
@dataclass
class OpenAIStudent(Student):
    """A model on an OpenAI-compatible server (``$OPENAI_BASE_URL``, ``$OPENAI_API_KEY``)."""

    model: str = field(default="gpt-4o-mini", metadata={"doc": "model name on the server"})
    temperature: float | None = field(
        default=None, metadata={"doc": "sampling temperature; none keeps the server's default"}
    )
    reasoning_effort: str | None = field(
        default=None, metadata={"doc": "for reasoning models: low, medium or high"}
    )
    max_tokens: int | None = field(
        default=None, metadata={"doc": "cap on completion tokens per answer"}
    )
    timeout: float = field(default=60.0, metadata={"doc": "seconds per request"})
    max_retries: int = field(default=3, metadata={"doc": "retries on 429, 5xx and timeouts"})
    concurrency: int = field(
        default=16, metadata={"doc": "episodes (and requests) in flight at once"}
    )
    cache: bool = field(default=True, metadata={"doc": "reuse identical earlier replies"})
    prices: str | None = field(
        default=None, metadata={"doc": "JSON file of token prices adding to the built-in ones"}
    )
    _client: ChatClient = field(init=False, repr=False, compare=False)

    name = "openai"
    obs_mode = "text"
    templates = ()

    def __post_init__(self) -> None:
        if isinstance(self.concurrency, bool) or self.concurrency < 1:
            raise SpecError(f"concurrency={self.concurrency!r} must be an integer >= 1.")
        settings = ChatSettings(
            model=self.model,
            temperature=self.temperature,
            reasoning_effort=self.reasoning_effort,
            timeout=self.timeout,
            max_retries=self.max_retries,
            max_tokens=self.max_tokens,
        )
        self._client = ChatClient(
            settings,
            concurrency=self.concurrency,
            use_cache=self.cache,
            prices=PriceTable.load(self.prices),
        )

    @property
    def client(self) -> ChatClient:
        """The chat client the student asks (shared by all its episodes)."""
        return self._client

    def describe(self) -> str:
        settings = [f"model={self.model}"]
        if self.temperature is not None:
            settings.append(f"temperature={self.temperature:g}")
        if self.reasoning_effort is not None:
            settings.append(f"reasoning_effort={self.reasoning_effort}")
        return f"{self.name}:{','.join(settings)}"

    def messages(self, observation: str, episode: Episode) -> list[dict[str, Any]]:
        """The episode's chat history with ``observation`` appended as the user's turn."""
        history = episode.memory.setdefault(
            "messages", [{"role": "system", "content": system_prompt(episode.env_id)}]
        )
        history.append({"role": "user", "content": str(observation)})
        return history

    async def act_async(self, observation: Any, info: dict[str, Any], episode: Episode) -> str:
        """Ask the model and return the answer part of its reply as a text action.

        Raises:
            StudentFailure: when the call fails for good; the reason comes from the client.
        """
        messages = self.messages(observation, episode)
        try:
            reply = await self._client.chat(messages)
        except LLMError as error:
            raise StudentFailure(error.reason) from error
        record_reply(episode, reply)
        messages.append(reply.as_message())
        if reply.finish_reason == "length":
            logger.debug("episode %s/%s: reply cut at max_tokens", episode.seed, episode.index)
        return as_action_text(final_answer(reply.text), QuestionTemplate.max_answer_chars)

    def act(self, observation: Any, info: dict[str, Any], episode: Episode) -> str:
        """Synchronous :meth:`act_async`, for callers outside an event loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._act_then_close(observation, info, episode))
        raise BetalError(
            "OpenAIStudent.act() cannot run inside an event loop; await act_async() instead."
        )

    async def _act_then_close(
        self, observation: Any, info: dict[str, Any], episode: Episode
    ) -> str:
        try:
            return await self.act_async(observation, info, episode)
        finally:
            await self._client.aclose()
