"""LLM students over any OpenAI-compatible server, and the chat plumbing they share.

* :mod:`agents.llm.client`: :class:`ChatClient`, an async chat client with a cap on requests
  in flight, retries, token and cost accounting and an on-disk cache.
* :mod:`agents.llm.student`: the ``openai`` student for question templates.
* :mod:`agents.llm.extract`: cutting the final answer out of a reasoned reply.
* :mod:`agents.llm.prices`, :mod:`agents.llm.cache`: the price table and the reply cache.
"""

from agents.llm.client import ChatClient, ChatReply, ChatSettings, LLMError
from agents.llm.prices import Price, PriceTable

__all__ = ["ChatClient", "ChatReply", "ChatSettings", "LLMError", "Price", "PriceTable"]
