"""The template base class: a Gymnasium environment whose instances follow its parameters.

A *template* is a parameterized family of benchmark instances. Three ideas carry the design:

* **Parameters are values.** They are declared once in the class attribute ``space`` and
  validated there. ``gym.make(id, params={...})`` sets them, :meth:`Template.set_params`
  changes them on a live env and the change persists across resets (auto-resetting vector
  envs and stable-baselines3 drop reset options, so curricula rely on persistence), and
  ``reset(options={"params": {...}})`` changes them too.
* **Instances are addressed by ``(seed, index)``.** ``reset(seed=s)`` starts the stream of
  instances ``(s, 0), (s, 1), ...``; ``reset(options={"index": i})`` jumps to instance ``i``.
  Each instance is generated from its own generator, so any one regenerates alone.
* **One env, two views.** ``obs_mode="text"`` gives prompts for LLM students and takes text
  actions; ``obs_mode="array"`` gives fixed-shape arrays and integer actions for RL students.
  The spaces are sized from the parameter space's maxima, so they never change when the
  parameters do.

Subclasses implement :meth:`Template._new_instance`, :meth:`Template._spaces`,
:meth:`Template._observe` and :meth:`Template._act`, plus the two render hooks.
"""

from __future__ import annotations

import logging
import string
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np

from betal_envs.errors import BetalError, did_you_mean
from betal_envs.params import ParameterSpace, Params

logger = logging.getLogger(__name__)

ObsMode = Literal["text", "array"]
OBS_MODES: tuple[str, ...] = ("text", "array")

#: Characters allowed in text observations and actions (all printable ASCII and whitespace).
TEXT_CHARSET = string.printable

_SEED_MIX = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


def instance_seed(seed: int, index: int) -> int:
    """Mix a stream seed and an instance index into one 64-bit seed (stable across processes)."""
    value = (int(seed) * _SEED_MIX + int(index) + 1) & _MASK64
    value ^= value >> 31
    value = (value * 0xBF58476D1CE4E5B9) & _MASK64
    return value ^ (value >> 29)


class Template(gym.Env):
    """Base class of every BeTaL template; see the module docstring for the design.

    Args:
        params: parameter values; names left out take their defaults.
        obs_mode: ``"text"`` (prompts and text actions) or ``"array"`` (arrays, integer actions).
        render_mode: ``None``, ``"ansi"`` or ``"rgb_array"``.
        max_steps: steps before an episode is truncated; the template's default when ``None``.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    #: The parameters of the template; every subclass sets it.
    space: ClassVar[ParameterSpace]
    #: The registered id, e.g. ``"BeTaL/SpatialGrid-v0"``.
    env_id: ClassVar[str] = ""
    #: Student spec used by ``betal tune`` when none is given.
    default_student: ClassVar[str] = ""
    #: One paragraph describing the template, for designers' prompts and ``betal envs``.
    summary: ClassVar[str] = ""
    #: Steps before truncation when ``max_steps`` is not given.
    default_max_steps: ClassVar[int] = 1
    #: Observation modes the template offers; a text-only template declares ``("text",)``.
    obs_modes: ClassVar[tuple[str, ...]] = ("text", "array")

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        obs_mode: ObsMode = "text",
        render_mode: str | None = None,
        max_steps: int | None = None,
    ) -> None:
        if obs_mode not in OBS_MODES:
            raise BetalError(
                f"obs_mode {obs_mode!r} is not supported; use one of {OBS_MODES}."
                f"{did_you_mean(str(obs_mode), OBS_MODES)}"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise BetalError(
                f"render_mode {render_mode!r} is not supported; use None or one of "
                f"{self.metadata['render_modes']}."
            )
        if max_steps is not None and (
            isinstance(max_steps, bool)
            or not isinstance(max_steps, (int, np.integer))
            or max_steps < 1
        ):
            raise BetalError(
                f"max_steps={max_steps!r} must be a positive integer, or None for the "
                f"template's default of {self.default_max_steps}."
            )
        self.obs_mode: ObsMode = obs_mode
        self.render_mode = render_mode
        self.params: Params = self.space.validate(params)
        self.max_steps = int(max_steps if max_steps is not None else self.default_max_steps)
        self.observation_space, self.action_space = self._spaces()
        self.instance: Any = None
        self._stream_seed: int | None = None
        self._index = -1
        self._steps = 0
        self._done = False

    # -- parameters -----------------------------------------------------------------------

    def set_params(self, params: Mapping[str, Any]) -> Params:
        """Change some parameters; the change holds for every later reset.

        Returns:
            The complete, validated parameter set now in force.

        Raises:
            ParameterError: listing every problem; the parameters in force stay unchanged.
        """
        self.params = self.space.validate(params, base=self.params)
        logger.debug("%s parameters set to %s", self.env_id, self.params)
        return dict(self.params)

    def get_params(self) -> Params:
        """A copy of the parameters in force."""
        return dict(self.params)

    # -- Gymnasium API --------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start the next instance (or the one ``options["index"]`` names).

        Options:
            params: a mapping of parameters to set before generating (persists).
            index: the instance index within the current seed's stream.
        """
        super().reset(seed=seed)
        options = dict(options or {})
        if "params" in options:
            self.set_params(options["params"])
        if seed is not None:
            self._stream_seed = int(seed)
            self._index = -1
        elif self._stream_seed is None:
            self._stream_seed = int(self.np_random.integers(2**31 - 1))
        index = options.get("index", self._index + 1)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise BetalError(f"options['index'] must be a non-negative integer, got {index!r}.")
        self._index = int(index)
        self.instance = self._new_instance(instance_seed(self._stream_seed, self._index))
        self._steps = 0
        self._done = False
        info = {"seed": self._stream_seed, "index": self._index, **self._reset_info()}
        return self._observe(), info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self.instance is None:
            raise BetalError(f"{self.env_id}: call reset() before step().")
        if self._done:
            raise BetalError(
                f"{self.env_id}: the episode has ended; call reset() to start another."
            )
        self._steps += 1
        reward, terminated, info = self._act(action)
        truncated = not terminated and self._steps >= self.max_steps
        self._done = terminated or truncated
        if self._done:
            info = {**info, **self._final_info()}
        return self._observe(), float(reward), bool(terminated), bool(truncated), info

    def render(self) -> Any:
        if self.render_mode is None:
            gym.logger.warn(f"{self.env_id}: render() called without a render_mode.")
            return None
        if self.instance is None:
            raise BetalError(f"{self.env_id}: call reset() before render().")
        if self.render_mode == "ansi":
            return self._render_text()
        return self._render_rgb()

    # -- hooks ----------------------------------------------------------------------------

    @abstractmethod
    def _spaces(self) -> tuple[gym.Space, gym.Space]:
        """Observation and action spaces for ``self.obs_mode``, fixed for the env's life."""

    @abstractmethod
    def _new_instance(self, seed: int) -> Any:
        """Generate the instance for the parameters in force from a 64-bit seed."""

    @abstractmethod
    def _observe(self) -> Any:
        """The current observation in ``self.obs_mode``."""

    @abstractmethod
    def _act(self, action: Any) -> tuple[float, bool, dict[str, Any]]:
        """Apply an action: return reward, whether the episode ended, and step info."""

    def _reset_info(self) -> dict[str, Any]:
        """Extra info returned by ``reset`` (never the gold answer)."""
        return {}

    def _final_info(self) -> dict[str, Any]:
        """Info added to the step that ends the episode (the gold answer belongs here)."""
        return {}

    @abstractmethod
    def _render_text(self) -> str:
        """The current state as text for ``render_mode="ansi"``."""

    @abstractmethod
    def _render_rgb(self) -> np.ndarray:
        """The current state as an ``(H, W, 3)`` ``uint8`` picture."""
