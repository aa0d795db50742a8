"""What a chat call costs: a table of token prices per model.

Prices are US dollars per million tokens, one for prompt (input) tokens and one for
completion (output) tokens; reasoning tokens are billed as completion tokens and servers
count them there. A model missing from the table costs 0, with one warning per model, so a
local server never blocks a run; give its price to make the cost column meaningful.

The built-in table holds a few well-known models. Override or extend it with a JSON file or
a mapping of the same shape::

    {"my-model": {"input": 0.5, "output": 1.5}, "gpt-4o": [2.5, 10.0]}
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from betal_envs.errors import BetalError

logger = logging.getLogger(__name__)


class PriceTableError(BetalError, ValueError):
    """A price table file or mapping could not be read."""


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


# Standard (non-batch, non-cached-input) list prices from the OpenAI API pricing page,
# https://openai.com/api/pricing/, as published in August 2025.
BUILTIN_PRICES: dict[str, Price] = {
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "o3": Price(2.00, 8.00),
    "o4-mini": Price(1.10, 4.40),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
}

_warned_models: set[str] = set()


def _price_from(model: str, value: Any) -> Price:
    if isinstance(value, Mapping) and set(value) == {"input", "output"}:
        numbers = (value["input"], value["output"])
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        numbers = tuple(value)
    elif isinstance(value, Price):
        return value
    else:
        raise PriceTableError(
            f"price of {model!r} is {value!r}; write {{'input': USD, 'output': USD}} per "
            "million tokens, or [input, output]."
        )
    if not all(
        isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) and n >= 0
        for n in numbers
    ):
        raise PriceTableError(
            f"price of {model!r} is {value!r}; both prices must be non-negative numbers "
            "(US dollars per million tokens)."
        )
    return Price(float(numbers[0]), float(numbers[1]))


class PriceTable:
    """Token prices per model, the built-in ones overridden by ``prices``.

    A model is looked up by its exact name, then by the longest known name it extends with
    a dash, so the dated snapshot ``gpt-4o-2024-08-06`` is priced as ``gpt-4o`` and
    ``gpt-4o-mini-2024-07-18`` as ``gpt-4o-mini``.

    Args:
        prices: model -> ``Price``, ``{"input": x, "output": y}`` or ``[x, y]``.
        builtin: start from :data:`BUILTIN_PRICES` (``False`` for a table of only ``prices``).

    Raises:
        PriceTableError: for a price that is not two non-negative numbers.
    """

    def __init__(self, prices: Mapping[str, Any] | None = None, *, builtin: bool = True) -> None:
        self.prices: dict[str, Price] = dict(BUILTIN_PRICES) if builtin else {}
        for model, value in (prices or {}).items():
            self.prices[str(model)] = _price_from(str(model), value)

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any] | None) -> PriceTable:
        """The built-in table extended by a JSON file (a path) or a mapping; ``None`` adds none.

        Raises:
            PriceTableError: when the file is missing or not a JSON object of prices.
        """
        if source is None or isinstance(source, Mapping):
            return cls(source)
        path = Path(source).expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise PriceTableError(
                f"cannot read price table {str(path)!r}: {error.strerror}; give the path of a "
                'JSON file such as {"my-model": {"input": 0.5, "output": 1.5}}.'
            ) from None
        except ValueError as error:
            raise PriceTableError(
                f"price table {str(path)!r} is not valid JSON: {error}; fix the file."
            ) from None
        if not isinstance(data, Mapping):
            raise PriceTableError(
                f"price table {str(path)!r} holds a {type(data).__name__}; it must be a JSON "
                "object mapping model names to prices."
            )
        return cls(data)

    def lookup(self, model: str) -> Price | None:
        """The price of ``model``, or ``None`` when the table does not know it."""
        if model in self.prices:
            return self.prices[model]
        extended = [name for name in self.prices if model.startswith(name + "-")]
        return self.prices[max(extended, key=len)] if extended else None

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        """US dollars for one call; 0 (and one warning per model) when the price is unknown."""
        price = self.lookup(model)
        if price is None:
            if model not in _warned_models:
                _warned_models.add(model)
                logger.warning(
                    "no price known for model %r; its calls are counted as costing 0. Give its "
                    'price with a JSON file: {"%s": {"input": USD, "output": USD}} per '
                    "million tokens.",
                    model,
                    model,
                )
            return 0.0
        return price.cost(prompt_tokens, completion_tokens)
