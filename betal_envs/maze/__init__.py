"""The maze template: levels as values, their generator, and the ``BeTaL/Maze-v0`` env."""

from betal_envs.maze.env import ACTIONS, MAZE_ID, VIEW_SHAPE, MazeEnv
from betal_envs.maze.generator import generate_level, mutate_level
from betal_envs.maze.level import (
    FACINGS,
    Level,
    LevelError,
    distance_map,
    goal_distance,
    is_solvable,
    parse_level,
)

__all__ = [
    "ACTIONS",
    "FACINGS",
    "MAZE_ID",
    "VIEW_SHAPE",
    "Level",
    "LevelError",
    "MazeEnv",
    "distance_map",
    "generate_level",
    "goal_distance",
    "is_solvable",
    "mutate_level",
    "parse_level",
]
