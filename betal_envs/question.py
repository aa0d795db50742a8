"""Templates whose episode is one question and one answer.

The student sees the instance (a prompt in text mode, arrays in array mode) and answers once.
Text answers are parsed leniently by the template and judged strictly; array answers are an
index into the template's fixed answer set. The final step's ``info`` carries ``success``,
the parsed ``answer`` and the ``gold`` answer; nothing earlier reveals the gold answer.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from betal_envs.template import TEXT_CHARSET, Template


class QuestionTemplate(Template):
    """Base for one-step question-answer templates.

    Subclasses implement the hooks below; the instance they generate must have a ``gold``
    attribute holding the answer in the template's canonical (hashable) form.
    """

    default_max_steps: ClassVar[int] = 1
    #: Longest prompt a text observation may hold.
    max_prompt_chars: ClassVar[int] = 32_000
    #: Longest text answer accepted as an action.
    max_answer_chars: ClassVar[int] = 4_000

    def _spaces(self) -> tuple[gym.Space, gym.Space]:
        if self.obs_mode == "text":
            observation = gym.spaces.Text(self.max_prompt_chars, charset=TEXT_CHARSET)
            action = gym.spaces.Text(self.max_answer_chars, min_length=0, charset=TEXT_CHARSET)
            return observation, action
        return self._array_spaces()

    def _observe(self) -> Any:
        if self.obs_mode == "text":
            return self.prompt(self.instance)
        return self.array_observation(self.instance)

    def _act(self, action: Any) -> tuple[float, bool, dict[str, Any]]:
        if self.obs_mode == "text":
            answer = self.parse_answer(str(action), self.instance)
        else:
            answer = self.answer_from_index(int(np.asarray(action).item()), self.instance)
        success = answer is not None and answer == self.instance.gold
        info = {
            "success": bool(success),
            "parsed": answer is not None,
            "answer": None if answer is None else self.format_answer(answer),
        }
        return float(success), True, info

    def _final_info(self) -> dict[str, Any]:
        return {"gold": self.format_answer(self.instance.gold)}

    # -- hooks ----------------------------------------------------------------------------

    @abstractmethod
    def _array_spaces(self) -> tuple[gym.Space, gym.Space]:
        """Observation space (fixed shape) and ``Discrete`` action space of array mode."""

    @abstractmethod
    def prompt(self, instance: Any) -> str:
        """The question as a person (or an LLM) would read it, with the answer format."""

    @abstractmethod
    def array_observation(self, instance: Any) -> np.ndarray:
        """The instance as arrays matching ``observation_space`` in array mode."""

    @abstractmethod
    def parse_answer(self, text: str, instance: Any) -> Any | None:
        """Read an answer out of free text; ``None`` when no answer can be found."""

    @abstractmethod
    def answer_from_index(self, index: int, instance: Any) -> Any | None:
        """The answer an array-mode action stands for; ``None`` when meaningless here."""

    @abstractmethod
    def format_answer(self, answer: Any) -> str:
        """The canonical text of an answer, which :meth:`parse_answer` reads back."""
