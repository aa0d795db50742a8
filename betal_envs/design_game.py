"""The design game of PAIRED as a PettingZoo AEC environment, over any template.

Three agents take turns:

1. ``designer`` builds an instance. In ``mode="params"`` it acts once with a point of the
   template's unit cube, decoded into parameters (:meth:`ParameterSpace.decode_valid`). In
   ``mode="cells"`` (``BeTaL/Maze-v0`` only) it builds a level cell by cell as in PAIRED:
   its first action places the start, the second the goal, each later one a wall, on a
   ``size x size`` grid.
2. ``protagonist`` plays one episode of that instance through the template's array API.
3. ``antagonist`` plays the very same instance (same parameters, seed and index).

When the antagonist's episode ends the game ends, and each agent gets its share of the
*regret*, the antagonist's return minus the protagonist's: the designer and the antagonist
receive ``+regret``, the protagonist ``-regret``. The designer is thereby paid for instances
that are solvable (the antagonist succeeds) yet hard for the protagonist. An unsolvable maze
is not played at all and has regret 0.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from pettingzoo import AECEnv

import betal_envs  # noqa: F401  (registers the templates)
from betal_envs.errors import BetalError
from betal_envs.maze.level import FACINGS, Level, is_solvable
from betal_envs.registration import resolve_id
from betal_envs.template import Template

logger = logging.getLogger(__name__)

AGENTS: tuple[str, ...] = ("designer", "protagonist", "antagonist")
MODES: tuple[str, ...] = ("params", "cells")
_MAZE = "BeTaL/Maze-v0"


def blank_observation(space: gym.Space) -> Any:
    """An all-zero value of ``space``, shown to an agent before its turn."""
    if isinstance(space, gym.spaces.Dict):
        return {key: blank_observation(sub) for key, sub in space.spaces.items()}
    if isinstance(space, gym.spaces.Discrete):
        return int(space.start)
    if isinstance(space, gym.spaces.Box):
        return np.zeros(space.shape, space.dtype).clip(space.low, space.high).astype(space.dtype)
    if isinstance(space, gym.spaces.Text):
        return "".join(sorted(space.character_set))[:1] * space.min_length
    raise BetalError(f"the design game cannot show a {type(space).__name__} observation.")


class DesignGame(AECEnv):
    """Designer, protagonist and antagonist playing the PAIRED game on one template.

    Args:
        env_id: any registered template id.
        mode: ``"params"`` (the designer picks parameters) or ``"cells"`` (it draws a maze).
        params: parameters held where the designer does not set them; in ``"cells"`` mode
            ``size`` gives the grid side and the rest (``view_size``, ``step_limit``) apply
            to the players.
        wall_budget: walls the designer places in ``"cells"`` mode; a quarter of the cells
            when ``None``.
        render_mode: ``None`` or ``"ansi"`` (the template's text rendering of the instance).
    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": "betal_design_game_v0",
        "render_modes": ["ansi"],
        "is_parallelizable": False,
    }

    def __init__(
        self,
        env_id: str = _MAZE,
        mode: str = "params",
        params: Mapping[str, Any] | None = None,
        wall_budget: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__()
        self.env_id = resolve_id(env_id)
        if mode not in MODES:
            raise BetalError(f"mode {mode!r} is not one of {MODES}; use 'params' for any template.")
        if mode == "cells" and self.env_id != _MAZE:
            raise BetalError(
                f"mode 'cells' draws mazes and needs {_MAZE}, not {self.env_id}; use 'params'."
            )
        if render_mode not in (None, "ansi"):
            raise BetalError(f"render_mode {render_mode!r} is not supported; use None or 'ansi'.")
        self.mode = mode
        self.render_mode = render_mode
        self.template: Template = gym.make(
            self.env_id, params=dict(params or {}), obs_mode="array", disable_env_checker=True
        ).unwrapped
        self.base_params = self.template.get_params()
        self.possible_agents = list(AGENTS)
        self._side = int(self.base_params.get("size", 1))
        budget = round(self._side * self._side / 4) if wall_budget is None else int(wall_budget)
        if budget < 0:
            raise BetalError(f"wall_budget must be >= 0, got {budget}.")
        self._design_steps = 1 if mode == "params" else 2 + budget
        self._observation_spaces = {"designer": self._designer_observation_space()}
        self._action_spaces = {"designer": self._designer_action_space()}
        for player in AGENTS[1:]:
            self._observation_spaces[player] = self.template.observation_space
            self._action_spaces[player] = self.template.action_space
        self._rng = np.random.default_rng()
        self._stream_seed = 0
        self._game = -1

    # -- spaces ---------------------------------------------------------------------------

    def _designer_observation_space(self) -> gym.Space:
        if self.mode == "params":
            return gym.spaces.Box(0.0, 1.0, (self.template.space.dim,), np.float32)
        grid = gym.spaces.Box(0, 1, (self._side, self._side, 3), np.uint8)
        return gym.spaces.Dict({"grid": grid, "step": gym.spaces.Discrete(self._design_steps)})

    def _designer_action_space(self) -> gym.Space:
        if self.mode == "params":
            return gym.spaces.Box(0.0, 1.0, (self.template.space.dim,), np.float32)
        return gym.spaces.Discrete(self._side * self._side)

    def observation_space(self, agent: str) -> gym.Space:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gym.Space:
        return self._action_spaces[agent]

    # -- AEC API --------------------------------------------------------------------------

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start a new game; ``seed`` fixes the designer's grid noise and the players' instance."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self._stream_seed = int(seed)
            self._game = -1
        self._game += 1
        self.agents = list(AGENTS)
        self.rewards = {agent: 0.0 for agent in AGENTS}
        self._cumulative_rewards = {agent: 0.0 for agent in AGENTS}
        self.terminations = {agent: False for agent in AGENTS}
        self.truncations = {agent: False for agent in AGENTS}
        self.infos: dict[str, dict[str, Any]] = {agent: {} for agent in AGENTS}
        self.agent_selection = "designer"
        self.returns = {"protagonist": 0.0, "antagonist": 0.0}
        self.params = dict(self.base_params)
        self.level: Level | None = None
        self._design_step = 0
        self._walls = np.zeros((self._side, self._side), dtype=bool)
        self._start: tuple[int, int] | None = None
        self._goal: tuple[int, int] | None = None
        self._observations = {
            agent: blank_observation(self._observation_spaces[agent]) for agent in AGENTS
        }
        self._observations["designer"] = self._designer_observation()

    def observe(self, agent: str) -> Any:
        return self._observations[agent]

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        if agent == "designer":
            self._design(action)
        else:
            self._play(agent, action)
        self._accumulate_rewards()

    def render(self) -> str | None:
        if self.render_mode is None or self.template.instance is None:
            return None
        return self.template._render_text()

    def close(self) -> None:
        self.template.close()

    # -- the designer's turn --------------------------------------------------------------

    def _designer_observation(self) -> Any:
        if self.mode == "params":
            return self.template.space.encode(self.params).astype(np.float32)
        grid = np.zeros((self._side, self._side, 3), np.uint8)
        grid[:, :, 0] = self._walls
        if self._start is not None:
            grid[(*self._start, 1)] = 1
        if self._goal is not None:
            grid[(*self._goal, 2)] = 1
        step = min(self._design_step, self._design_steps - 1)
        return {"grid": grid, "step": step}

    def _design(self, action: Any) -> None:
        if self.mode == "params":
            unit = np.asarray(action, dtype=np.float64)
            self.params = self.template.space.decode_valid(unit, self._rng)
            self._design_step = 1
        else:
            self._place(int(action))
        self._observations["designer"] = self._designer_observation()
        if self._design_step >= self._design_steps:
            self._begin_play()

    def _place(self, index: int) -> None:
        """Put the start, then the goal, then walls; a clash picks a random free cell instead."""
        cell = divmod(index, self._side)
        if self._start is None:
            self._start = cell
        elif self._goal is None:
            if cell == self._start:
                free = [c for c in np.ndindex(self._side, self._side) if c != self._start]
                cell = free[int(self._rng.integers(len(free)))]
            self._goal = cell
        elif cell not in (self._start, self._goal):
            self._walls[cell] = True
        self._design_step += 1

    def _instance_options(self) -> dict[str, Any]:
        return {"params": self.params, "index": self._game}

    def _begin_play(self) -> None:
        """Fix the instance and hand the turn to the protagonist (or end an unsolvable game)."""
        if self.mode == "cells":
            facing = int(self._rng.integers(len(FACINGS)))
            self.level = Level(self._walls, self._start, facing, self._goal)
            if not is_solvable(self.level):
                self._end_game()
                return
            self.template.set_level(self.level)
        self.template.set_params(self.params)
        self._start_episode("protagonist")

    def _start_episode(self, player: str) -> None:
        observation, _ = self.template.reset(seed=self._stream_seed, options={"index": self._game})
        self._observations[player] = observation
        self.agent_selection = player

    # -- the players' turns ---------------------------------------------------------------

    def _play(self, player: str, action: Any) -> None:
        observation, reward, terminated, truncated, info = self.template.step(action)
        self._observations[player] = observation
        self.returns[player] += reward
        if not (terminated or truncated):
            return
        self.infos[player] = {"success": bool(info.get("success", False))}
        if player == "protagonist":
            self._start_episode("antagonist")
        else:
            self._end_game()

    def _end_game(self) -> None:
        regret = self.returns["antagonist"] - self.returns["protagonist"]
        self.rewards = {"designer": regret, "antagonist": regret, "protagonist": -regret}
        for agent in AGENTS:
            self.terminations[agent] = True
            self.infos[agent] = {**self.infos[agent], "regret": regret, "params": dict(self.params)}
        self.agent_selection = "designer"
        logger.debug("design game %d ended with regret %.3f", self._game, regret)


def env(**kwargs: Any) -> DesignGame:
    """Build the design game (PettingZoo's customary module-level constructor)."""
    return DesignGame(**kwargs)
