"""BeTaL/SpatialGrid-v0: the rules, the generator, the prompt, answer reading and the env."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import betal_envs  # noqa: F401  (registers the templates)
from betal_envs.errors import ParameterError
from betal_envs.spatial_grid import SpatialGridEnv
from betal_envs.spatial_grid.env import SPACE
from betal_envs.spatial_grid.generator import FACING, POSITION, RELATIVE, generate
from betal_envs.spatial_grid.rules import (
    EAST,
    IDLE,
    MOVE,
    NORTH,
    ROTATE,
    SHIFT,
    SOUTH,
    TURN,
    WEST,
    Board,
    Operation,
    Particle,
    simulate,
)
from betal_envs.spatial_grid.text import describe_operation, parse_direction, parse_pair

ENV_ID = "BeTaL/SpatialGrid-v0"


def _after(size: int, wrap: bool, particles: list[Particle], *operations: Operation):
    return simulate(size, wrap, tuple(particles), operations)


# -- rules ----------------------------------------------------------------------------------


def test_move_off_the_edge_wraps_around_to_the_opposite_side():
    final = _after(5, True, [Particle(0, 2, NORTH)], Operation(MOVE, 0, NORTH))
    assert final == (Particle(4, 2, NORTH),)
    final = _after(5, True, [Particle(1, 4, SOUTH)], Operation(MOVE, 0, EAST))
    assert final == (Particle(1, 0, SOUTH),)


def test_move_off_the_edge_without_wrap_leaves_the_particle_in_place():
    final = _after(5, False, [Particle(0, 2, WEST)], Operation(MOVE, 0, NORTH))
    assert final == (Particle(0, 2, WEST),)


def test_blocked_board_shift_moves_only_the_particles_that_can_move():
    start = [Particle(4, 1, NORTH), Particle(2, 2, EAST)]
    final = _after(5, False, start, Operation(SHIFT, -1, SOUTH))
    assert final == (Particle(4, 1, NORTH), Particle(3, 2, EAST))


def test_relative_moves_follow_the_facing_and_keep_it():
    start = [Particle(2, 2, EAST)]
    expected = {"forward": (2, 3), "right": (3, 2), "backward": (2, 1), "left": (1, 2)}
    for offset, cell in enumerate(expected.values()):
        final = _after(5, True, start, Operation(MOVE, 0, offset, relative=True))
        assert final == (Particle(*cell, EAST),)


def test_turns_add_clockwise_quarters_to_the_facing():
    final = _after(4, True, [Particle(1, 1, WEST)], Operation(TURN, 0, 1))
    assert final == (Particle(1, 1, NORTH),)
    final = _after(4, True, [Particle(1, 1, NORTH)], Operation(TURN, 0, 3, clockwise=False))
    assert final == (Particle(1, 1, WEST),)


@pytest.mark.parametrize(
    ("quarters", "expected"),
    [
        (1, (Particle(0, 3, EAST), Particle(1, 1, SOUTH))),
        (2, (Particle(3, 3, SOUTH), Particle(1, 2, WEST))),
        (3, (Particle(3, 0, WEST), Particle(2, 2, NORTH))),
    ],
)
def test_board_rotation_turns_cells_and_facings_about_the_centre(quarters, expected):
    start = [Particle(0, 0, NORTH), Particle(2, 1, EAST)]
    assert _after(4, True, start, Operation(ROTATE, -1, quarters)) == expected


def test_idle_operations_change_nothing():
    board = Board(3, True, (Particle(1, 1, SOUTH),))
    board.apply(Operation(IDLE, 0, 3))
    board.apply(Operation(IDLE, -1, 1))
    assert board.particles() == (Particle(1, 1, SOUTH),)


# -- generator and prompt -------------------------------------------------------------------


def test_generation_is_deterministic_and_follows_the_parameters():
    params = SPACE.validate({"board_size": 7, "n_particles": 4, "n_operations": 30})
    params["n_distractors"] = 5
    first, again = generate(params, 123), generate(params, 123)
    assert first == again
    assert first != generate(params, 124)
    assert len(first.start) == 4 and first.size == 7
    assert len(first.operations) == 35
    assert sum(op.kind == IDLE for op in first.operations) == 5
    assert len({(p.row, p.col) for p in first.start}) == 4


def test_share_parameters_control_the_operation_mix():
    params = SPACE.validate({"n_operations": 100, "board_op_share": 1.0, "rotation_share": 0.0})
    kinds = {op.kind for op in generate(params, 0).operations}
    assert kinds == {SHIFT}
    params = SPACE.validate({"n_operations": 100, "board_op_share": 0.0, "rotation_share": 1.0})
    kinds = {op.kind for op in generate(params, 0).operations}
    assert kinds == {TURN}


def test_operation_sentences_read_as_a_person_would():
    assert describe_operation(Operation(MOVE, 1, 3, relative=True)) == (
        "Particle B moves one cell to its left."
    )
    assert describe_operation(Operation(MOVE, 0, WEST)) == "Particle A moves one cell west."
    assert describe_operation(Operation(TURN, 2, 3, clockwise=False)) == (
        "Particle C turns 90 degrees counterclockwise."
    )
    assert describe_operation(Operation(ROTATE, -1, 2)) == (
        "The whole board rotates 180 degrees clockwise about its centre."
    )


def test_prompt_states_rules_start_operations_question_and_format():
    env = gym.make(ENV_ID, params={"wrap_around": False, "n_distractors": 2})
    prompt, info = env.reset(seed=5)
    instance = env.unwrapped.instance
    assert "Edges are walls" in prompt
    assert prompt.count("\n- Particle ") == len(instance.start)
    assert f"\n{len(instance.operations)}. " in prompt
    assert 'End your reply with the line "Answer: (row, column)"' in prompt
    assert prompt.isascii()
    assert info["question"] == POSITION and "gold" not in info


def test_relative_question_defines_the_signs_precisely():
    env = gym.make(ENV_ID, params={"question_kinds": [RELATIVE]})
    prompt, _ = env.reset(seed=0)
    assert "minus the row of" in prompt and "positive when" in prompt
    assert "not counted around wrapped edges" in prompt


# -- reading answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("(3, 4)", (3, 4)),
        ("3,4", (3, 4)),
        ("row 3, column 4", (3, 4)),
        ("Row: 3 and Col: 4", (3, 4)),
        ("column 4, row 3", (3, 4)),
        ("final answer: (\u22121, 2)", (-1, 2)),
        ("**Answer:** [ -2 , +5 ]", (-2, 5)),
        ("A starts at (2, 3), then moves to (1, 3). So it ends at (0, 3).", (0, 3)),
        ("Answer: (1, 1)\nCheck: it began at (4, 4).", (1, 1)),
        ("I think (2, 2). Actually row 5, column 0", (5, 0)),
        ("(row, column) = (3, 4)", (3, 4)),
        ("The answer is (2, 5).", (2, 5)),
        ("no idea", None),
        ("3.5, 4", None),
    ],
)
def test_pairs_are_read_leniently(reply, expected):
    assert parse_pair(reply) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Answer: north", "north"),
        ("N", "north"),
        ("answer = W", "west"),
        ("It faced east, then turned twice, so it now faces WEST.", "west"),
        ("The answer is south because it started facing east.", "south"),
        ("Particle E ends up", None),
        ("northeast", None),
    ],
)
def test_facings_are_read_leniently(reply, expected):
    assert parse_direction(reply) == expected


def test_replies_are_judged_strictly_against_the_gold():
    env = gym.make(ENV_ID, params={"question_kinds": [FACING]})
    env.reset(seed=2)
    gold = env.unwrapped.instance.gold
    wrong = next(d for d in ("north", "east", "south", "west") if d != gold)
    _, reward, terminated, _, info = env.step(f"Answer: {wrong}")
    assert (reward, terminated, info["success"], info["answer"]) == (0.0, True, False, wrong)
    assert info["gold"] == gold


# -- parameters -----------------------------------------------------------------------------


def test_bad_parameters_raise_one_error_naming_every_problem():
    with pytest.raises(ParameterError, match="board_sise") as caught:
        gym.make(ENV_ID, params={"board_sise": 5, "n_particles": -1})
    message = str(caught.value)
    assert len(caught.value.problems) == 2
    assert "Did you mean 'board_size'?" in message
    assert "n_particles: -1 is out of range; allowed integers 1..8" in message


def test_parameters_set_on_a_vector_env_shape_the_instances_after_auto_reset():
    envs = gym.make_vec(
        ENV_ID, num_envs=4, vectorization_mode="sync", obs_mode="array", params={"board_size": 9}
    )
    try:
        observation, _ = envs.reset(seed=0)
        assert (observation["board"][:, 0] == 9).all()
        envs.call("set_params", {"board_size": 3, "n_operations": 2})
        envs.step(np.zeros(4, dtype=np.int64))  # ends the episodes made before the change
        observation, *_ = envs.step(np.zeros(4, dtype=np.int64))  # auto-reset, no options
        assert (observation["board"][:, 0] == 3).all()
        assert (observation["operations"].reshape(4, -1, 4)[:, :, 0] > 0).sum(axis=1).max() <= 2
    finally:
        envs.close()


def test_relative_questions_need_two_particles():
    with pytest.raises(ParameterError, match="needs n_particles >= 2"):
        SPACE.validate({"n_particles": 1, "question_kinds": ["position", "relative"]})
    rng = np.random.default_rng(0)
    for _ in range(200):
        params = SPACE.sample(rng)
        assert params["n_particles"] >= 2 or RELATIVE not in params["question_kinds"]


def test_the_readme_shows_the_parameter_table_and_the_error_as_they_are():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert SPACE.table() in readme
    with pytest.raises(ParameterError) as caught:
        gym.make(ENV_ID, params={"board_sise": 5, "n_particles": -1})
    first, unknown, out_of_range = str(caught.value).splitlines()
    assert first in readme and out_of_range in readme
    assert unknown.split(" Known parameters:")[0] in readme


def test_manual_lists_every_parameter_with_its_range_and_default():
    manual = SpatialGridEnv.__doc__
    for parameter in SPACE:
        rows = [line for line in manual.splitlines() if f"| ``{parameter.name}`` |" in line]
        assert len(rows) == 1, f"no table row for {parameter.name}"
        assert f"| {parameter.kind} |" in rows[0]
    assert "| 3..24 | 6 | higher |" in manual
    assert "Version history" in manual


# -- array mode -----------------------------------------------------------------------------


@pytest.mark.parametrize("question", [POSITION, FACING, RELATIVE])
def test_array_actions_index_the_joint_answer_set(question):
    env = gym.make(ENV_ID, params={"question_kinds": [question]}, obs_mode="array")
    observation, _ = env.reset(seed=9)
    instance = env.unwrapped.instance
    assert env.observation_space.contains(observation)
    right = env.unwrapped.answer_index(instance.gold, question)
    assert env.unwrapped.answer_from_index(right, instance) == instance.gold
    another_kind = 0 if question != POSITION else env.unwrapped.answer_index("north", FACING)
    assert env.unwrapped.answer_from_index(another_kind, instance) is None
    assert env.unwrapped.answer_from_index(int(env.action_space.n), instance) is None
    _, reward, _, _, info = env.step(right)
    assert reward == 1.0 and info["success"]


def test_array_observation_encodes_the_instance():
    env = gym.make(ENV_ID, params={"n_particles": 3, "n_operations": 4}, obs_mode="array")
    observation, _ = env.reset(seed=4)
    instance = env.unwrapped.instance
    particles = observation["particles"].reshape(8, 4)
    operations = observation["operations"].reshape(150, 4)
    assert observation["board"].tolist() == [6, 1]
    assert particles[:3, 0].tolist() == [1, 1, 1]
    assert particles[0, 1:].tolist() == list(instance.start[0])
    assert particles[3:].sum() == 0
    assert (operations[:4, 0] > 0).all()
    assert operations[4:].sum() == 0
    assert observation["question"][1] == instance.subject


def test_renders_show_the_start_then_the_end():
    env = gym.make(ENV_ID, render_mode="ansi")
    env.reset(seed=1)
    before = env.render()
    env.step("Answer: (0, 0)")
    after = env.render()
    assert "before the operations" in before and "after the operations" in after
    picture_env = gym.make(ENV_ID, params={"board_size": 24}, render_mode="rgb_array")
    picture_env.reset(seed=1)
    picture = picture_env.render()
    assert picture.dtype == np.uint8 and picture.shape == (411, 369, 3)
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 3


def test_the_longest_prompt_fits_the_text_observation_space():
    largest = {"board_size": 24, "n_particles": 8, "n_operations": 100, "n_distractors": 50}
    env = gym.make(ENV_ID, params={**largest, "question_kinds": ["relative"]})
    prompt, _ = env.reset(seed=0)
    assert prompt.count("\n") > 150
    assert env.observation_space.contains(prompt)
