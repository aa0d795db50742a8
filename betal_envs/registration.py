"""The registered templates and helpers to look them up.

Each template is registered with Gymnasium under a versioned id in the ``BeTaL`` namespace,
with a lazy ``"module:Class"`` entry point so importing the suite stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

import gymnasium as gym

from betal_envs.errors import unknown_name

#: Registered id -> entry point. The order is the order of ``betal envs``.
TEMPLATES: dict[str, str] = {
    "BeTaL/SpatialGrid-v0": "betal_envs.spatial_grid:SpatialGridEnv",
    "BeTaL/ArithmeticSequence-v0": "betal_envs.arithmetic_sequence:ArithmeticSequenceEnv",
    "BeTaL/Maze-v0": "betal_envs.maze:MazeEnv",
    "BeTaL/Airline-v0": "betal_envs.airline:AirlineEnv",
}


def register_templates() -> None:
    """Register every template with Gymnasium (safe to call more than once)."""
    for env_id, entry_point in TEMPLATES.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, disable_env_checker=False)


def template_ids() -> list[str]:
    """Ids of all registered templates."""
    return list(TEMPLATES)


def resolve_id(env_id: str) -> str:
    """Return ``env_id`` if registered (the ``BeTaL/`` prefix may be left out), else raise."""
    if env_id in TEMPLATES:
        return env_id
    if f"BeTaL/{env_id}" in TEMPLATES:
        return f"BeTaL/{env_id}"
    raise unknown_name("template", env_id, TEMPLATES)


def template_class(env_id: str) -> type[Any]:
    """The class behind a registered id, imported on demand."""
    module, _, name = TEMPLATES[resolve_id(env_id)].partition(":")
    return getattr(importlib.import_module(module), name)
