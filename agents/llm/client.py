"""An asynchronous chat client for any OpenAI-compatible server, with the care a benchmark needs.

:class:`ChatClient` wraps ``openai.AsyncOpenAI`` and adds what evaluating hundreds of
instances takes:

* **A cap on requests in flight** (``concurrency``), shared by every coroutine on the loop.
* **Its own retries.** The openai client's retries are switched off so that the policy is
  visible and testable: HTTP 429 (honouring ``Retry-After`` up to ``max_wait``), 5xx,
  timeouts and dropped connections are retried with exponential backoff and jitter; other
  4xx answers are final. The jitter is drawn from the request's cache key, so a rerun waits
  the same, while different requests spread out.
* **Token and cost accounting** from the reply's ``usage`` and a :class:`PriceTable`.
* **Budgets.** Inside :func:`agents.budget.spending`, each request is admitted by the active
  :class:`~agents.budget.Budget` first and charged to it after; a spent budget raises
  :class:`~agents.budget.BudgetExhausted` instead of sending.
* **An on-disk cache** (:class:`~agents.llm.cache.ReplyCache`): an identical request is
  answered from disk, costs nothing and sends nothing.
* **Servers without structured output.** A 400 answer that mentions ``response_format`` or
  ``json_schema`` makes the client resend without it, and leave it out from then on.

The server is ``base_url`` or ``$OPENAI_BASE_URL`` (api.openai.com when neither is set),
with ``api_key`` or ``$OPENAI_API_KEY``; local servers that need no key get a placeholder.
The key never reaches the cache, the logs or an error message.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import random
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openai

from agents.budget import active_budget
from agents.llm.cache import ReplyCache, default_cache_dir, request_key
from agents.llm.prices import PriceTable
from agents.llm.reply import ChatReply, LLMError, read_completion, reported_usage
from betal_envs.errors import SpecError

__all__ = ["ChatClient", "ChatReply", "ChatSettings", "LLMError"]

logger = logging.getLogger(__name__)

#: Sent as the key to a server that needs none (vLLM and llama.cpp accept any key).
PLACEHOLDER_API_KEY = "EMPTY"

#: What stands in for the API key wherever a server echoes it back.
REDACTED = "<api key>"

#: Seconds allowed past ``timeout`` before a request is abandoned whatever the transport does.
_TIMEOUT_GRACE = 1.0

_STRUCTURED_OUTPUT_WORDS = ("response_format", "json_schema")


@dataclass
class ChatSettings:
    """What to ask the server, and how patiently.

    Attributes:
        model: the model name on the server.
        temperature: sampling temperature; ``None`` leaves the server's default (reasoning
            models accept no other).
        reasoning_effort: for reasoning models, e.g. ``"low"``, ``"medium"``, ``"high"``.
        timeout: seconds one request may take before it counts as timed out.
        max_retries: extra attempts after a 429, a 5xx, a timeout or a dropped connection.
        max_tokens: cap on completion tokens (sent as ``max_completion_tokens``).
        backoff: seconds before the first retry; doubled for each further one.
        max_wait: the longest single wait between attempts, ``Retry-After`` included.
    """

    model: str
    temperature: float | None = None
    reasoning_effort: str | None = None
    timeout: float = 60.0
    max_retries: int = 3
    max_tokens: int | None = None
    backoff: float = 1.0
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.model, str) or not self.model:
            problems.append(f"model={self.model!r} must name a model, e.g. 'gpt-4o-mini'")
        for name in ("timeout", "backoff", "max_wait"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                problems.append(f"{name}={value!r} must be a non-negative number of seconds")
        if self.timeout == 0:
            problems.append("timeout=0 would fail every request; give seconds, e.g. 60")
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            problems.append(f"max_retries={self.max_retries!r} must be an integer >= 0")
        if self.max_tokens is not None and (
            not isinstance(self.max_tokens, int) or self.max_tokens < 1
        ):
            problems.append(f"max_tokens={self.max_tokens!r} must be a positive integer or None")
        if problems:
            raise SpecError("invalid chat settings: " + "; ".join(problems) + ".")


class _Retryable(Exception):
    """An attempt failed in a way worth trying again (internal to the client)."""

    def __init__(self, reason: str, status: int | None = None, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait


@dataclass
class _Connection:
    """The openai client and the in-flight cap, both bound to one event loop.

    ``closer`` is a task that waits to be cancelled and then closes the client. ``asyncio.run``
    cancels the tasks left when its coroutine returns, while the loop still runs, so the
    connections are closed on their own loop even when nobody calls :meth:`ChatClient.aclose`
    (``evaluate()`` does not). Left open, they would be closed by the garbage collector from
    whatever loop runs next, which fails with "Event loop is closed". The task holds the
    client weakly, so a client dropped while its loop runs is still collected (and closed).
    """

    loop: asyncio.AbstractEventLoop
    openai: openai.AsyncOpenAI
    slots: asyncio.Semaphore
    closer: asyncio.Task[None]


async def _close_when_cancelled(client: weakref.ref[openai.AsyncOpenAI]) -> None:
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        alive = client()
        if alive is not None:
            await alive.close()


def retry_after(headers: Mapping[str, str], cap: float) -> float | None:
    """Seconds a 429 answer asks to wait (``retry-after-ms`` or ``Retry-After``), capped."""
    try:
        if "retry-after-ms" in headers:
            return min(cap, max(0.0, float(headers["retry-after-ms"]) / 1000))
        if "retry-after" in headers:
            value = headers["retry-after"]
            try:
                seconds = float(value)
            except ValueError:
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            return min(cap, max(0.0, seconds))
    except (TypeError, ValueError):
        logger.debug("ignoring unreadable Retry-After header")
    return None


def _error_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return body["message"]
    return str(error.message)


class ChatClient:
    """Chat completions from an OpenAI-compatible server (see the module docstring).

    Args:
        settings: the model and how to call it.
        base_url: the server, e.g. ``http://127.0.0.1:8000/v1``; ``$OPENAI_BASE_URL`` if
            ``None``.
        api_key: the key; ``$OPENAI_API_KEY`` if ``None``.
        concurrency: requests in flight at once, at most.
        cache_dir: where replies are cached; ``$BETAL_CACHE_DIR`` or ``~/.cache/betal`` if
            ``None``.
        use_cache: ``False`` disables the cache: nothing is read or written.
        prices: token prices; the built-in table if ``None``.

    Raises:
        LLMError: when neither a server address nor a key is configured.
        SpecError: for a concurrency below 1.

    The client binds to the event loop it first runs on and starts afresh on a new one, so
    it can serve successive ``asyncio.run`` calls; it must not be shared by two loops
    running at the same time.
    """

    def __init__(
        self,
        settings: ChatSettings,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 16,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
        prices: PriceTable | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if base_url is None and api_key is None:
            raise LLMError(
                "no OpenAI-compatible server is configured: set OPENAI_API_KEY to use "
                "api.openai.com, or OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1) for "
                "another server, or pass base_url/api_key."
            )
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise SpecError(f"concurrency={concurrency!r} must be an integer >= 1.")
        self.settings = settings
        self.base_url = base_url
        self.concurrency = concurrency
        self.cache = ReplyCache(cache_dir or default_cache_dir()) if use_cache else None
        self.prices = prices if prices is not None else PriceTable()
        #: Whether ``response_format`` is sent; turned off when the server rejects it.
        self.structured_output = True
        self._api_key = api_key or PLACEHOLDER_API_KEY
        self._connection: _Connection | None = None

    def __repr__(self) -> str:
        server = self.base_url or "api.openai.com"
        return f"ChatClient(model={self.settings.model!r}, server={server!r})"

    # -- public API -----------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        response_format: Mapping[str, Any] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> ChatReply:
        """Send one chat request (or read its cached reply).

        Args:
            messages: the chat history, OpenAI format.
            response_format: e.g. ``{"type": "json_schema", "json_schema": {...}}``.
            tools: function tools the model may call, OpenAI format.

        Raises:
            LLMError: when the call fails for good; ``reason`` says why.
        """
        request = {
            "model": self.settings.model,
            "messages": [dict(message) for message in messages],
            "response_format": None if response_format is None else dict(response_format),
            "tools": None if tools is None else [dict(tool) for tool in tools],
            "temperature": self.settings.temperature,
            "reasoning_effort": self.settings.reasoning_effort,
            "max_tokens": self.settings.max_tokens,
        }
        key = request_key(request)
        if self.cache is not None:
            body = self.cache.get(key)
            if body is not None:
                try:
                    return replace(read_completion(body), cached=True, cost=0.0)
                except LLMError as error:
                    logger.warning("ignoring cached reply %s: %s", key[:12], error.reason)
        budget = active_budget()
        if budget is not None:
            await budget.admit()
        spent = (0, 0.0)
        try:
            body = await self._send(request, key)
            # Charged before the reply is read: an unusable reply still cost what it reports.
            prompt_tokens, completion_tokens = reported_usage(body)
            cost = self.prices.cost(self.settings.model, prompt_tokens, completion_tokens)
            spent = (prompt_tokens + completion_tokens, cost)
            reply = read_completion(body)
            reply.cost = cost
        finally:
            if budget is not None:
                budget.settle(*spent)
        if self.cache is not None:
            self.cache.put(key, body)
        return reply

    def chat_sync(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        response_format: Mapping[str, Any] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> ChatReply:
        """:meth:`chat` for synchronous callers: runs it on a fresh event loop.

        Raises:
            LLMError: when the call fails for good, or when called inside a running loop
                (``await chat()`` there instead).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise LLMError("chat_sync() cannot run inside an event loop; await chat() instead.")

        async def chat_then_close() -> ChatReply:
            try:
                return await self.chat(messages, response_format=response_format, tools=tools)
            finally:
                await self.aclose()

        return asyncio.run(chat_then_close())

    async def aclose(self) -> None:
        """Close the connections opened on the running loop (a later call reopens them)."""
        connection, self._connection = self._connection, None
        if connection is not None and connection.loop is asyncio.get_running_loop():
            connection.closer.cancel()
            await connection.openai.close()

    # -- sending --------------------------------------------------------------------------

    def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        if self._connection is None or self._connection.loop is not loop:
            client = openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self.base_url,
                max_retries=0,
                timeout=self.settings.timeout,
            )
            closer = loop.create_task(_close_when_cancelled(weakref.ref(client)))
            self._connection = _Connection(
                loop, client, asyncio.Semaphore(self.concurrency), closer
            )
        return self._connection

    async def _send(self, request: Mapping[str, Any], key: str) -> Any:
        """The reply body, after as many attempts as the settings allow."""
        connection = self._connect()
        attempts = self.settings.max_retries + 1
        attempt = 0
        while True:
            try:
                async with connection.slots:
                    return await self._post(connection, request)
            except _Retryable as failure:
                attempt += 1
                if attempt == attempts:
                    noun = "attempt" if attempts == 1 else "attempts"
                    reason = f"{failure.reason}; gave up after {attempts} {noun}"
                    logger.info("chat request failed: %s", reason)
                    raise LLMError(reason, status=failure.status) from None
                wait = failure.wait if failure.wait is not None else self._backoff(key, attempt)
                logger.info(
                    "chat request %s (attempt %d of %d); retrying in %.2f s",
                    failure.reason,
                    attempt,
                    attempts,
                    wait,
                )
                await asyncio.sleep(wait)

    def _backoff(self, key: str, attempt: int) -> float:
        """Wait before retry ``attempt`` (1, 2, ...): exponential, jittered by the request's key.

        The ceiling is ``backoff * 2 ** (attempt - 1)`` capped at ``max_wait``; the wait is
        drawn in [50 %, 100 %] of it.
        """
        ceiling = min(self.settings.max_wait, self.settings.backoff * 2 ** (attempt - 1))
        return ceiling * random.Random(f"{key}:{attempt}").uniform(0.5, 1.0)

    def _arguments(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for ``chat.completions.create``, leaving out what is unset."""
        arguments: dict[str, Any] = {"model": request["model"], "messages": request["messages"]}
        optional = {
            "temperature": request["temperature"],
            "reasoning_effort": request["reasoning_effort"],
            "max_completion_tokens": request["max_tokens"],
            "tools": request["tools"],
            "response_format": request["response_format"] if self.structured_output else None,
        }
        arguments.update({name: value for name, value in optional.items() if value is not None})
        return arguments

    async def _post(self, connection: _Connection, request: Mapping[str, Any]) -> Any:
        """One attempt: the decoded body, a :class:`_Retryable`, or a final :class:`LLMError`."""
        arguments = self._arguments(request)
        create = connection.openai.chat.completions.with_raw_response.create
        try:
            raw = await asyncio.wait_for(
                create(**arguments), timeout=self.settings.timeout + _TIMEOUT_GRACE
            )
        except openai.BadRequestError as error:
            message = self._redact(_error_message(error))
            if "response_format" in arguments and any(
                word in message for word in _STRUCTURED_OUTPUT_WORDS
            ):
                self.structured_output = False
                logger.warning(
                    "the server rejected response_format (%s); sending requests without it "
                    "from now on",
                    message[:200],
                )
                return await self._post(connection, request)
            raise LLMError(f"request rejected (HTTP 400): {message[:300]}", status=400) from None
        except openai.RateLimitError as error:
            wait = retry_after(error.response.headers, self.settings.max_wait)
            raise _Retryable("was rate limited (HTTP 429)", 429, wait) from None
        except openai.APIStatusError as error:
            status = error.status_code
            if status >= 500:
                raise _Retryable(f"got a server error (HTTP {status})", status) from None
            message = self._redact(_error_message(error))
            raise LLMError(
                f"request rejected (HTTP {status}): {message[:300]}", status=status
            ) from None
        except (openai.APITimeoutError, asyncio.TimeoutError):
            raise _Retryable(f"timed out after {self.settings.timeout:g} s") from None
        except openai.APIConnectionError as error:
            cause = type(error.__cause__).__name__ if error.__cause__ else "no answer"
            raise _Retryable(f"lost the connection ({cause})") from None
        content = self._redact_bytes(raw.content)
        try:
            return json.loads(content)
        except (ValueError, RecursionError):
            # RecursionError: nesting deeper than the decoder follows.
            raise LLMError(
                f"reply body is not valid JSON ({len(content)} bytes)", status=raw.status_code
            ) from None

    def _redact(self, text: str) -> str:
        """``text`` with the API key blanked out, should a server echo it."""
        if self._api_key and self._api_key != PLACEHOLDER_API_KEY:
            return text.replace(self._api_key, REDACTED)
        return text

    def _redact_bytes(self, body: bytes) -> bytes:
        """A reply body with the API key blanked out before anything reads, logs or caches it."""
        if self._api_key and self._api_key != PLACEHOLDER_API_KEY:
            return body.replace(self._api_key.encode(), REDACTED.encode())
        return body
