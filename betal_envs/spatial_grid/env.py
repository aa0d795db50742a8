"""``BeTaL/SpatialGrid-v0``: the spatial-reasoning grid world as a question template."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from betal_envs.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    ParameterSpace,
    Params,
    SubsetParam,
)
from betal_envs.question import QuestionTemplate
from betal_envs.spatial_grid import text
from betal_envs.spatial_grid.generator import (
    FACING,
    POSITION,
    QUESTION_KINDS,
    RELATIVE,
    Answer,
    GridInstance,
    generate,
)
from betal_envs.spatial_grid.render import board_picture, board_text
from betal_envs.spatial_grid.rules import DIRECTIONS, IDLE, OPERATION_KINDS, Particle

ENV_ID = "BeTaL/SpatialGrid-v0"


def _relative_needs_two_particles(params: Params) -> str | None:
    if RELATIVE in params["question_kinds"] and params["n_particles"] < 2:
        return (
            f"question_kinds includes 'relative', which needs n_particles >= 2, got "
            f"{params['n_particles']}; raise n_particles or drop 'relative' from question_kinds."
        )
    return None


SPACE = ParameterSpace(
    ENV_ID,
    (
        IntParam("board_size", "cells per side of the square board", low=3, high=24, default=6,
                 harder="higher"),
        IntParam("n_particles", "particles on the board", low=1, high=8, default=2,
                 harder="higher"),
        IntParam("n_operations", "real operations applied in order", low=1, high=100,
                 default=10, harder="higher", log=True),
        FloatParam("board_op_share", "share of operations that shift or rotate the whole board "
                   "(each one moves every particle)", low=0.0, high=1.0, default=0.2,
                   harder="higher"),
        FloatParam("rotation_share", "share of operations that are rotations rather than moves",
                   low=0.0, high=1.0, default=0.3, harder="higher"),
        SubsetParam("angles", "rotation angles in degrees that may occur",
                    choices=(90, 180, 270), default=(90, 180, 270), harder="more"),
        ChoiceParam("move_frame", "moves by compass direction, relative to the facing, or both",
                    choices=("absolute", "mixed", "relative"), default="relative",
                    harder="higher"),
        SubsetParam("question_kinds", "kinds of question that may be asked",
                    choices=QUESTION_KINDS, default=(POSITION,), harder="more"),
        IntParam("n_distractors", "sentences mixed in that change nothing", low=0, high=50,
                 default=0, harder="higher"),
        BoolParam("wrap_around", "edges wrap around (else moves off the board are blocked)",
                  default=True),
    ),
    constraints=(_relative_needs_two_particles,),
)  # fmt: skip

_BOARD = SPACE["board_size"].high
_PARTICLES = SPACE["n_particles"].high
_LINES = SPACE["n_operations"].high + SPACE["n_distractors"].high
_SPAN = 2 * _BOARD - 1
#: The joint answer set of array mode: every cell, every facing, every relative offset.
_POSITIONS = _BOARD * _BOARD
_FACINGS = len(DIRECTIONS)
_ANSWERS = _POSITIONS + _FACINGS + _SPAN * _SPAN


class SpatialGridEnv(QuestionTemplate):
    """Track particles on a square board through a sequence of moves and rotations.

    ## Description

    A ``board_size`` x ``board_size`` board (rows and columns numbered from 0, row 0 at the
    top) holds ``n_particles`` particles named A, B, C, ..., each in a cell and facing north,
    east, south or west. ``n_operations`` operations follow: a particle moves one cell (in a
    compass direction, or forward/backward/left/right of its facing) or turns by a multiple of
    90 degrees; or the whole board shifts one cell (every particle moves) or rotates about its
    centre (every particle's cell and facing turn with it). With ``wrap_around`` a particle
    leaving an edge re-enters on the opposite one; without it, a move off the board leaves
    that particle where it is. ``n_distractors`` sentences in which nothing happens are mixed
    in. Then one question: a particle's final position, its final facing, or where one
    particle ends up relative to another (row and column differences). The gold answer comes
    from simulating the operations.

    ## Observation space

    * ``obs_mode="text"``: the prompt (``Text``): the rules, the starting particles, the
      numbered operations, the question and the exact answer format.
    * ``obs_mode="array"``: a ``Dict`` of flat ``int16`` ``Box`` es sized from the space's
      maxima, so the shapes never change with the parameters (tables are flattened row by
      row, the 1-D form stable-baselines3 policies expect):

      | key | shape | content |
      |---|---|---|
      | ``board`` | (2,) | board size, wrap-around (0/1) |
      | ``particles`` | (8 x 4,) | present (0/1), row, column, facing (0 north .. 3 west) |
      | ``operations`` | (150 x 4,) | one row per numbered sentence: kind, particle, amount, frame |
      | ``question`` | (3,) | kind (0 position, 1 facing, 2 relative), subject, other + 1 |

      An operation row holds its kind (0 none, 1 move, 2 turn, 3 shift, 4 rotate, 5 idle),
      the particle + 1 (0 for the whole board), the amount (a direction for moves and shifts,
      the offset from the facing for relative moves, clockwise quarter turns for rotations)
      and 1 for a relative move.

    ## Action space

    * text: the reply (``Text``); the answer is read leniently from it: ``(3, 4)``,
      ``row 3, column 4``, ``Answer: north``, ``N``, reasoning before the answer.
    * array: ``Discrete(2789)`` over one joint answer set: ``row * 24 + col`` for positions
      (0-575), ``576 + facing`` for facings, ``580 + (rows + 23) * 47 + (cols + 23)`` for
      relative offsets. An index of another kind than the question's is wrong.

    ## Rewards and episode end

    One step: reward 1 for the right answer, 0 otherwise; the episode then terminates. That
    step's info holds ``success``, ``parsed``, ``answer`` and ``gold``. Reset info holds the
    ``question`` kind, the ``answer_format``, ``board_size`` and ``n_particles`` (never the
    gold). ``render_mode="ansi"`` and ``"rgb_array"`` show the starting board while the
    question is open and the final board once it is answered.

    ## Parameters

    | name | type | range | default | harder | meaning |
    |---|---|---|---|---|---|
    | ``board_size`` | int | 3..24 | 6 | higher | cells per side |
    | ``n_particles`` | int | 1..8 | 2 | higher | particles on the board |
    | ``n_operations`` | int | 1..100 | 10 | higher | real operations |
    | ``board_op_share`` | float | 0..1 | 0.2 | higher | share of board shifts/rotations |
    | ``rotation_share`` | float | 0..1 | 0.3 | higher | share of rotations vs moves |
    | ``angles`` | subset | 90, 180, 270 | all | more | rotation angles used |
    | ``move_frame`` | choice | absolute, mixed, relative | relative | higher | move wording |
    | ``question_kinds`` | subset | position, facing, relative | position | more | questions |
    | ``n_distractors`` | int | 0..50 | 0 | higher | sentences that change nothing |
    | ``wrap_around`` | bool | true/false | true | - | edges wrap (else block) |

    A ``relative`` question needs two particles: ``question_kinds`` containing
    ``"relative"`` with ``n_particles=1`` is rejected with a ``ParameterError`` (random
    sampling of the space resamples such sets).

    ## Version history

    * v0: first version.
    """

    space: ClassVar[ParameterSpace] = SPACE
    env_id: ClassVar[str] = ENV_ID
    # A slip of 5 % per sentence puts every target from 0.1 to 0.95 inside the space: about
    # 0.99 at one operation, 0.74 at the defaults, 0.08 at a hundred operations.
    default_student: ClassVar[str] = "spatial-exact:slip=0.05"
    summary: ClassVar[str] = (
        "Spatial reasoning on a square grid. Particles named A, B, C... each occupy a cell and "
        "face north, east, south or west. A numbered list of operations follows: a particle "
        "moves one cell (in a compass direction or relative to its facing) or turns by 90, 180 "
        "or 270 degrees; or the whole board shifts one cell or rotates about its centre, "
        "carrying every particle (and turning its facing). Edges either wrap around or block "
        "moves. Distractor sentences that change nothing can be mixed in. The student must "
        "report a particle's final position, its final facing, or one particle's position "
        "relative to another. Difficulty grows with the number of operations above all (each "
        "one is a chance to lose track), then with the share of operations touching the "
        "asked particle (board operations touch all of them), rotations, relative move wording, "
        "distractors and relative questions; a bigger board makes guessing harder."
    )

    # -- instances ------------------------------------------------------------------------

    def _new_instance(self, seed: int) -> GridInstance:
        return generate(self.params, seed)

    def _reset_info(self) -> dict[str, Any]:
        return {
            "question": self.instance.question,
            "answer_format": text.answer_format(self.instance.question),
            "board_size": self.instance.size,
            "n_particles": len(self.instance.start),
        }

    # -- text mode ------------------------------------------------------------------------

    def prompt(self, instance: GridInstance) -> str:
        return text.prompt(instance)

    def parse_answer(self, reply: str, instance: GridInstance) -> Answer | None:
        if instance.question == FACING:
            return text.parse_direction(reply)
        return text.parse_pair(reply)

    def format_answer(self, answer: Answer) -> str:
        return text.format_answer(answer)

    # -- array mode -----------------------------------------------------------------------

    def _array_spaces(self) -> tuple[gym.Space, gym.Space]:
        def box(high: int, shape: tuple[int, ...]) -> gym.spaces.Box:
            return gym.spaces.Box(0, high, shape, dtype=np.int16)

        observation = gym.spaces.Dict(
            {
                "board": box(_BOARD, (2,)),
                "particles": box(_BOARD - 1, (_PARTICLES * 4,)),
                "operations": box(max(_PARTICLES, len(OPERATION_KINDS)), (_LINES * 4,)),
                "question": box(_PARTICLES, (3,)),
            }
        )
        return observation, gym.spaces.Discrete(_ANSWERS)

    def array_observation(self, instance: GridInstance) -> dict[str, np.ndarray]:
        particles = np.zeros((_PARTICLES, 4), dtype=np.int16)
        for i, particle in enumerate(instance.start):
            particles[i] = (1, particle.row, particle.col, particle.facing)
        operations = np.zeros((_LINES, 4), dtype=np.int16)
        for i, op in enumerate(instance.operations):
            amount = 0 if op.kind == IDLE else op.amount
            kind = OPERATION_KINDS.index(op.kind) + 1
            operations[i] = (kind, op.particle + 1, amount, op.relative)
        question = (QUESTION_KINDS.index(instance.question), instance.subject, instance.other + 1)
        return {
            "board": np.array((instance.size, instance.wrap), dtype=np.int16),
            "particles": particles.ravel(),
            "operations": operations.ravel(),
            "question": np.array(question, dtype=np.int16),
        }

    def answer_from_index(self, index: int, instance: GridInstance) -> Answer | None:
        if 0 <= index < _POSITIONS:
            kind, answer = POSITION, (index // _BOARD, index % _BOARD)
        elif _POSITIONS <= index < _POSITIONS + _FACINGS:
            kind, answer = FACING, DIRECTIONS[index - _POSITIONS]
        elif _POSITIONS + _FACINGS <= index < _ANSWERS:
            offset = index - _POSITIONS - _FACINGS
            kind = RELATIVE
            answer = (offset // _SPAN - (_BOARD - 1), offset % _SPAN - (_BOARD - 1))
        else:
            return None
        return answer if kind == instance.question else None

    def answer_index(self, answer: Answer, question: str) -> int:
        """The array-mode action that gives ``answer`` to a question of kind ``question``."""
        if question == FACING:
            return _POSITIONS + DIRECTIONS.index(answer)
        row, col = answer
        if question == POSITION:
            return row * _BOARD + col
        return _POSITIONS + _FACINGS + (row + _BOARD - 1) * _SPAN + (col + _BOARD - 1)

    # -- rendering ------------------------------------------------------------------------

    def _shown(self) -> tuple[str, tuple[Particle, ...]]:
        if self._done:
            return "after the operations", self.instance.final
        return "before the operations", self.instance.start

    def _render_text(self) -> str:
        title, particles = self._shown()
        return board_text(self.instance.size, particles, f"{ENV_ID}, {title}:")

    def _render_rgb(self) -> np.ndarray:
        title, particles = self._shown()
        caption = f"{title} ({len(self.instance.operations)} sentences)"
        return board_picture(self.instance.size, particles, caption.capitalize())
