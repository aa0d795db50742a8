"""Students for ``BeTaL/Maze-v0`` that act on array observations only.

* ``maze-bfs``: the reference student. It builds a map of what it has seen from its
  egocentric views (it knows its facing and dead-reckons its position: a forward move into a
  cell it sees as free always succeeds), plans with breadth-first search to the goal once
  seen, otherwise to the nearest unexplored cell, forgets cells not seen for ``memory`` steps,
  and takes a random action with probability ``epsilon``. The two knobs make a family of
  weaker and stronger students without any training.
* ``maze-random``: uniformly random actions, the floor every learner must beat.
* ``maze-ppo``: a stable-baselines3 policy saved by :mod:`agents.rl.ppo` (it is shown its
  previous action when it was trained with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.registry import STUDENTS
from agents.rl.observation import PREVIOUS_ACTION, no_action_yet, takes_previous_action
from agents.student import Episode, Student
from betal_envs.errors import SpecError
from betal_envs.maze.env import MAX_VIEW, MAZE_ID, VIEW_SHAPE
from betal_envs.maze.level import FORWARD, MAX_SIDE

LEFT, RIGHT, FORWARD_MOVE = 0, 1, 2
_UNKNOWN, _FREE, _WALL, _GOAL = -1, 0, 1, 2
#: Side of the student's map: room for any level wherever the start lies in it.
_MAP_SIDE = 2 * MAX_SIDE + 1


def _episode_rng(episode: Episode, salt: int) -> np.random.Generator:
    return np.random.default_rng([episode.seed & 0xFFFFFFFF, episode.index, salt])


def _view_to_map_offsets(facing: int) -> tuple[np.ndarray, np.ndarray]:
    """Map offsets (rows, cols) of every view cell when facing ``facing``."""
    ahead = (MAX_VIEW - 1 - np.arange(MAX_VIEW))[:, None]
    right = (np.arange(MAX_VIEW) - MAX_VIEW // 2)[None, :]
    f_row, f_col = FORWARD[facing]
    r_row, r_col = FORWARD[(facing + 1) % 4]
    return ahead * f_row + right * r_row, ahead * f_col + right * r_col


_OFFSETS = [_view_to_map_offsets(facing) for facing in range(4)]


def distances_to(targets: np.ndarray, passable: np.ndarray) -> np.ndarray:
    """Moves from every cell to the nearest target through passable cells (-1: unreachable).

    A wavefront on whole arrays: each round extends the reached set by one move.
    """
    distances = np.where(targets, 0, -1).astype(np.int32)
    reached = targets.copy()
    step = 0
    while True:
        grown = reached.copy()
        grown[1:, :] |= reached[:-1, :]
        grown[:-1, :] |= reached[1:, :]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        new = grown & passable & ~reached
        if not new.any():
            return distances
        step += 1
        distances[new] = step
        reached |= new


@STUDENTS.register("maze-bfs")
@dataclass
class MazeBFSStudent(Student):
    """Explores with breadth-first search over its own map; forgets and slips by its knobs."""

    memory: int = field(
        default=40, metadata={"doc": "steps a seen cell stays in the map (0: never forgets)"}
    )
    epsilon: float = field(default=0.1, metadata={"doc": "probability of a random action"})

    name = "maze-bfs"
    obs_mode = "array"
    templates = (MAZE_ID,)

    def __post_init__(self) -> None:
        if self.memory < 0:
            raise SpecError(
                f"maze-bfs memory must be >= 0 steps, got {self.memory}; use 0 for no forgetting."
            )
        if not 0.0 <= self.epsilon <= 1.0:
            raise SpecError(f"maze-bfs epsilon must be in [0, 1], got {self.epsilon}.")

    def describe(self) -> str:
        return f"{self.name}:memory={self.memory},epsilon={self.epsilon:g}"

    def act(self, observation: Any, info: dict[str, Any], episode: Episode) -> int:
        state = episode.memory
        if "map" not in state:
            state["map"] = np.full((_MAP_SIDE, _MAP_SIDE), _UNKNOWN, np.int8)
            state["seen_at"] = np.zeros((_MAP_SIDE, _MAP_SIDE), np.int64)
            state["position"] = (MAX_SIDE, MAX_SIDE)
            state["time"] = 0
            state["rng"] = _episode_rng(episode, salt=7)
        state["time"] += 1
        facing = int(observation["facing"])
        view = np.asarray(observation["view"]).reshape(VIEW_SHAPE)
        self._record(state, view, facing)
        if state["rng"].random() < self.epsilon:
            action = int(state["rng"].integers(3))
        else:
            action = self._plan(state, facing)
        if action == FORWARD_MOVE and view[MAX_VIEW - 2, MAX_VIEW // 2, 0] == 0:
            row, col = state["position"]
            state["position"] = (row + FORWARD[facing][0], col + FORWARD[facing][1])
        return action

    def _record(self, state: dict[str, Any], view: np.ndarray, facing: int) -> None:
        """Write the visible cells into the map and forget those seen too long ago."""
        grid, seen_at = state["map"], state["seen_at"]
        if self.memory:
            grid[state["time"] - seen_at > self.memory] = _UNKNOWN
        visible = view[:, :, 2] == 0
        codes = np.where(view[:, :, 0] == 1, _WALL, np.where(view[:, :, 1] == 1, _GOAL, _FREE))
        rows, cols = _OFFSETS[facing]
        rows = rows[visible] + state["position"][0]
        cols = cols[visible] + state["position"][1]
        inside = (rows >= 0) & (rows < _MAP_SIDE) & (cols >= 0) & (cols < _MAP_SIDE)
        grid[rows[inside], cols[inside]] = codes[visible][inside]
        seen_at[rows[inside], cols[inside]] = state["time"]

    def _plan(self, state: dict[str, Any], facing: int) -> int:
        """The first action of a shortest path to the goal, or else to the nearest unknown cell."""
        grid = state["map"]
        targets = grid == _GOAL
        if not targets.any():
            targets = grid == _UNKNOWN
        distances = distances_to(targets, grid != _WALL)
        row, col = state["position"]
        best, best_distance = facing, None
        for turn in (0, 1, 3, 2):
            direction = (facing + turn) % 4
            r, c = row + FORWARD[direction][0], col + FORWARD[direction][1]
            inside = 0 <= r < _MAP_SIDE and 0 <= c < _MAP_SIDE
            distance = int(distances[r, c]) if inside else -1
            if distance >= 0 and (best_distance is None or distance < best_distance):
                best, best_distance = direction, distance
        turn = (best - facing) % 4
        return {0: FORWARD_MOVE, 1: RIGHT, 3: LEFT, 2: RIGHT}[turn]


@STUDENTS.register("maze-random")
@dataclass
class MazeRandomStudent(Student):
    """Uniformly random actions, seeded by the instance so that evaluations repeat."""

    name = "maze-random"
    obs_mode = "array"
    templates = (MAZE_ID,)

    def act(self, observation: Any, info: dict[str, Any], episode: Episode) -> int:
        rng = episode.memory.setdefault("rng", _episode_rng(episode, salt=11))
        return int(rng.integers(3))


@STUDENTS.register("maze-ppo")
@dataclass
class MazePPOStudent(Student):
    """A PPO policy trained on the maze (see :func:`agents.rl.ppo.train`), loaded from a file."""

    path: str = field(default="", metadata={"doc": "the .zip written by PPO.save"})
    deterministic: bool = field(default=True, metadata={"doc": "take the most likely action"})

    name = "maze-ppo"
    obs_mode = "array"
    templates = (MAZE_ID,)

    def __post_init__(self) -> None:
        if not self.path:
            raise SpecError(
                "maze-ppo needs a saved policy; write e.g. 'maze-ppo:path=runs/ppo.zip'."
            )
        from stable_baselines3 import PPO

        self._model = PPO.load(self.path, device="cpu")
        self._previous = takes_previous_action(self._model.observation_space)

    def describe(self) -> str:
        return f"{self.name}:path={self.path}"

    def act(self, observation: Any, info: dict[str, Any], episode: Episode) -> int:
        if self._previous:
            space = self._model.observation_space
            previous = episode.memory.get(PREVIOUS_ACTION, no_action_yet(space))
            observation = {**observation, PREVIOUS_ACTION: previous}
        action, _ = self._model.predict(observation, deterministic=self.deterministic)
        episode.memory[PREVIOUS_ACTION] = int(action)
        return int(action)
