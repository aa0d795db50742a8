"""What an RL student sees besides the env's observation: its own previous action.

A policy without memory that sees only the cells in front of it cannot tell whether it has
just turned, so it cannot follow a wall: at a corner with an opening on its left it turns
left, and then sees a new opening on its left again. One bit of memory is enough to break
the loop, and the previous action carries it. Recurrent agents usually take the previous
action as an input for the same reason; here it comes as one more entry of the ``Dict``
observation, which stable-baselines3's ``MultiInputPolicy`` one-hot encodes.

The env itself is left unchanged (its observation stays comparable with Minigrid's); the
wrapper goes around it wherever the student plays: in training (:mod:`agents.rl.tasks`),
on held-out levels (:func:`agents.rl.ppo.solve_levels`) and in the ``maze-ppo`` student.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from betal_envs.errors import BetalError

#: The key of the previous action in the observation.
PREVIOUS_ACTION = "previous_action"


def takes_previous_action(space: gym.Space) -> bool:
    """Whether a policy with observation space ``space`` expects the previous action."""
    return isinstance(space, gym.spaces.Dict) and PREVIOUS_ACTION in space.spaces


def no_action_yet(space: gym.Space) -> int:
    """The value of the previous action at the start of an episode (one past the last action)."""
    return int(space[PREVIOUS_ACTION].n) - 1


class PreviousAction(gym.Wrapper):
    """Adds ``"previous_action"`` to a ``Dict`` observation.

    The value is the action taken at the last step, or ``n`` (the number of actions) at the
    start of an episode.

    Args:
        env: an env with a ``Dict`` observation space and a ``Discrete`` action space.

    Raises:
        BetalError: for any other spaces.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        spaces, actions = env.observation_space, env.action_space
        if not isinstance(spaces, gym.spaces.Dict) or not isinstance(actions, gym.spaces.Discrete):
            raise BetalError(
                "PreviousAction needs a Dict observation and a Discrete action space, got "
                f"{type(spaces).__name__} and {type(actions).__name__}; make the env with "
                "obs_mode='array'."
            )
        self._none = int(actions.n)
        self.observation_space = gym.spaces.Dict(
            {**spaces.spaces, PREVIOUS_ACTION: gym.spaces.Discrete(self._none + 1)}
        )

    def reset(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        observation, info = self.env.reset(**kwargs)
        return {**observation, PREVIOUS_ACTION: self._none}, info

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        observation, reward, terminated, truncated, info = self.env.step(action)
        return {**observation, PREVIOUS_ACTION: int(action)}, reward, terminated, truncated, info
