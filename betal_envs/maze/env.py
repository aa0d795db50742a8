"""``BeTaL/Maze-v0``: partially observed navigation to a goal among walls."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from betal_envs.errors import BetalError
from betal_envs.maze.generator import generate_level
from betal_envs.maze.level import FACINGS, FORWARD, Level, goal_distance, parse_level
from betal_envs.maze.render import render_rgb
from betal_envs.params import ChoiceParam, FloatParam, IntParam, ParameterSpace
from betal_envs.template import TEXT_CHARSET, Template

logger = logging.getLogger(__name__)

MAZE_ID = "BeTaL/Maze-v0"
#: Side of the observed window; smaller views are padded with "unseen" cells.
MAX_VIEW = 7
#: Actions in array mode, in Minigrid's order.
ACTIONS: tuple[str, ...] = ("left", "right", "forward")
#: Channels of the array view: one bit each for wall, goal, and cell not in view.
CHANNELS: tuple[str, ...] = ("wall", "goal", "unseen")
#: Shape of the view before it is flattened for stable-baselines3 (which takes any 3-D
#: ``uint8`` box for an image, and 7x7 is too small for its image networks).
VIEW_SHAPE: tuple[int, int, int] = (MAX_VIEW, MAX_VIEW, len(CHANNELS))

_FLOOR, _WALL, _GOAL, _UNSEEN = 0, 1, 2, 3
_ONE_HOT = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.uint8)
#: Characters of the cell codes in text observations ('?', unseen, lies outside the shown window).
_TEXT_CELL = np.array(list(".#G?"))
_PAD = MAX_VIEW - 1


def _view_offsets() -> tuple[np.ndarray, np.ndarray]:
    """For each facing, the grid offsets of every view cell from the agent.

    View row 0 is farthest ahead and the agent stands at the bottom middle, so view cell
    ``(i, j)`` lies ``MAX_VIEW - 1 - i`` cells ahead and ``j - MAX_VIEW // 2`` to the right.
    """
    ahead = (MAX_VIEW - 1 - np.arange(MAX_VIEW))[:, None]
    right = (np.arange(MAX_VIEW) - MAX_VIEW // 2)[None, :]
    rows, cols = [], []
    for facing, (f_row, f_col) in enumerate(FORWARD):
        r_row, r_col = FORWARD[(facing + 1) % 4]
        rows.append(ahead * f_row + right * r_row)
        cols.append(ahead * f_col + right * r_col)
    return np.stack(rows), np.stack(cols)


_OFFSET_ROWS, _OFFSET_COLS = _view_offsets()


def _hidden_mask(view_size: int) -> np.ndarray:
    """``True`` for the cells of the 7x7 window outside a ``view_size`` view."""
    margin = (MAX_VIEW - view_size) // 2
    hidden = np.ones((MAX_VIEW, MAX_VIEW), dtype=bool)
    hidden[MAX_VIEW - view_size :, margin : MAX_VIEW - margin] = False
    return hidden


class MazeEnv(Template):
    """Find the goal in a maze while seeing only a small window ahead.

    ## Description

    The agent stands on a grid of floor and wall cells, facing one of four directions, and
    must reach the goal cell. It sees only a square window in front of it (``view_size``
    cells wide, itself at the bottom middle, walls do not block sight) and must explore,
    remember and plan. This is the navigation task of Minigrid and of the Unsupervised
    Environment Design papers (PAIRED, PLR, ACCEL), written on numpy arrays for speed.

    A level is generated from the parameters and the instance seed (random walls, the goal at
    least ``min_goal_distance`` moves away, always solvable), or given explicitly as a
    :class:`~betal_envs.maze.level.Level` or its text form::

        env = gym.make("BeTaL/Maze-v0", level="S..#\\n.#.G\\nfacing: east", obs_mode="array")

    A given level stays in force across resets until :meth:`set_level` is called with
    ``None``; ``reset(options={"level": ...})`` and :meth:`reset_to_level` set it too.

    ## Parameters

    | name | type | allowed | default | meaning | harder |
    |---|---|---|---|---|---|
    | `size` | int | 5..15 | 11 | side of the square grid, in cells | higher |
    | `wall_density` | float | 0..0.6 | 0.3 | chance that a cell is a wall | higher |
    | `min_goal_distance` | int | 1..28 | 14 | fewest moves to the goal, at most 2*size-2 | higher |
    | `view_size` | choice | 3, 5, 7 | 5 | side of the square window the agent sees | lower |
    | `step_limit` | int | 10..500 | 36 | steps before the episode is cut off | lower |

    Parameters act on generated levels; an explicit level ignores the first three. When the
    wall density leaves no cell far enough from the start, the start moves to a corner and
    the walls are thinned until one is, so the densest grids with the farthest goals hold
    long paths through fewer walls (see :mod:`betal_envs.maze.generator`). The defaults are
    of middling difficulty: the default student ``maze-bfs`` solves about half of their
    instances.

    ## Observations

    - ``obs_mode="array"``: a ``Dict`` with ``"view"``, 147 ``uint8`` bits that
      ``reshape(VIEW_SHAPE)`` turns into a ``(7, 7, 3)`` picture (per cell: wall, goal,
      unseen; cells beyond ``view_size`` are unseen, the agent's own cell is row 6, column
      3, and "up" is the way it faces), and ``"facing"``, ``Discrete(4)`` (east, south,
      west, north).
    - ``obs_mode="text"``: the visible window as characters (``#`` wall, ``.`` floor, ``G``
      goal, ``A`` the agent, facing up) with the absolute facing and the allowed actions.

    ## Actions

    ``Discrete(3)`` in array mode: 0 turn left, 1 turn right, 2 move forward (a wall or the
    grid's edge blocks the move). In text mode one of the words ``left``, ``right``,
    ``forward``; anything else wastes the step and sets ``info["invalid_action"]``.

    ## Rewards and episode end

    Reaching the goal ends the episode with reward ``1 - 0.9 * steps / step_limit``, as in
    Minigrid; every other step gives 0. The episode is truncated after ``step_limit`` steps
    (or ``max_steps`` if smaller). Every step's info has ``"success"``; the last one also has
    ``"shortest_path"`` (the fewest forward moves) and ``"level"`` (the level's text).

    ## Version history

    - v0: first version.
    """

    space = ParameterSpace(
        MAZE_ID,
        (
            IntParam("size", "side of the square grid, in cells", 5, 15, 11, "higher"),
            FloatParam("wall_density", "chance that a cell is a wall", 0.0, 0.6, 0.3, "higher"),
            IntParam(
                "min_goal_distance",
                "fewest moves from start to goal (capped at 2 * (size - 1))",
                1,
                28,
                14,
                "higher",
            ),
            ChoiceParam(
                "view_size", "side of the square window the agent sees", (3, 5, 7), 5, "lower"
            ),
            IntParam("step_limit", "steps before the episode is cut off", 10, 500, 36, "lower"),
        ),
    )
    env_id = MAZE_ID
    default_student = "maze-bfs"
    summary = (
        "Maze: an agent on a square grid of floor and wall cells must walk to a goal cell while "
        "seeing only a small square window in front of it, so it has to explore, remember what it "
        "saw and plan a path. Levels are random walls with the goal at least a given number of "
        "moves away, always solvable. Harder: larger grids, more walls, a farther goal, a smaller "
        "view and fewer allowed steps. The reference student explores with breadth-first search "
        "over the map it has seen, forgets cells after a while and sometimes acts at random."
    )
    default_max_steps = 500

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        obs_mode: str = "text",
        render_mode: str | None = None,
        max_steps: int | None = None,
        level: Level | str | None = None,
    ) -> None:
        super().__init__(params, obs_mode, render_mode, max_steps)  # type: ignore[arg-type]
        self._step_cap = self.max_steps
        self._fixed_level: Level | None = None
        self.set_level(level)
        self._codes = np.zeros((1, 1), dtype=np.uint8)
        self._hidden = _hidden_mask(int(self.params["view_size"]))
        self._position = (0, 0)
        self._facing = 0

    # -- levels ---------------------------------------------------------------------------

    def set_level(self, level: Level | str | None) -> Level | None:
        """Play ``level`` (a :class:`Level` or its text) at every later reset; ``None`` to stop.

        Raises:
            LevelError: when the level is not a playable maze.
        """
        if level is None:
            self._fixed_level = None
        elif isinstance(level, Level):
            self._fixed_level = level.check()
        elif isinstance(level, str):
            self._fixed_level = parse_level(level)
        else:
            raise BetalError(
                f"level must be a Level, its text or None, got {type(level).__name__}; "
                "build one with betal_envs.maze.parse_level."
            )
        return self._fixed_level

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start the next instance; ``options["level"]`` first sets a level (see ``set_level``)."""
        options = dict(options or {})
        if "level" in options:
            self.set_level(options.pop("level"))
        return super().reset(seed=seed, options=options)

    def reset_to_level(self, level: Level | str, seed: int | None = None) -> tuple[Any, dict]:
        """Set ``level`` (it persists) and start an episode on it."""
        return self.reset(seed=seed, options={"level": level})

    @property
    def level(self) -> Level:
        """The level being played."""
        if self.instance is None:
            raise BetalError(f"{MAZE_ID}: call reset() before reading the level.")
        return self.instance

    @property
    def agent(self) -> tuple[tuple[int, int], int]:
        """The agent's ``(row, col)`` and facing index (for tests and renderers, not students)."""
        return self._position, self._facing

    # -- hooks ----------------------------------------------------------------------------

    def _spaces(self) -> tuple[gym.Space, gym.Space]:
        if self.obs_mode == "array":
            view = gym.spaces.Box(0, 1, (int(np.prod(VIEW_SHAPE)),), np.uint8)
            observation = gym.spaces.Dict({"view": view, "facing": gym.spaces.Discrete(4)})
            return observation, gym.spaces.Discrete(len(ACTIONS))
        text = gym.spaces.Text(1024, charset=TEXT_CHARSET)
        return text, gym.spaces.Text(256, min_length=0, charset=TEXT_CHARSET)

    def _new_instance(self, seed: int) -> Level:
        level = self._fixed_level or generate_level(self.params, np.random.default_rng(seed))
        self.max_steps = min(int(self.params["step_limit"]), self._step_cap)
        codes = np.pad(level.walls.astype(np.uint8), _PAD, constant_values=_WALL)
        codes[level.goal[0] + _PAD, level.goal[1] + _PAD] = _GOAL
        self._codes = codes
        self._hidden = _hidden_mask(int(self.params["view_size"]))
        self._position, self._facing = level.start, level.facing
        return level

    def _view_codes(self) -> np.ndarray:
        row, col = self._position
        rows = _OFFSET_ROWS[self._facing] + (row + _PAD)
        cols = _OFFSET_COLS[self._facing] + (col + _PAD)
        return np.where(self._hidden, _UNSEEN, self._codes[rows, cols])

    def _observe(self) -> Any:
        codes = self._view_codes()
        if self.obs_mode == "array":
            return {"view": _ONE_HOT[codes].reshape(-1), "facing": self._facing}
        size = int(self.params["view_size"])
        margin = (MAX_VIEW - size) // 2
        cells = _TEXT_CELL[codes[MAX_VIEW - size :, margin : MAX_VIEW - margin]]
        cells[-1, size // 2] = "A"
        grid = "\n".join("".join(line) for line in cells)
        return (
            f"You face {FACINGS[self._facing]}. You see {size}x{size} cells; you are A at the "
            "bottom middle and the top is the way you face ('#' wall, also beyond the maze's "
            f"edge; '.' floor; 'G' goal).\n{grid}\n"
            "Reply with one action: left, right or forward."
        )

    def _act(self, action: Any) -> tuple[float, bool, dict[str, Any]]:
        info: dict[str, Any] = {}
        move = self._parse_action(action)
        if move is None:
            info["invalid_action"] = str(action)[:100]
        elif move == 0:
            self._facing = (self._facing - 1) % 4
        elif move == 1:
            self._facing = (self._facing + 1) % 4
        else:
            d_row, d_col = FORWARD[self._facing]
            row, col = self._position[0] + d_row, self._position[1] + d_col
            if self._codes[row + _PAD, col + _PAD] != _WALL:
                self._position = (row, col)
        success = self._position == self.instance.goal
        info["success"] = success
        reward = 1.0 - 0.9 * self._steps / self.max_steps if success else 0.0
        return reward, success, info

    def _parse_action(self, action: Any) -> int | None:
        if self.obs_mode == "array":
            if isinstance(action, np.ndarray) and action.shape in ((), (1,)):
                action = action.reshape(()).item()
            if isinstance(action, (int, np.integer)) and 0 <= int(action) < len(ACTIONS):
                return int(action)
            raise BetalError(
                f"{MAZE_ID}: action {action!r} is not one of 0, 1, 2 (left, right, forward)."
            )
        words = str(action).lower().replace(".", " ").split()
        found = [ACTIONS.index(word) for word in words if word in ACTIONS]
        return found[-1] if found else None

    def _reset_info(self) -> dict[str, Any]:
        return {"step_limit": self.max_steps}

    def _final_info(self) -> dict[str, Any]:
        return {"shortest_path": goal_distance(self.instance), "level": self.instance.to_text()}

    def _render_text(self) -> str:
        level = self.instance
        rows = [["#" if wall else "." for wall in line] for line in level.walls]
        rows[level.goal[0]][level.goal[1]] = "G"
        rows[self._position[0]][self._position[1]] = ">v<^"[self._facing]
        return "\n".join("".join(row) for row in rows) + "\n"

    def _render_rgb(self) -> np.ndarray:
        return render_rgb(self.instance, self._position, self._facing, self._view_cells())

    def _view_cells(self) -> np.ndarray:
        """Grid ``(row, col)`` of every visible cell, for highlighting in the picture."""
        row, col = self._position
        visible = ~self._hidden
        rows = _OFFSET_ROWS[self._facing][visible] + row
        cols = _OFFSET_COLS[self._facing][visible] + col
        return np.stack([rows, cols], axis=1)
