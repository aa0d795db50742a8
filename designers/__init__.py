"""Designers: who chooses a template's parameters, and the tuning loop that drives them."""

from designers.base import DESIGNERS, Designer, DesignTask, Proposal, Trial

__all__ = ["DESIGNERS", "DesignTask", "Designer", "Proposal", "Trial"]
