"""A one-dimensional path through a template's space, from its easiest to its hardest corner.

Template authors declare which way each parameter makes instances harder
(:meth:`ParameterSpace.harder_direction`). Moving every such coordinate of the unit-cube
encoding together, away from the defaults, traces a path on which the student's success rate
falls monotonically whenever the declarations are right. Tuning to a target rate then becomes
finding one number, the position ``t`` on the path, which a handful of noisy trials can do far
better than a search of the whole cube.

Position ``t = 0`` is the defaults; the coordinate of a parameter moves by ``t`` times its
speed and is clipped to the cube. Ordinal coordinates (integers, floats, ordered choices) move
at full speed; switch-like ones (booleans, members of a subset) at half speed, so that their
all-or-nothing flips, which change the rate in jumps, come after the smooth coordinates have
had their say. Parameters with no declared direction keep their default values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from betal_envs.params import BoolParam, FloatParam, ParameterSpace, SubsetParam

#: Speed of a switch-like coordinate relative to an ordinal one.
SWITCH_SPEED = 0.5
#: Positions are searched in ``[-T_MAX, T_MAX]``, far enough for every coordinate to saturate.
T_MAX = 1.0 / SWITCH_SPEED
#: Positions at which rounded parameters are decoded to find where a value holds.
GRID = np.linspace(-T_MAX, T_MAX, 1601)


class DifficultyPath:
    """The path ``u(t) = clip(defaults + t * velocity, 0, 1)`` in the unit cube.

    Args:
        space: the parameters; the path starts at their defaults.
    """

    def __init__(
        self,
        space: ParameterSpace,
        origin: np.ndarray | None = None,
        velocity: np.ndarray | None = None,
    ) -> None:
        self.space = space
        self.origin = space.encode(space.defaults()) if origin is None else origin
        if velocity is None:
            speeds: list[float] = []
            for parameter in space.parameters:
                switch = isinstance(parameter, (BoolParam, SubsetParam))
                speeds.extend([SWITCH_SPEED if switch else 1.0] * parameter.dims)
            velocity = space.harder_direction() * np.asarray(speeds)
        self.velocity = velocity
        self._cache: dict[str, list[Any]] = {}
        self._ends: tuple[float, float] | None = None

    def holding(self, params: dict[str, Any], held: np.ndarray) -> DifficultyPath:
        """A path through ``params`` on which the ``held`` coordinates (a mask) stay put."""
        return DifficultyPath(self.space, self.space.encode(params), self.velocity * ~held)

    def float_mask(self) -> np.ndarray:
        """Which coordinates belong to float parameters (the ones that move without steps)."""
        return np.asarray(
            [isinstance(p, FloatParam) for p in self.space.parameters for _ in range(p.dims)]
        )

    @property
    def usable(self) -> bool:
        """Whether any parameter declares a direction (else the path is a single point)."""
        return bool(np.any(self.velocity != 0))

    def point(self, t: float) -> np.ndarray:
        """The unit-cube point at position ``t``."""
        return np.clip(self.origin + t * self.velocity, 0.0, 1.0)

    def params(self, t: float) -> dict[str, Any]:
        """The parameter set at position ``t``."""
        return self.space.decode(self.point(t))

    def position(self, params: dict[str, Any]) -> float:
        """Where on the path a parameter set lies.

        Each moving parameter is at its value over a stretch of positions: a single point for
        a float, an interval for a rounded integer, choice or switch. A parameter set decoded
        from the path lies where all these stretches meet; its position is their common
        middle, which a float pins down exactly. A set from off the path (a constraint forced
        a detour) gets the position whose point is nearest its encoding.

        Positions are computed from what was evaluated, which keeps a designer a pure function
        of its history.
        """
        low, high = -np.inf, np.inf
        for name, coordinates in self._moving():
            stretch = self._stretch(name, coordinates, params[name])
            if stretch is None:
                return self._nearest(params)
            low, high = max(low, stretch[0]), min(high, stretch[1])
        # Rounded stretches are known to the grid's spacing; a float may pin a position
        # just outside one of them.
        if low > high + 2 * (GRID[1] - GRID[0]):
            return self._nearest(params)
        # Past its ends the path stands still: a set held there lies at the end.
        start, end = self.ends
        low, high = min(max(low, start), end), max(min(high, end), start)
        return float((low + high) / 2)

    @property
    def ends(self) -> tuple[float, float]:
        """The positions beyond which the parameters stop changing (easiest, hardest)."""
        if self._ends is None:
            moving = [name for name, _ in self._moving()]
            keys = list(zip(*(self._decoded(name) for name in moving), strict=True))
            changed = [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
            self._ends = (
                (float(GRID[changed[0] - 1]), float(GRID[changed[-1]])) if changed else (0.0, 0.0)
            )
        return self._ends

    def _moving(self) -> list[tuple[str, slice]]:
        """The parameters that move along the path, with their coordinates."""
        moving, offset = [], 0
        for parameter in self.space.parameters:
            coordinates = slice(offset, offset + parameter.dims)
            offset += parameter.dims
            if np.any(self.velocity[coordinates] != 0):
                moving.append((parameter.name, coordinates))
        return moving

    def _stretch(self, name: str, coordinates: slice, value: Any) -> tuple[float, float] | None:
        """The positions at which parameter ``name`` decodes to ``value``; ``None`` if none."""
        parameter = self.space[name]
        if isinstance(parameter, FloatParam):
            unit = parameter.encode(value)[0]
            origin, speed = self.origin[coordinates][0], self.velocity[coordinates][0]
            at = (unit - origin) / speed
            # At a bound of the cube the value holds from where the path reaches it onward.
            if unit >= 1.0 - 1e-12:
                return (at, np.inf) if speed > 0 else (-np.inf, at)
            if unit <= 1e-12:
                return (-np.inf, at) if speed > 0 else (at, np.inf)
            return at, at
        if isinstance(value, list):  # a subset read back from JSON
            value = tuple(value)
        matches = np.flatnonzero([decoded == value for decoded in self._decoded(name)])
        if matches.size == 0:
            return None
        spacing = GRID[1] - GRID[0]
        low = -np.inf if matches[0] == 0 else GRID[matches[0]] - spacing / 2
        high = np.inf if matches[-1] == GRID.size - 1 else GRID[matches[-1]] + spacing / 2
        return low, high

    def _decoded(self, name: str) -> list[Any]:
        """Parameter ``name``'s value at every position of the grid (computed once)."""
        if name not in self._cache:
            points = np.clip(self.origin + GRID[:, None] * self.velocity, 0.0, 1.0)
            for other, coordinates in self._moving():
                parameter = self.space[other]
                self._cache[other] = [parameter.decode(point[coordinates]) for point in points]
        return self._cache[name]

    def _nearest(self, params: dict[str, Any]) -> float:
        """The position whose point is nearest the encoding of ``params``."""
        target = self.space.encode(params)
        points = np.clip(self.origin + GRID[:, None] * self.velocity, 0.0, 1.0)
        distance = np.sum((points - target) ** 2, axis=1)
        return float(GRID[int(np.argmin(distance))])
