"""Designers: who chooses a template's parameters, and the tuning loop that drives them.

Importing the package registers every designer: ``random``, ``random-replay``, ``bayes``
(the default), and the LLM designers ``llm``, ``llm-oneshot`` and ``best-of-n``.
"""

from designers import bayes, llm, random  # noqa: F401  (register the designers)
from designers.base import DESIGNERS, Designer, DesignTask, Proposal, Trial
from designers.tuning import TuningConfig, TuningResult, tune

__all__ = [
    "DESIGNERS",
    "DesignTask",
    "Designer",
    "Proposal",
    "Trial",
    "TuningConfig",
    "TuningResult",
    "tune",
]
