"""Students: reference solvers, LLM agents and RL agents, and how they are evaluated."""

from agents.evaluation import Evaluation, evaluate, wilson_interval
from agents.registry import STUDENTS, make_student
from agents.student import Episode, Student, StudentFailure

__all__ = [
    "STUDENTS",
    "Episode",
    "Evaluation",
    "Student",
    "StudentFailure",
    "evaluate",
    "make_student",
    "wilson_interval",
]
