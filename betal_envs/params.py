"""Typed parameters and the parameter space of a template.

A template declares its design choices once, as a :class:`ParameterSpace`. The space is the
single source of truth for everything that touches parameters:

* validation of a user's (or an LLM designer's) mapping, reporting every problem at once;
* uniform sampling, for the random designer and domain randomisation;
* encoding to and from the unit cube, for optimisers such as Optuna;
* a Markdown table for manuals and prompts, and a JSON Schema for structured LLM output.

Parameter values are plain Python values (``int``, ``float``, ``str``, ``bool``, or a
``tuple`` of choices for a subset), so a parameter set is an ordinary ``dict`` that travels
through JSON unchanged.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from betal_envs.errors import ParameterError, did_you_mean

Harder = Literal["higher", "lower", "true", "false", "more"] | None
Params = dict[str, Any]


class _Invalid(Exception):
    """Internal: one parameter's value is not acceptable; the message says why."""


@dataclass(frozen=True)
class Parameter(ABC):
    """One design choice of a template.

    Attributes:
        name: identifier used in mappings, tables and JSON.
        doc: one line saying what the parameter changes.
        harder: which direction makes instances harder, when known.
    """

    name: str
    doc: str

    @property
    @abstractmethod
    def kind(self) -> str:
        """Short type name shown in tables: ``int``, ``float``, ``choice``, ``bool``, ``subset``."""

    @property
    @abstractmethod
    def default_value(self) -> Any:
        """The value used when a mapping leaves this parameter out."""

    @property
    def dims(self) -> int:
        """Number of unit-cube coordinates this parameter occupies."""
        return 1

    @abstractmethod
    def check(self, value: Any) -> Any:
        """Return ``value`` in canonical form, or raise ``_Invalid`` saying what is wrong."""

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Any:
        """Draw a value uniformly (log-uniformly where declared) from the allowed set."""

    @abstractmethod
    def encode(self, value: Any) -> list[float]:
        """Map a valid value to ``dims`` numbers in [0, 1]."""

    @abstractmethod
    def decode(self, unit: Sequence[float]) -> Any:
        """Map ``dims`` numbers in [0, 1] (clipped if outside) back to a valid value."""

    @abstractmethod
    def allowed(self) -> str:
        """The allowed values in words, as shown in tables and error messages."""

    @abstractmethod
    def schema(self) -> dict[str, Any]:
        """JSON Schema of the value, with its description."""

    @property
    def harder_signs(self) -> list[float]:
        """For each unit coordinate: +1 if raising it makes instances harder, -1 if lowering
        it does, 0 when unknown. A choice's coordinate rises with the order of its choices."""
        sign = {"higher": 1.0, "true": 1.0, "more": 1.0, "lower": -1.0, "false": -1.0}
        return [sign.get(getattr(self, "harder", None), 0.0)] * self.dims

    @property
    def harder_text(self) -> str:
        return {
            "higher": "higher",
            "lower": "lower",
            "true": "true",
            "false": "false",
            "more": "more choices",
            None: "-",
        }[getattr(self, "harder", None)]


def _unit(u: float) -> float:
    """``u`` clipped to [0, 1]; NaN, which lies nowhere, becomes the middle."""
    if math.isnan(u):
        return 0.5
    return min(1.0, max(0.0, float(u)))


def _type_name(value: Any) -> str:
    return type(value).__name__


#: Longest shown form of a bad value in an error message.
_SHOWN_CHARS = 80


def _show(value: Any) -> str:
    """A short ``repr`` of a bad value for an error message, whatever the value is.

    Huge integers (whose ``repr`` Python refuses past 4300 digits), long strings, arrays
    printed over several lines and deep or self-referencing structures all come out as one
    short line.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        sign = "-" if value < 0 else ""
        return f"{sign}an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    try:
        text = " ".join(repr(value).split())
    except Exception:  # a repr that fails (too deep, too large) still gets a name
        return f"a {_type_name(value)}"
    if len(text) > _SHOWN_CHARS:
        return f"{text[:_SHOWN_CHARS]}... ({len(text)} characters)"
    return text


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise _Invalid(f"expected an integer, got {_type_name(value)} {_show(value)}")
    if isinstance(value, (float, np.floating)) and not (
        math.isfinite(value) and float(value).is_integer()
    ):
        raise _Invalid(f"expected an integer, got {_show(value)}")
    return int(value)


@dataclass(frozen=True)
class IntParam(Parameter):
    """An integer in ``[low, high]``; ``log=True`` samples and encodes on a log scale."""

    low: int = 0
    high: int = 1
    default: int = 0
    harder: Harder = None
    log: bool = False

    kind = "int"  # type: ignore[assignment]

    @property
    def default_value(self) -> int:
        return self.default

    def check(self, value: Any) -> int:
        number = _as_int(value)
        if not self.low <= number <= self.high:
            raise _Invalid(f"{_show(number)} is out of range; allowed {self.allowed()}")
        return number

    def sample(self, rng: np.random.Generator) -> int:
        return self.decode([rng.random()])

    def encode(self, value: Any) -> list[float]:
        if self.high == self.low:
            return [0.5]
        if self.log:
            span = math.log(self.high + 0.5) - math.log(self.low - 0.5)
            return [_unit((math.log(value) - math.log(self.low - 0.5)) / span)]
        return [(value - self.low + 0.5) / (self.high - self.low + 1)]

    def decode(self, unit: Sequence[float]) -> int:
        u = _unit(unit[0])
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            value = round(math.exp(lo + u * (hi - lo)))
        else:
            value = self.low + math.floor(u * (self.high - self.low + 1))
        return min(self.high, max(self.low, value))

    def allowed(self) -> str:
        return f"integers {self.low}..{self.high}"

    def schema(self) -> dict[str, Any]:
        return {
            "type": "integer",
            "minimum": self.low,
            "maximum": self.high,
            "description": self.doc,
        }

    def __post_init__(self) -> None:
        if self.log and self.low < 1:
            raise ValueError(f"IntParam {self.name!r}: log scale needs low >= 1, got {self.low}")
        if not self.low <= self.default <= self.high:
            raise ValueError(f"IntParam {self.name!r}: default {self.default} outside range")


@dataclass(frozen=True)
class FloatParam(Parameter):
    """A real number in ``[low, high]``."""

    low: float = 0.0
    high: float = 1.0
    default: float = 0.0
    harder: Harder = None
    log: bool = False

    kind = "float"  # type: ignore[assignment]

    @property
    def default_value(self) -> float:
        return self.default

    def check(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise _Invalid(f"expected a number, got {_type_name(value)} {_show(value)}")
        try:
            number = float(value)
        except OverflowError:
            raise _Invalid(f"{_show(value)} is out of range; allowed {self.allowed()}") from None
        if not math.isfinite(number):
            raise _Invalid(f"expected a finite number, got {number!r}")
        if not self.low <= number <= self.high:
            raise _Invalid(f"{number:g} is out of range; allowed {self.allowed()}")
        return number

    def sample(self, rng: np.random.Generator) -> float:
        return self.decode([rng.random()])

    def encode(self, value: Any) -> list[float]:
        if self.high == self.low:
            return [0.5]
        if self.log:
            return [(math.log(value) - math.log(self.low)) / math.log(self.high / self.low)]
        return [(value - self.low) / (self.high - self.low)]

    def decode(self, unit: Sequence[float]) -> float:
        u = _unit(unit[0])
        if self.log:
            value = math.exp(math.log(self.low) + u * math.log(self.high / self.low))
        else:
            value = self.low + u * (self.high - self.low)
        return min(self.high, max(self.low, value))

    def allowed(self) -> str:
        return f"numbers {self.low:g}..{self.high:g}"

    def schema(self) -> dict[str, Any]:
        return {
            "type": "number",
            "minimum": self.low,
            "maximum": self.high,
            "description": self.doc,
        }

    def __post_init__(self) -> None:
        if self.log and self.low <= 0:
            raise ValueError(f"FloatParam {self.name!r}: log scale needs low > 0, got {self.low}")
        if not self.low <= self.default <= self.high:
            raise ValueError(f"FloatParam {self.name!r}: default {self.default} outside range")


@dataclass(frozen=True)
class ChoiceParam(Parameter):
    """One value out of a fixed tuple of choices (strings or integers).

    ``harder="higher"`` or ``"lower"`` refers to the order in which the choices are listed, so
    ordered choices (view sizes, levels) should be listed from lowest to highest.
    """

    choices: tuple[Any, ...] = ()
    default: Any = None
    harder: Harder = None

    kind = "choice"  # type: ignore[assignment]

    @property
    def default_value(self) -> Any:
        return self.default

    def check(self, value: Any) -> Any:
        if _is_choice(value, self.choices):
            return next(c for c in self.choices if _is_choice(value, (c,)))
        hint = ""
        if isinstance(value, str):
            # "5" for the choice 5 is a quoting slip, not a near name.
            same = [c for c in self.choices if not isinstance(c, str) and str(c) == value]
            hint = (
                f" Did you mean {same[0]!r}, without quotes?"
                if same
                else did_you_mean(value, map(str, self.choices))
            )
        raise _Invalid(
            f"{_show(value)} is not allowed; allowed {self.allowed()}.{hint}".rstrip(".")
        )

    def sample(self, rng: np.random.Generator) -> Any:
        return self.choices[int(rng.integers(len(self.choices)))]

    def encode(self, value: Any) -> list[float]:
        return [(self.choices.index(value) + 0.5) / len(self.choices)]

    def decode(self, unit: Sequence[float]) -> Any:
        index = min(len(self.choices) - 1, int(_unit(unit[0]) * len(self.choices)))
        return self.choices[index]

    def allowed(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices), "description": self.doc}

    def __post_init__(self) -> None:
        if self.default not in self.choices:
            raise ValueError(f"ChoiceParam {self.name!r}: default {self.default!r} not a choice")


@dataclass(frozen=True)
class BoolParam(Parameter):
    """A switch; ``harder`` is ``"true"`` or ``"false"`` when one setting is harder."""

    default: bool = False
    harder: Harder = None

    kind = "bool"  # type: ignore[assignment]

    @property
    def default_value(self) -> bool:
        return self.default

    def check(self, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise _Invalid(f"expected true or false, got {_type_name(value)} {_show(value)}")
        return bool(value)

    def sample(self, rng: np.random.Generator) -> bool:
        return bool(rng.random() < 0.5)

    def encode(self, value: Any) -> list[float]:
        return [0.75 if value else 0.25]

    def decode(self, unit: Sequence[float]) -> bool:
        return _unit(unit[0]) >= 0.5

    def allowed(self) -> str:
        return "true or false"

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean", "description": self.doc}


@dataclass(frozen=True)
class SubsetParam(Parameter):
    """A non-empty subset of a fixed tuple of choices, kept in declaration order."""

    choices: tuple[Any, ...] = ()
    default: tuple[Any, ...] = ()
    harder: Harder = None

    kind = "subset"  # type: ignore[assignment]

    @property
    def default_value(self) -> tuple[Any, ...]:
        return self.default

    @property
    def dims(self) -> int:
        return len(self.choices)

    def check(self, value: Any) -> tuple[Any, ...]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise _Invalid(f"expected a list of choices, got {_type_name(value)} {_show(value)}")
        items = list(value)
        unknown = [v for v in items if not _is_choice(v, self.choices)]
        if unknown:
            raise _Invalid(
                f"{_show(unknown)} not allowed; allowed a non-empty subset of "
                f"{list(self.choices)!r}"
            )
        if not items:
            raise _Invalid(f"must name at least one of {list(self.choices)!r}")
        return tuple(c for c in self.choices if any(_is_choice(v, (c,)) for v in items))

    def sample(self, rng: np.random.Generator) -> tuple[Any, ...]:
        return self.decode(rng.random(len(self.choices)).tolist())

    def encode(self, value: Any) -> list[float]:
        return [0.75 if c in value else 0.25 for c in self.choices]

    def decode(self, unit: Sequence[float]) -> tuple[Any, ...]:
        units = [_unit(u) for u in unit[: len(self.choices)]]
        chosen = tuple(c for c, u in zip(self.choices, units, strict=True) if u >= 0.5)
        return chosen or (self.choices[int(np.argmax(units))],)

    def allowed(self) -> str:
        return "a non-empty subset of " + ", ".join(repr(c) for c in self.choices)

    def schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"enum": list(self.choices)},
            "minItems": 1,
            "uniqueItems": True,
            "description": self.doc,
        }

    def __post_init__(self) -> None:
        if not self.default or any(d not in self.choices for d in self.default):
            raise ValueError(f"SubsetParam {self.name!r}: default {self.default!r} invalid")


def _is_choice(value: Any, choices: Iterable[Any]) -> bool:
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars from optimisers count as the Python value
    # The type test comes first: ``==`` on an array or an odd object need not give a bool.
    return any(
        type(value) is not bool and isinstance(value, type(c)) and value == c for c in choices
    )


@dataclass(frozen=True)
class ParameterSpace:
    """The parameters of one template, in declaration order.

    Args:
        template: name used in error messages (usually the environment id).
        parameters: the declared parameters; names must be unique.
        constraints: checks across parameters, each returning a problem sentence or ``None``.
    """

    template: str
    parameters: tuple[Parameter, ...]
    constraints: tuple[Any, ...] = field(default=())
    held: Mapping[str, Any] = field(default_factory=dict)
    parent: ParameterSpace | None = None

    def __post_init__(self) -> None:
        names = [p.name for p in self.parameters]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {self.template}: {names}")

    # -- lookup ---------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def __getitem__(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(
            f"{self.template} has no parameter {name!r}.{did_you_mean(name, self.names)}"
        )

    def __iter__(self):
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    @property
    def dim(self) -> int:
        """Number of coordinates of the unit-cube encoding."""
        return sum(p.dims for p in self.parameters)

    # -- values ---------------------------------------------------------------------------

    def defaults(self) -> Params:
        return {p.name: p.default_value for p in self.parameters}

    def validate(
        self, params: Mapping[str, Any] | None, base: Mapping[str, Any] | None = None
    ) -> Params:
        """Check a (possibly partial) mapping and return a complete parameter set.

        Args:
            params: the values to set; names left out keep their value in ``base``.
            base: the values to start from; the defaults when ``None``.

        Raises:
            ParameterError: listing every problem at once (unknown names with the near name,
                wrong types, out-of-range values, broken constraints).
        """
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ParameterError(
                self.template,
                [
                    "parameters must be a mapping of name to value, got "
                    f"{_type_name(params)} {_show(params)}"
                ],
            )
        result = dict(base) if base is not None else self.defaults()
        problems: list[str] = []
        known = set(self.names)
        for name, value in params.items():
            if not isinstance(name, str) or name not in known:
                hint = did_you_mean(name, self.names) if isinstance(name, str) else ""
                problems.append(
                    f"unknown parameter {_show(name)}.{hint} "
                    f"Known parameters: {', '.join(self.names)}."
                )
                continue
            try:
                result[name] = self[name].check(value)
            except _Invalid as invalid:
                problems.append(f"{name}: {invalid}")
        if not problems:
            for constraint in self.constraints:
                problem = constraint(result)
                if problem:
                    problems.append(problem)
        if problems:
            raise ParameterError(self.template, problems)
        return result

    def sample(self, rng: np.random.Generator) -> Params:
        """Draw a parameter set uniformly from the encoded cube, resampling broken constraints."""
        for _ in range(1000):
            candidate = self.decode(rng.random(self.dim))
            if self.violations(candidate) == []:
                return candidate
        raise RuntimeError(f"{self.template}: could not sample parameters meeting the constraints")

    def decode_valid(self, unit: Sequence[float] | np.ndarray, rng: np.random.Generator) -> Params:
        """Decode a point; if it breaks a constraint, decode ever wider jitters of it instead."""
        point = np.asarray(unit, dtype=np.float64)
        for attempt in range(200):
            jitter = rng.normal(0.0, 0.02 * attempt, point.shape) if attempt else 0.0
            candidate = self.decode(np.clip(point + jitter, 0.0, 1.0))
            if not self.violations(candidate):
                return candidate
        return self.sample(rng)

    def harder_direction(self) -> np.ndarray:
        """The unit-cube direction in which instances get harder, as the parameters declare it.

        One entry per coordinate: +1 where raising the coordinate makes instances harder, -1
        where lowering it does, 0 where no direction is declared. Designers use it as prior
        knowledge of which way the student's success rate falls.
        """
        return np.asarray([s for p in self.parameters for s in p.harder_signs], dtype=np.float64)

    def violations(self, params: Params) -> list[str]:
        return [p for p in (c(params) for c in self.constraints) if p]

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Map a complete, valid parameter set to a point of the unit cube ``[0, 1]^dim``."""
        values: list[float] = []
        for parameter in self.parameters:
            values.extend(parameter.encode(params[parameter.name]))
        return np.asarray(values, dtype=np.float64)

    def decode(self, unit: Sequence[float] | np.ndarray) -> Params:
        """Map a point of the unit cube to the nearest parameter set (values clipped to [0, 1])."""
        unit = list(np.asarray(unit, dtype=np.float64).ravel())
        if len(unit) != self.dim:
            raise ValueError(
                f"{self.template}: expected {self.dim} unit coordinates, got {len(unit)}"
            )
        result: Params = {}
        offset = 0
        for parameter in self.parameters:
            result[parameter.name] = parameter.decode(unit[offset : offset + parameter.dims])
            offset += parameter.dims
        return result

    def restrict(
        self, free: Iterable[str], fixed: Mapping[str, Any] | None = None
    ) -> ParameterSpace:
        """A space over the ``free`` parameters only; the others are held at ``fixed`` or defaults.

        The held values are kept in :meth:`complete`, which turns a point of the smaller space
        back into a full parameter set.

        Raises:
            ParameterError: naming every unknown name in ``free`` (with the near name) and
                every problem of ``fixed``.
        """
        free = list(free)
        unknown = [
            f"cannot free unknown parameter {name!r}.{did_you_mean(str(name), self.names)} "
            f"Known parameters: {', '.join(self.names)}."
            for name in free
            if name not in self.names
        ]
        if unknown:
            raise ParameterError(self.template, unknown)
        held = self.validate(fixed or {})
        return ParameterSpace(
            template=self.template,
            parameters=tuple(p for p in self.parameters if p.name in free),
            held={k: v for k, v in held.items() if k not in free},
            parent=self,
        )

    def complete(self, params: Mapping[str, Any]) -> Params:
        """Turn a parameter set of this space into a full, validated set of the template."""
        if self.parent is None:
            return self.validate(params)
        return self.parent.validate({**self.held, **params})

    # -- descriptions ---------------------------------------------------------------------

    def table(self) -> str:
        """A Markdown table: name, type, allowed values, default, meaning, harder direction."""
        rows = [
            "| name | type | allowed | default | meaning | harder |",
            "|---|---|---|---|---|---|",
        ]
        for p in self.parameters:
            default = p.default_value
            shown = list(default) if isinstance(default, tuple) else default
            rows.append(
                f"| `{p.name}` | {p.kind} | {p.allowed()} | `{shown!r}` | {p.doc} | {p.harder_text} |"
            )
        return "\n".join(rows)

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of a complete parameter set (every parameter required, nothing else)."""
        return {
            "title": f"{self.template} parameters",
            "type": "object",
            "properties": {p.name: p.schema() for p in self.parameters},
            "required": self.names,
            "additionalProperties": False,
        }

    def describe(self) -> list[dict[str, Any]]:
        """The parameters as JSON-ready records (for ``betal envs --json``)."""
        records = []
        for p in self.parameters:
            default = p.default_value
            records.append(
                {
                    "name": p.name,
                    "type": p.kind,
                    "allowed": p.allowed(),
                    "default": list(default) if isinstance(default, tuple) else default,
                    "meaning": p.doc,
                    "harder": getattr(p, "harder", None),
                    "schema": p.schema(),
                }
            )
        return records


def to_jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters with tuples turned into lists, ready for ``json.dumps``."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
