"""``BeTaL/SpatialGrid-v0``: particles on a square board, moved and rotated, then a question.

The package splits the template by idea: :mod:`~betal_envs.spatial_grid.rules` (directions,
operations and the board they change), :mod:`~betal_envs.spatial_grid.generator` (instances
from parameters and a seed), :mod:`~betal_envs.spatial_grid.text` (the prompt and reading
answers), :mod:`~betal_envs.spatial_grid.render` (pictures) and
:mod:`~betal_envs.spatial_grid.env` (the Gymnasium environment and its manual).
"""

from betal_envs.spatial_grid.env import SpatialGridEnv

__all__ = ["SpatialGridEnv"]
