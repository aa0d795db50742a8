"""Cutting the final answer out of a model's reply.

Models asked to reason before answering write a paragraph and then a line such as
``Answer: (2, 3)``, ``**Final answer:** 17`` or ``\\boxed{17}``; reasoning models served
locally may also wrap their thoughts in ``<think>...</think>``. :func:`final_answer` returns
only the answer part when it can find one, and the whole reply otherwise; the template's own
lenient parser then reads it. :func:`as_action_text` makes the result a valid text action
(printable ASCII, bounded length).
"""

from __future__ import annotations

import re
import string
import unicodedata

_THINK_BLOCK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)

# "Answer: x", "Final answer: x", "**Answer:** x", "## Final Answer: x", "- answer: x".
_ANSWER_LINE = re.compile(
    r"^[\s>#*_`-]*(?:final\s+)?answer[\s*_`]*:[\s*_`]*(?P<rest>.*?)[\s*_`]*$",
    re.IGNORECASE,
)

_BOXED = re.compile(r"\\boxed\{")

# Characters models like that a text action cannot hold, mapped to ASCII.
_ASCII_LOOKALIKES = str.maketrans(
    {
        "\u2212": "-",  # minus sign
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00d7": "x",  # multiplication sign
        "\u2192": "->",
        "\u00b0": " degrees",
    }
)

_PRINTABLE = frozenset(string.printable)


def strip_reasoning(text: str) -> str:
    """``text`` without ``<think>...</think>`` blocks (an unclosed block runs to the end)."""
    return _THINK_BLOCK.sub("", text)


def _last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}``, braces balanced, or ``None``."""
    matches = list(_BOXED.finditer(text))
    if not matches:
        return None
    start = matches[-1].end()
    depth = 1
    for position in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[position], 0)
        if depth == 0:
            return text[start:position].strip()
    return None


def final_answer(text: str) -> str:
    """The answer part of a reply.

    In order of preference: what follows the last ``Answer:`` line (or the next non-empty
    line when it ends there), the last ``\\boxed{...}``, or the whole reply stripped of
    reasoning blocks and surrounding whitespace.

    Examples:
        >>> final_answer("The board turns twice.\\nAnswer: (2, 3)")
        '(2, 3)'
        >>> final_answer("**Final answer:**\\n17")
        '17'
        >>> final_answer("42")
        '42'
    """
    text = strip_reasoning(text)
    lines = text.splitlines()
    for number in range(len(lines) - 1, -1, -1):
        match = _ANSWER_LINE.match(lines[number])
        if match is None:
            continue
        rest = match.group("rest").strip()
        if rest:
            return rest
        following = [line.strip(" \t*_`") for line in lines[number + 1 :] if line.strip()]
        if following:
            return following[0]
    boxed = _last_boxed(text)
    return boxed if boxed else text.strip()


def as_action_text(text: str, max_chars: int) -> str:
    """``text`` as a valid text action: ASCII look-alikes replaced, other characters dropped.

    Args:
        text: the answer.
        max_chars: the longest action the template accepts; longer text keeps its end, where
            an answer sits when extraction found none.
    """
    normalized = unicodedata.normalize("NFKC", text).translate(_ASCII_LOOKALIKES)
    printable = "".join(char for char in normalized if char in _PRINTABLE)
    return printable[-max_chars:] if len(printable) > max_chars else printable
