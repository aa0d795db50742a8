"""The PAIRED design game as a PettingZoo AEC environment."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test

from agents.registry import STUDENTS
from agents.rl import maze_students  # noqa: F401  (registers the maze students)
from agents.student import Episode
from betal_envs.design_game import AGENTS, DesignGame
from betal_envs.errors import BetalError
from betal_envs.maze import MAZE_ID, goal_distance
from tests.toy_template import TOY_ID, install

install()


@pytest.mark.parametrize(
    ("env_id", "mode"), [(MAZE_ID, "params"), (MAZE_ID, "cells"), (TOY_ID, "params")]
)
def test_passes_the_pettingzoo_api_test(env_id: str, mode: str) -> None:
    game = DesignGame(env_id, mode=mode, params={"size": 5} if env_id == MAZE_ID else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(game, num_cycles=300)


def play(game: DesignGame, designer_actions: list, players: dict, seed: int = 0) -> dict:
    """Play one game with scripted designer actions and student-driven players."""
    game.reset(seed=seed)
    episodes = {name: Episode(MAZE_ID, seed, 0) for name in players}
    actions = iter(designer_actions)
    for agent in game.agent_iter():
        observation, _, terminated, truncated, info = game.last()
        if terminated or truncated:
            action = None
        elif agent == "designer":
            action = next(actions)
        else:
            action = players[agent].act(observation, info, episodes[agent])
        game.step(action)
    return game


def test_regret_pays_designer_and_antagonist_and_charges_protagonist() -> None:
    game = DesignGame(MAZE_ID, params={"view_size": 5})
    players = {
        "protagonist": STUDENTS.build("maze-random"),
        "antagonist": STUDENTS.build("maze-bfs:epsilon=0,memory=0"),
    }
    point = game.template.space.encode(
        {"size": 7, "wall_density": 0.2, "min_goal_distance": 10, "view_size": 5, "step_limit": 100}
    )
    play(game, [point], players, seed=3)
    regret = game.returns["antagonist"] - game.returns["protagonist"]
    assert game.returns["antagonist"] > 0.5 and regret > 0
    assert game.infos == {} and game.agents == []
    assert game._cumulative_rewards == {}


def test_cumulative_rewards_are_the_regret_at_the_end() -> None:
    game = DesignGame(MAZE_ID, params={"size": 5})
    game.reset(seed=0)
    players = {
        "protagonist": STUDENTS.build("maze-random"),
        "antagonist": STUDENTS.build("maze-bfs"),
    }
    episodes = {name: Episode(MAZE_ID, 0, 0) for name in players}
    game.step(np.full(game.template.space.dim, 0.2, dtype=np.float32))
    assert game.params["size"] == 7 and game.agent_selection == "protagonist"
    while not game.terminations["designer"]:
        agent = game.agent_selection
        observation, *_, info = game.last()
        game.step(players[agent].act(observation, info, episodes[agent]))
    regret = game.returns["antagonist"] - game.returns["protagonist"]
    assert game._cumulative_rewards == {
        "designer": regret,
        "antagonist": regret,
        "protagonist": -regret,
    }
    assert game.infos["designer"]["regret"] == regret


def test_cells_mode_builds_the_level_cell_by_cell() -> None:
    game = DesignGame(MAZE_ID, mode="cells", params={"size": 5}, wall_budget=3)
    game.reset(seed=1)
    # Start top-left, goal bottom-right, then walls on three cells of the middle row.
    for cell in (0, 24, 10, 11, 12):
        assert game.agent_selection == "designer"
        game.step(cell)
    assert game.agent_selection == "protagonist"
    level = game.level
    assert level.start == (0, 0) and level.goal == (4, 4)
    assert level.walls.sum() == 3 and level.walls[2, :3].all()
    assert goal_distance(level) == 8
    observation = game.observe("designer")
    assert observation["grid"][:, :, 0].sum() == 3 and observation["grid"][4, 4, 2] == 1


def test_unsolvable_design_ends_with_zero_regret() -> None:
    game = DesignGame(MAZE_ID, mode="cells", params={"size": 5}, wall_budget=5)
    game.reset(seed=0)
    for cell in (0, 24, 10, 11, 12, 13, 14):
        game.step(cell)
    assert all(game.terminations[agent] for agent in AGENTS)
    assert game.rewards == {"designer": 0.0, "antagonist": 0.0, "protagonist": -0.0}


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(BetalError, match="mode 'cells' draws mazes"):
        DesignGame(TOY_ID, mode="cells")
    with pytest.raises(BetalError, match="mode 'paint' is not one of"):
        DesignGame(MAZE_ID, mode="paint")
