"""BeTaL/Maze-v0: the Gymnasium contract, levels, observations, rewards and rendering."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import betal_envs  # noqa: F401  (registers the templates)
from betal_envs.errors import BetalError, ParameterError
from betal_envs.maze import MAZE_ID, VIEW_SHAPE, LevelError, MazeEnv, goal_distance, parse_level

LEFT, RIGHT, FORWARD = 0, 1, 2
CORRIDOR = "S...G\nfacing: east"


def make(**kwargs) -> MazeEnv:
    kwargs.setdefault("obs_mode", "array")
    return gym.make(MAZE_ID, disable_env_checker=True, **kwargs).unwrapped


@pytest.mark.parametrize("obs_mode", ["array", "text"])
def test_passes_the_gymnasium_checker(obs_mode: str) -> None:
    check_env(gym.make(MAZE_ID, obs_mode=obs_mode, render_mode="rgb_array").unwrapped)


def rollout(env: MazeEnv, seed: int, steps: int = 60) -> list:
    observation, _ = env.reset(seed=seed)
    trace = [observation]
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        observation, reward, terminated, truncated, _ = env.step(int(rng.integers(3)))
        trace.append((observation, reward))
        if terminated or truncated:
            trace.append(env.reset()[0])
    return trace


def test_same_seed_same_episodes() -> None:
    first, second = rollout(make(), seed=5), rollout(make(), seed=5)
    assert repr(first) == repr(second)
    assert repr(first) != repr(rollout(make(), seed=6))


def test_instance_regenerates_alone_from_seed_and_index() -> None:
    env = make()
    env.reset(seed=3)
    env.reset()
    env.reset()
    third = env.level
    env.reset(seed=3, options={"index": 2})
    assert env.level == third


@given(
    size=st.integers(5, 15),
    density=st.floats(0.0, 0.6),
    distance=st.integers(1, 28),
    seed=st.integers(0, 2**31 - 1),
)
@settings(max_examples=40, deadline=None)
def test_sampled_levels_are_solvable(size: int, density: float, distance: int, seed: int) -> None:
    env = make(params={"size": size, "wall_density": density, "min_goal_distance": distance})
    env.reset(seed=seed)
    assert goal_distance(env.level) is not None
    assert env.level.shape == (size, size)


def test_parameter_space_samples_always_give_solvable_levels() -> None:
    env, rng = make(), np.random.default_rng(0)
    for index in range(100):
        env.set_params(MazeEnv.space.sample(rng))
        env.reset(seed=index)
        assert env.level.problems() == []


def test_explicit_level_persists_until_cleared() -> None:
    env = make(level=CORRIDOR)
    env.reset(seed=0)
    assert env.level == parse_level(CORRIDOR)
    env.reset()
    assert env.level == parse_level(CORRIDOR)
    env.set_level(None)
    env.reset()
    assert env.level.shape == (11, 11)
    env.reset(options={"level": parse_level(CORRIDOR)})
    assert env.level == parse_level(CORRIDOR)
    env.reset_to_level("G.S")
    assert env.level.goal == (0, 0)


def test_bad_levels_and_params_are_rejected() -> None:
    with pytest.raises(LevelError, match="cannot be reached"):
        make(level="S#G")
    with pytest.raises(BetalError, match="level must be a Level"):
        make(level=42)
    with pytest.raises(ParameterError, match="view_size"):
        make(params={"view_size": 4})


def test_walking_to_the_goal_pays_the_minigrid_reward() -> None:
    env = make(level=CORRIDOR, params={"step_limit": 20})
    env.reset(seed=0)
    for _ in range(3):
        _, reward, terminated, truncated, info = env.step(FORWARD)
        assert (reward, terminated, truncated, info["success"]) == (0.0, False, False, False)
    _, reward, terminated, _, info = env.step(FORWARD)
    assert terminated and info["success"]
    assert reward == pytest.approx(1 - 0.9 * 4 / 20)
    assert info["shortest_path"] == 4 and "S...G" in info["level"]


def test_walls_block_and_turns_rotate() -> None:
    env = make(level="S#G\n...")
    env.reset(seed=0)
    env.step(FORWARD)
    assert env.agent == ((0, 0), 0)
    env.step(RIGHT)
    env.step(FORWARD)
    assert env.agent == ((1, 0), 1)
    env.step(LEFT)
    assert env.agent == ((1, 0), 0)


def test_episode_is_truncated_at_the_step_limit() -> None:
    env = make(level=CORRIDOR, params={"step_limit": 10})
    env.reset(seed=0)
    for _ in range(10):
        _, _, terminated, truncated, info = env.step(LEFT)
        assert not terminated
    assert truncated and info["success"] is False


def test_view_is_egocentric() -> None:
    env = make(level="S.G\n...\n...", params={"view_size": 3})
    observation, _ = env.reset(seed=0)
    assert observation["view"].shape == (147,) and observation["view"].dtype == np.uint8
    view = observation["view"].reshape(VIEW_SHAPE)
    assert observation["facing"] == 0
    # Facing east: the goal is two cells ahead, straight up the middle column of the view.
    assert view[4, 3, 1] == 1 and view[4:, 2:5, 2].sum() == 0
    # Everything beyond the 3x3 window is unseen.
    assert view[:4, :, 2].all() and view[:, :2, 2].all()
    # To the agent's left (north) is the grid's edge, which shows as wall.
    assert view[6, 2, 0] == 1 and view[6, 4, 0] == 0
    observation, *_ = env.step(RIGHT)
    view = observation["view"].reshape(VIEW_SHAPE)
    # Facing south: ahead is floor, to the right (west) the edge, to the left (east) floor.
    assert observation["facing"] == 1
    assert view[5, 3, 0] == 0 and view[6, 4, 0] == 1 and view[6, 2, 0] == 0


def test_text_mode_reads_words() -> None:
    env = make(level=CORRIDOR, obs_mode="text", params={"view_size": 3})
    observation, _ = env.reset(seed=0)
    assert "You face east" in observation and "left, right or forward" in observation
    _, _, _, _, info = env.step("I will move forward.")
    assert env.agent[0] == (0, 1) and "invalid_action" not in info
    _, _, _, _, info = env.step("jump")
    assert info["invalid_action"] == "jump" and env.agent == ((0, 1), 0)


def test_text_view_shows_walls_goal_and_agent() -> None:
    env = make(level="S.G", obs_mode="text", params={"view_size": 3})
    observation, _ = env.reset(seed=0)
    # Facing east along a one-row maze: the edges left and right are walls, the goal ahead.
    assert "\n#.#\n#A#\n" in observation
    env.step("forward")
    observation = env._observe()
    assert "\n#G#\n#A#\n" in observation


def test_render_modes() -> None:
    env = make(level=CORRIDOR, render_mode="rgb_array")
    env.reset(seed=0)
    picture = env.render()
    assert picture.shape == (12, 60, 3) and picture.dtype == np.uint8
    assert (picture[:, 48:] == [40, 190, 60]).all(axis=-1).any()
    env.render_mode = "ansi"
    assert env.render() == ">...G\n"


def test_manual_documents_every_parameter() -> None:
    for parameter in MazeEnv.space:
        assert f"`{parameter.name}`" in MazeEnv.__doc__
    assert MazeEnv.summary and MazeEnv.default_student == "maze-bfs"
