"""``BeTaL/ArithmeticSequence-v0``: continue an integer sequence, as a question template."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from betal_envs.arithmetic_sequence import text
from betal_envs.arithmetic_sequence.families import FAMILIES, MAGNITUDE_CAP
from betal_envs.arithmetic_sequence.generator import (
    MAX_SHOWN,
    N_CANDIDATES,
    SequenceInstance,
    generate,
)
from betal_envs.arithmetic_sequence.render import sequence_picture, sequence_text
from betal_envs.params import BoolParam, IntParam, ParameterSpace, SubsetParam
from betal_envs.question import QuestionTemplate

ENV_ID = "BeTaL/ArithmeticSequence-v0"

SPACE = ParameterSpace(
    ENV_ID,
    (
        SubsetParam("families", "kinds of rule that may make the sequence (the prompt lists them)",
                    choices=FAMILIES, default=FAMILIES, harder="more"),
        IntParam("max_degree", "highest degree of a polynomial rule", low=2, high=6, default=3,
                 harder="higher"),
        IntParam("max_order", "highest order of a linear-recurrence rule", low=2, high=5,
                 default=3, harder="higher"),
        IntParam("n_terms", "fewest terms shown; more are shown when fewer leave the answer open",
                 low=3, high=16, default=5),
        IntParam("coef_max", "largest magnitude of a step, ratio, coefficient or operand",
                 low=1, high=30, default=4, harder="higher", log=True),
        IntParam("start_max", "largest magnitude of the first term (or first terms)", low=1,
                 high=1000, default=20, harder="higher", log=True),
        IntParam("ahead", "places after the last shown term where the asked term lies", low=1,
                 high=10, default=2, harder="higher"),
        BoolParam("negatives", "signs of the drawn numbers vary, so terms may be negative",
                  default=False, harder="true"),
    ),
)  # fmt: skip

_MAX_AHEAD = SPACE["ahead"].high
_MAX_DEGREE = SPACE["max_degree"].high
_MAX_ORDER = SPACE["max_order"].high
_LOG_CAP = math.log10(1 + MAGNITUDE_CAP)
_PARTS: tuple[tuple[str, int], ...] = (
    ("terms", MAX_SHOWN),
    ("mask", MAX_SHOWN),
    ("ahead", 1),
    ("candidates", N_CANDIDATES),
    ("families", len(FAMILIES)),
    ("limits", 2),
)
#: Layout of the array observation: name -> (first slot, slots).
LAYOUT: dict[str, tuple[int, int]] = {
    name: (sum(size for _, size in _PARTS[:i]), size) for i, (name, size) in enumerate(_PARTS)
}
_SIZE = sum(size for _, size in _PARTS)


def _slots(name: str) -> slice:
    first, size = LAYOUT[name]
    return slice(first, first + size)


def signed_log(values: Any) -> np.ndarray:
    """``sign(v) * log10(1 + |v|) / 12``, the scale of array observations (``|v| <= 10**12``)."""
    array = np.asarray(values, dtype=np.float64)
    return np.clip(np.sign(array) * np.log10(1 + np.abs(array)) / _LOG_CAP, -1.0, 1.0)


class ArithmeticSequenceEnv(QuestionTemplate):
    """Continue an integer sequence: the first terms are shown, a later term is asked.

    ## Description

    A rule is drawn from one of the allowed ``families``, and its first ``N`` terms
    ``a_1 .. a_N`` are shown; the question asks for ``a_(N + ahead)``. The families are
    *arithmetic* (add a fixed number), *geometric* (multiply by a fixed whole number),
    *polynomial* (``a_n`` a polynomial in ``n`` of degree 2 to ``max_degree``), *recurrence*
    (``a_n = c_1 a_(n-1) + ... + c_k a_(n-k)`` with whole ``c_i`` and order ``k`` from 2 to
    ``max_order``), *interleaved* (odd and even positions each arithmetic or geometric) and
    *alternating* (an addition and a multiplication taking turns). Steps, ratios, coefficients
    and operands are at most ``coef_max`` in magnitude (ratios and factors at least 2); first
    terms at most ``start_max``. Without ``negatives`` every drawn number is positive.

    Every instance is *determined*: every rule of every allowed family, up to ``max_degree``
    and ``max_order``, that gives the shown terms gives the same asked term (checked exactly:
    finite differences for polynomials, the Berlekamp-Massey algorithm and Massey's theorem
    for recurrences, direct fits for the rest). ``N`` is ``n_terms`` or, when that many terms
    leave the answer open, the fewest that settle it (at most 24). No term up to the asked
    one exceeds ``10**12`` in magnitude; rules that would are redrawn from the same family.

    ## Observation space

    * ``obs_mode="text"``: the prompt (``Text``): the shown terms, the list of possible rule
      kinds with the limits, the question and the exact answer format.
    * ``obs_mode="array"``: one ``float32`` ``Box(-1, 1, (65,))``. Values are scaled as
      ``sign(v) * log10(1 + |v|) / 12``:

      | slots | content |
      |---|---|
      | 0-23 | the shown terms, right-aligned (slot 23 is ``a_N``), scaled; 0 where empty |
      | 24-47 | mask: 1 where slots 0-23 hold a term |
      | 48 | ``ahead / 10`` |
      | 49-56 | the 8 candidate answers, scaled |
      | 57-62 | the allowed families (1/0), in the order of the ``families`` choices |
      | 63-64 | ``max_degree / 6``, ``max_order / 5`` |

    ## Action space

    * text: the reply (``Text``); the answer is read leniently from it (``Answer: 345``,
      ``a_12 = 345``, ``The answer is -17.``, ``345``, reasoning before the answer) and must
      equal the asked term exactly.
    * array: ``Discrete(8)``: the index of one of the candidate answers of the observation.
      The gold answer is one of them, at a position drawn from the instance's seed; the others
      are near misses (the last difference repeated, the gold answer plus or minus the last
      difference or a few units, and so on).

    ## Rewards and episode end

    One step: reward 1 for the right answer, 0 otherwise; the episode then terminates. That
    step's info holds ``success``, ``parsed``, ``answer``, ``gold`` and the ``rule``. Reset
    info holds the ``asked`` index, ``n_shown`` and the ``answer_format`` (never the gold).
    ``render_mode="ansi"`` and ``"rgb_array"`` show the shown terms and the asked place while
    the question is open, and the hidden terms up to the asked one once it is answered.

    ## Parameters

    | name | type | range | default | harder | meaning |
    |---|---|---|---|---|---|
    | ``families`` | subset | arithmetic, geometric, polynomial, recurrence, interleaved, alternating | all | more | kinds of rule |
    | ``max_degree`` | int | 2..6 | 3 | higher | highest polynomial degree |
    | ``max_order`` | int | 2..5 | 3 | higher | highest recurrence order |
    | ``n_terms`` | int | 3..16 | 5 | - | fewest terms shown |
    | ``coef_max`` | int | 1..30 (log) | 4 | higher | largest step, ratio, coefficient |
    | ``start_max`` | int | 1..1000 (log) | 20 | higher | largest first term |
    | ``ahead`` | int | 1..10 | 2 | higher | places from the last shown to the asked term |
    | ``negatives`` | bool | true/false | false | true | drawn numbers may be negative |

    ``max_degree`` matters only when ``polynomial`` is allowed, ``max_order`` only with
    ``recurrence``. ``n_terms`` has no declared direction: more terms give more evidence but
    larger numbers to work with at the end, and the limits already force enough terms to
    settle the answer. Every parameter set of the space is valid (no constraints across
    parameters).

    ## Version history

    * v0: first version.
    """

    space: ClassVar[ParameterSpace] = SPACE
    env_id: ClassVar[str] = ENV_ID
    # Degree and order 2 with a 3 % slip per digit-operation: about 0.67 at the defaults,
    # falling smoothly with ahead (0.3 at 10), coef_max, start_max, max_degree and
    # max_order; about 0.95 on arithmetic and geometric rules one term ahead, near 0.02 on
    # polynomials and recurrences of the highest degree and order eight terms ahead.
    default_student: ClassVar[str] = "sequence-solver:max_degree=2,max_order=2,slip=0.03"
    summary: ClassVar[str] = (
        "Integer sequences. The first terms of a sequence are shown and a later term is asked; "
        "the answer is a whole number, judged exactly. The rule comes from allowed families: "
        "arithmetic, geometric, polynomial (degree up to max_degree), linear recurrences with "
        "whole coefficients (order up to max_order), two interleaved arithmetic or geometric "
        "sequences, or an addition and a multiplication taking turns. Enough terms are always "
        "shown that every allowed rule fitting them gives the same answer. Difficulty grows "
        "with richer families and higher degree and order limits (rules a solver may not "
        "know, and more candidates to rule out), with larger coefficients and first terms "
        "(bigger numbers to compute with), with how far ahead the asked term lies (more steps "
        "to work out) and with negative numbers."
    )

    # -- instances ------------------------------------------------------------------------

    def _new_instance(self, seed: int) -> SequenceInstance:
        return generate(self.params, seed)

    def _reset_info(self) -> dict[str, Any]:
        return {
            "asked": self.instance.asked,
            "n_shown": len(self.instance.shown),
            "answer_format": text.answer_format(self.instance.asked),
        }

    def _final_info(self) -> dict[str, Any]:
        return {**super()._final_info(), "rule": self.instance.rule.describe()}

    # -- text mode ------------------------------------------------------------------------

    def prompt(self, instance: SequenceInstance) -> str:
        return text.prompt(instance)

    def parse_answer(self, reply: str, instance: SequenceInstance) -> int | None:
        return text.parse_integer(reply, instance.asked)

    def format_answer(self, answer: int) -> str:
        return text.format_answer(answer)

    # -- array mode -----------------------------------------------------------------------

    def _array_spaces(self) -> tuple[gym.Space, gym.Space]:
        observation = gym.spaces.Box(-1.0, 1.0, (_SIZE,), dtype=np.float32)
        return observation, gym.spaces.Discrete(N_CANDIDATES)

    def array_observation(self, instance: SequenceInstance) -> np.ndarray:
        observation = np.zeros(_SIZE, dtype=np.float32)
        count = len(instance.shown)
        observation[_slots("terms")][MAX_SHOWN - count :] = signed_log(instance.shown)
        observation[_slots("mask")][MAX_SHOWN - count :] = 1.0
        observation[_slots("ahead")] = instance.ahead / _MAX_AHEAD
        observation[_slots("candidates")] = signed_log(instance.candidates)
        observation[_slots("families")] = [f in instance.families for f in FAMILIES]
        observation[_slots("limits")] = (
            instance.max_degree / _MAX_DEGREE,
            instance.max_order / _MAX_ORDER,
        )
        return observation

    def answer_from_index(self, index: int, instance: SequenceInstance) -> int | None:
        if 0 <= index < N_CANDIDATES:
            return instance.candidates[index]
        return None

    def answer_index(self, instance: SequenceInstance) -> int:
        """The array-mode action that gives the gold answer."""
        return instance.candidates.index(instance.gold)

    # -- rendering ------------------------------------------------------------------------

    def _render_text(self) -> str:
        instance = self.instance
        state = "answered" if self._done else "open"
        title = f"{ENV_ID}: a_1..a_{len(instance.shown)} shown, a_{instance.asked} asked ({state})"
        return sequence_text(instance, title, revealed=self._done)

    def _render_rgb(self) -> np.ndarray:
        return sequence_picture(self.instance, revealed=self._done)
