"""A tiny question template and student for testing the loop without a real template.

``Toy-v0`` asks for the sum of two numbers; the ``toy-noisy`` student answers right with
probability ``1 - difficulty / 100`` (shifted by ``bias``), so the rate is a known function of
the parameters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from agents.registry import STUDENTS
from agents.student import Episode, Student
from betal_envs.params import BoolParam, IntParam, ParameterSpace
from betal_envs.question import QuestionTemplate
from betal_envs.registration import TEMPLATES, register_templates

TOY_ID = "BeTaL/Toy-v0"


@dataclass(frozen=True)
class ToyInstance:
    a: int
    b: int
    difficulty: int

    @property
    def gold(self) -> int:
        return self.a + self.b


class ToyEnv(QuestionTemplate):
    """Toy: what is a + b. Parameters: `difficulty`, `spare`."""

    space = ParameterSpace(
        TOY_ID,
        (
            IntParam(
                "difficulty", "how often the toy student errs, in percent", 0, 100, 50, "higher"
            ),
            BoolParam("spare", "a parameter with no effect", False),
        ),
    )
    env_id = TOY_ID
    default_student = "toy-noisy"
    summary = "A toy template: add two numbers; difficulty sets the toy student's error rate."

    def _array_spaces(self):
        return gym.spaces.Box(0, 100, (3,), np.float32), gym.spaces.Discrete(200)

    def _new_instance(self, seed: int) -> ToyInstance:
        rng = random.Random(seed)
        return ToyInstance(rng.randrange(100), rng.randrange(100), self.params["difficulty"])

    def prompt(self, instance: ToyInstance) -> str:
        return f"difficulty {instance.difficulty}: what is {instance.a} + {instance.b}?"

    def array_observation(self, instance: ToyInstance) -> np.ndarray:
        return np.array([instance.a, instance.b, instance.difficulty], dtype=np.float32)

    def parse_answer(self, text: str, instance: Any) -> int | None:
        digits = "".join(c for c in text if c.isdigit())
        return int(digits) if digits else None

    def answer_from_index(self, index: int, instance: Any) -> int:
        return index

    def format_answer(self, answer: Any) -> str:
        return str(answer)

    def _render_text(self) -> str:
        return self.prompt(self.instance)

    def _render_rgb(self) -> np.ndarray:
        return np.zeros((8, 8, 3), dtype=np.uint8)


@STUDENTS.register("toy-noisy")
@dataclass
class ToyStudent(Student):
    """Right with probability 1 - difficulty/100 + bias."""

    bias: float = field(default=0.0, metadata={"doc": "added to the success probability"})

    name = "toy-noisy"
    templates = (TOY_ID,)

    def act(self, observation: str, info: dict[str, Any], episode: Episode) -> str:
        words = observation.replace("?", "").split()
        difficulty, a, b = int(words[1].rstrip(":")), int(words[-3]), int(words[-1])
        rng = random.Random(episode.seed * 1_000_003 + episode.index)
        right = rng.random() < 1 - difficulty / 100 + self.bias
        return str(a + b if right else a + b + 1)


def install() -> None:
    """Register the toy template (idempotent)."""
    TEMPLATES.setdefault(TOY_ID, "tests.toy_template:ToyEnv")
    register_templates()
