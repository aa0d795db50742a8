"""Specs such as ``openai:model=gpt-4o,temperature=0`` and the registries they name.

A spec is a registered name, optionally followed by ``:`` and comma-separated ``key=value``
settings. Registered things are dataclasses: their fields are the settings, the field's
``metadata["doc"]`` explains it, and values are converted from text to the field's type.
Designers and students are both built this way, so the CLI, benchmarks and tests share one
syntax and one set of error messages.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from betal_envs.errors import SpecError, did_you_mean, unknown_name

T = TypeVar("T")


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``"name:key=value,key=value"`` into the name and the raw settings.

    Raises:
        SpecError: on an empty name, a setting without ``=``, or a repeated key.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError(f"empty spec {spec!r}; write a name such as 'bayes' or 'random'.")
    name, _, rest = spec.strip().partition(":")
    settings: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise SpecError(
                f"setting {item!r} in spec {spec!r} is not key=value; write e.g. '{name}:seed=1'."
            )
        if key.strip() in settings:
            raise SpecError(f"setting {key.strip()!r} is given twice in spec {spec!r}.")
        settings[key.strip()] = value.strip()
    return name.strip(), settings


def _convert(text: str, kind: Any, key: str, spec: str) -> Any:
    origin = typing.get_origin(kind)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if text.lower() in ("none", "null", "") and len(options) < len(typing.get_args(kind)):
            return None
        kind = options[0]
    try:
        if kind is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if kind in (int, float, str):
            return kind(text)
    except ValueError:
        raise SpecError(
            f"setting {key}={text!r} in spec {spec!r} is not a valid {kind.__name__}."
        ) from None
    return text


class Registry(Generic[T]):
    """Named dataclass factories, built from specs.

    Args:
        kind: what is registered, for messages ("designer", "student").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator registering a dataclass under ``name``."""

        def decorate(cls: type[T]) -> type[T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = cls
            return cls

        return decorate

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def get(self, name: str) -> type[T]:
        if name not in self._entries:
            raise unknown_name(self.kind, name, self._entries)
        return self._entries[name]

    def settings(self, name: str) -> list[dict[str, Any]]:
        """The settings of ``name``: each with its name, type, default and doc."""
        cls = self.get(name)
        hints = typing.get_type_hints(cls)
        rows = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if not f.init or f.name.startswith("_"):
                continue
            default = f.default if f.default is not dataclasses.MISSING else None
            if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                default = f.default_factory()  # type: ignore[misc]
            kind = hints.get(f.name, str)
            rows.append(
                {
                    "name": f.name,
                    "type": getattr(kind, "__name__", str(kind)),
                    "default": default,
                    "doc": f.metadata.get("doc", ""),
                }
            )
        return rows

    def build(self, spec: str, **fixed: Any) -> T:
        """Build the registered thing a spec names.

        Args:
            spec: ``name`` or ``name:key=value,...``.
            fixed: keyword arguments passed by the caller, not settable from the spec.

        Raises:
            UnknownNameError: for an unknown name (with the near name).
            SpecError: for an unknown setting or a value of the wrong type.
        """
        name, raw = parse_spec(spec)
        cls = self.get(name)
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        public = [n for n in fields if not n.startswith("_") and n not in fixed]
        kwargs: dict[str, Any] = {}
        for key, text in raw.items():
            if key not in public:
                raise SpecError(
                    f"{self.kind} {name!r} has no setting {key!r}.{did_you_mean(key, public)} "
                    f"Settings: {', '.join(public) or 'none'}."
                )
            kwargs[key] = _convert(text, hints.get(key, str), key, spec)
        kwargs.update({k: v for k, v in fixed.items() if k in fields})
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as error:
            raise SpecError(f"{self.kind} spec {spec!r}: {error}") from None
