"""``BeTaL/Airline-v0``: customer service with tools, a written policy and a simulated user.

The package splits the template by idea: :mod:`~betal_envs.airline.world` (the database and
its generator), :mod:`~betal_envs.airline.policy` (the written policy and the same rules as
code), :mod:`~betal_envs.airline.schemas`, :mod:`~betal_envs.airline.arguments` and
:mod:`~betal_envs.airline.tools` (the tools: JSON Schemas, argument checks, what they do),
:mod:`~betal_envs.airline.tasks`, :mod:`~betal_envs.airline.targets`,
:mod:`~betal_envs.airline.requests` and :mod:`~betal_envs.airline.generator` (instances:
requests, their targets, their gold), :mod:`~betal_envs.airline.phrases`,
:mod:`~betal_envs.airline.user` and :mod:`~betal_envs.airline.llm_user` (the simulated
user), :mod:`~betal_envs.airline.transcript` (observations and reading actions),
:mod:`~betal_envs.airline.judge` (success), :mod:`~betal_envs.airline.render` (pictures)
and :mod:`~betal_envs.airline.env` (the Gymnasium environment and its manual).
"""

from betal_envs.airline.env import AirlineEnv
from betal_envs.airline.space import ENV_ID, SPACE

__all__ = ["ENV_ID", "SPACE", "AirlineEnv"]
