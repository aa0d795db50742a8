"""The arithmetic-sequence template in words: the prompt a student reads and the answers it writes.

The prompt shows the terms, lists every kind of rule that may have made them (with the
degree and order limits), says that the terms shown settle the answer, asks for one later
term and states the answer format. Answers are read leniently and judged strictly: a reply
may reason at length and write ``Answer: 345``, ``a_12 = 345``, ``The answer is -17.`` or just
``345``. The reader takes the first number after the last "answer" marker; failing that, the
first number after the last ``a_12 =`` naming the asked index; failing that, the last number
in the reply. Index labels such as ``a_12`` are never read as answers, thousands separators
(``1,234,567``) are understood, and a number with a non-zero fractional part is not an
answer.
"""

from __future__ import annotations

import re

from betal_envs.arithmetic_sequence.families import (
    ALTERNATING,
    ARITHMETIC,
    GEOMETRIC,
    INTERLEAVED,
    POLYNOMIAL,
    RECURRENCE,
)
from betal_envs.arithmetic_sequence.generator import SequenceInstance

#: One line per family, as the prompt lists them; ``{degree}`` and ``{order}`` are the limits.
FAMILY_LINES: dict[str, str] = {
    ARITHMETIC: "arithmetic: each term is the previous term plus a fixed whole number.",
    GEOMETRIC: "geometric: each term is the previous term times a fixed whole number.",
    POLYNOMIAL: "polynomial: a_n is a polynomial in n (n = 1, 2, 3, ...) of degree at most "
    "{degree}.",
    RECURRENCE: "linear recurrence: for some k from 1 to {order} and fixed whole numbers c_1, "
    "..., c_k, every term from a_(k+1) on is c_1*a_(n-1) + c_2*a_(n-2) + ... + c_k*a_(n-k).",
    INTERLEAVED: "interleaved: the odd-numbered terms a_1, a_3, a_5, ... follow one arithmetic "
    "or geometric rule and the even-numbered terms a_2, a_4, a_6, ... follow another.",
    ALTERNATING: "alternating operations: two operations, each either adding a fixed whole "
    "number or multiplying by a fixed whole number, take turns: the first gives a_2 from a_1, "
    "the second gives a_3 from a_2, the first again gives a_4 from a_3, and so on.",
}


def answer_format(asked: int) -> str:
    """How a reply must end (safe to show before the answer)."""
    return (
        f'End your reply with the line "Answer: N", where N is the whole number a_{asked}, '
        'for example "Answer: -17".'
    )


def family_lines(families: tuple[str, ...], max_degree: int, max_order: int) -> list[str]:
    """The bullet list of possible rules, in the order of ``families``."""
    return [
        "- " + FAMILY_LINES[family].format(degree=max_degree, order=max_order)
        for family in families
    ]


def prompt(instance: SequenceInstance) -> str:
    """The whole instance as a person (or an LLM) would read it."""
    count, asked = len(instance.shown), instance.asked
    lines = [
        "Integer sequence puzzle.",
        "",
        f"The first {count} terms of an integer sequence, a_1 to a_{count}, are:",
        ", ".join(map(str, instance.shown)),
        "",
        "The sequence was made by a rule of one of these kinds:",
        *family_lines(instance.families, instance.max_degree, instance.max_order),
        "",
        "No other kind of rule is used. The terms shown settle the question: every rule of "
        f"these kinds that gives all of them gives the same a_{asked}.",
        "",
        f"Question: What is a_{asked}?",
        answer_format(asked),
    ]
    return "\n".join(lines)


def format_answer(answer: int) -> str:
    """The canonical text of an answer: the plain whole number."""
    return str(answer)


# -- reading answers ----------------------------------------------------------------------

_DASHES = re.compile("[\u2212\u2012\u2013\u2014\ufe63\uff0d](?=\\s*\\d)")


def _label(index: str) -> str:
    """A pattern for an index label such as ``a_12``, ``a_{12}``, ``a12``, ``a(12)``, ``a[12]``."""
    return rf"\ba(?:\s*_\s*\{{?\s*{index}\s*\}}?|{index}|\s*[\[(]\s*{index}\s*[\])])"


_LABEL = re.compile(_label(r"\d+"), re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])([+-]?)(\d{1,3}(?:,\d{3})+|\d+)((?:\.\d+)?)(?![\w]|\.\d)")
_MARKER = re.compile(r"\banswer\b\**\s*(?:is\b|[:=])", re.IGNORECASE)


def _numbers(text: str) -> list[tuple[int, int | None]]:
    """Every number outside index labels, with its position; ``None`` for non-integers."""
    found: list[tuple[int, int | None]] = []
    for match in _NUMBER.finditer(text):
        sign, digits, fraction = match.groups()
        if fraction.strip(".0"):
            found.append((match.start(), None))
        else:
            value = int(digits.replace(",", ""))
            found.append((match.start(), -value if sign == "-" else value))
    return found


def parse_integer(text: str, asked: int | None = None) -> int | None:
    """Read a whole-number answer out of free text (see the module docstring for the rules).

    Args:
        text: the reply.
        asked: the asked index, so that ``a_12 = 345`` is read as an answer for ``asked=12``.

    Returns:
        The answer, or ``None`` when the reply holds no whole number where one is expected.
    """
    text = _DASHES.sub("-", text)
    # Blank the labels out (keeping positions) so their digits are never taken as answers.
    blanked = _LABEL.sub(lambda m: " " * len(m.group()), text)
    numbers = _numbers(blanked)
    if not numbers:
        return None
    markers = list(_MARKER.finditer(text))
    if asked is not None and not markers:
        label = re.compile(_label(str(asked)) + r"(?!\d)\s*(?:=|is\b)", re.IGNORECASE)
        markers = list(label.finditer(text))
    if markers:
        after = [value for start, value in numbers if start >= markers[-1].end()]
        if after:
            return after[0]
    return numbers[-1][1]
