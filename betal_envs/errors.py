"""The error classes of the suite and the "did you mean" helper they share.

Every error a user can cause derives from :class:`BetalError`, and also from the built-in
class a Python programmer would expect (``ValueError`` for a bad value, ``KeyError``-free
lookups answered with a suggestion instead), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BetalError(Exception):
    """Base class of every error raised on purpose by the suite."""


class ParameterError(BetalError, ValueError):
    """A parameter mapping failed validation.

    Attributes:
        problems: one readable sentence per problem found; all are listed at once so that a
            user (or an LLM designer) can fix everything in one go.
    """

    def __init__(self, template: str, problems: list[str]) -> None:
        self.template = template
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(
            f"invalid parameters for {template} ({len(self.problems)} {noun}):\n{lines}"
        )


class UnknownNameError(BetalError, ValueError):
    """A name (template, student, designer, setting) is not known; the message suggests one."""


class SpecError(BetalError, ValueError):
    """A ``name:key=value,...`` specification could not be parsed or has a bad setting."""


class ConfigError(BetalError, ValueError):
    """A run's settings (target, budgets, episode counts) are not acceptable."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown_name(kind: str, name: str, choices: Iterable[str]) -> UnknownNameError:
    """Build the error for an unknown ``kind`` called ``name``, listing what exists."""
    choices = sorted(choices)
    return UnknownNameError(
        f"unknown {kind} '{name}'.{did_you_mean(name, choices)} Known: {', '.join(choices)}."
    )
