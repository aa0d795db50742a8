"""The BeTaL designer and the paper's LLM baselines, over any OpenAI-compatible server.

* ``llm``: sees every past trial with feedback in words and proposes the next parameters.
* ``llm-oneshot``: one proposal from the description alone, no feedback (the run stops
  after it).
* ``best-of-n``: ``n`` proposals at once from the description alone, each evaluated; the
  best is kept.

The server is the one ``OPENAI_BASE_URL`` names (OpenAI when unset), with the key from
``OPENAI_API_KEY``. A reply that cannot be read, or a call that fails for good, becomes a
:class:`~designers.base.Proposal` with ``params=None`` and the reason, which the loop
records as a ``designer_error`` trial and feeds back; it never ends the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar

from designers.base import DESIGNERS, Designer, DesignTask, Proposal, Trial
from designers.prompt import SYSTEM_PROMPT, design_prompt, parse_proposal, reply_schema

logger = logging.getLogger(__name__)


@dataclass
class _LLMSettings:
    model: str = field(default="gpt-4o-mini", metadata={"doc": "model name on the server"})
    temperature: float | None = field(default=None, metadata={"doc": "sampling temperature"})
    reasoning_effort: str | None = field(
        default=None, metadata={"doc": "for reasoning models: low, medium or high"}
    )
    timeout: float = field(default=60.0, metadata={"doc": "seconds per request"})
    max_retries: int = field(default=3, metadata={"doc": "retries on 429, 5xx and timeouts"})
    structured: bool = field(
        default=True, metadata={"doc": "ask for JSON Schema structured output"}
    )
    cache: bool = field(default=True, metadata={"doc": "reuse identical earlier replies"})


class _ChatDesigner(Designer):
    """Shared plumbing: the client, one call, and turning a reply into a proposal."""

    uses_llm: ClassVar[bool] = True

    def start(self, task: DesignTask) -> None:
        from agents.llm.client import ChatClient, ChatSettings

        super().start(task)
        settings = ChatSettings(
            model=self.model,
            temperature=self.temperature,
            reasoning_effort=self.reasoning_effort,
            timeout=self.timeout,
            max_retries=self.max_retries,
        )
        self._client = ChatClient(settings, concurrency=1, use_cache=self.cache)

    def _ask(self, prompt: str, response_format: dict[str, Any] | None) -> tuple[str, int, float]:
        """One chat call; returns the text, tokens and cost, or raises ``LLMError``."""
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": prompt},
        ]
        reply = self._client.chat_sync(messages, response_format=response_format)
        return reply.text, reply.prompt_tokens + reply.completion_tokens, reply.cost

    def _propose_from(self, prompt: str) -> Proposal:
        from agents.llm.client import LLMError

        schema = reply_schema(self.task) if self.structured else None
        try:
            text, tokens, cost = self._ask(prompt, schema)
        except LLMError as error:
            logger.warning("designer call failed: %s", error.reason)
            return Proposal(None, error=f"LLM call failed: {error.reason}")
        try:
            params, rationale = parse_proposal(text, self.task.space.names)
        except ValueError as error:
            return Proposal(None, error=str(error), tokens=tokens, cost=cost, raw=text)
        return Proposal(params, rationale=rationale, tokens=tokens, cost=cost, raw=text)

    def describe(self) -> str:
        """The spec with the model always named, then any other changed setting."""
        changed = super().describe().partition(":")[2].split(",")
        others = [item for item in changed if item and not item.startswith("model=")]
        return f"{self.name}:" + ",".join([f"model={self.model}", *others])


@DESIGNERS.register("llm")
@dataclass
class LLMDesigner(_LLMSettings, _ChatDesigner):
    """The BeTaL designer: every past trial and feedback in words, then the next proposal."""

    name = "llm"

    def propose(self, history: list[Trial]) -> Proposal:
        return self._propose_from(design_prompt(self.task, history, with_feedback=True))


@DESIGNERS.register("llm-oneshot")
@dataclass
class OneShotDesigner(_LLMSettings, _ChatDesigner):
    """The paper's one-shot baseline: one proposal from the description, no feedback."""

    name = "llm-oneshot"
    proposal_limit: ClassVar[int | None] = 1

    def propose(self, history: list[Trial]) -> Proposal:
        return self._propose_from(design_prompt(self.task, [], with_feedback=False))


@DESIGNERS.register("best-of-n")
@dataclass
class BestOfNDesigner(_LLMSettings, _ChatDesigner):
    """The paper's best-of-N baseline: independent proposals without feedback; best kept.

    Each proposal is its own request with the same feedback-free prompt (distinct samples at
    the server's temperature; a ``sample`` counter in the prompt keeps cached replies apart).
    """

    n: int = field(default=0, metadata={"doc": "proposals; 0 means the run's iterations"})

    name = "best-of-n"

    @property
    def proposal_limit(self) -> int | None:  # type: ignore[override]
        return self.n or None

    def propose(self, history: list[Trial]) -> Proposal:
        prompt = design_prompt(self.task, [], with_feedback=False)
        return self._propose_from(f"{prompt}\n(independent sample {len(history) + 1})")
