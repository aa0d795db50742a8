"""Checking tool arguments against their JSON Schemas, and the safe calculator.

Students send tool arguments as JSON. Before a tool touches the database, the arguments are
checked against the small subset of JSON Schema the tools use (object, array, string with
enum or pattern, integer, number, boolean); every problem is reported at once, in words an
agent can act on. The calculator evaluates arithmetic by walking Python's syntax tree and
allowing only numbers, ``+ - * / // % **`` and parentheses, so no code ever runs.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from betal_envs.errors import BetalError


class ToolError(BetalError, ValueError):
    """A tool call the airline system rejects; the message is shown to the student."""


def schema_problems(schema: dict[str, Any], value: Any, path: str = "arguments") -> list[str]:
    """Every way ``value`` breaks ``schema``, each as one sentence naming the place."""
    kind = schema.get("type")
    if kind == "object":
        return _object_problems(schema, value, path)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path} must be a list, got {_json_type(value)}"]
        items = schema.get("items", {})
        problems = [
            p for i, v in enumerate(value) for p in schema_problems(items, v, f"{path}[{i}]")
        ]
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{path} needs at least {schema['minItems']} item(s)")
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path} must be a string, got {_json_type(value)}"]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{path} is {shown(value)}; allowed: {', '.join(schema['enum'])}"]
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            return [f"{path} is {shown(value)}, which does not look like {schema['description']}"]
        return []
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path} must be an integer, got {_json_type(value)}"]
        return _range_problems(schema, value, path)
    if kind == "number":
        # An integer is finite however large; math.isfinite would fail past a float's range.
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            return [f"{path} must be a number, got {_json_type(value)}"]
        return _range_problems(schema, value, path)
    if kind == "boolean" and not isinstance(value, bool):
        return [f"{path} must be true or false, got {_json_type(value)}"]
    return []


def _object_problems(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path} must be an object, got {_json_type(value)}"]
    properties = schema.get("properties", {})
    problems = [
        f"{path} is missing {name!r}" for name in schema.get("required", ()) if name not in value
    ]
    for name, item in value.items():
        if name not in properties:
            known = ", ".join(properties) or "none"
            problems.append(f"{path} has unknown field {shown(name)}; known fields: {known}")
        else:
            problems.extend(schema_problems(properties[name], item, f"{path}.{name}"))
    return problems


def _range_problems(schema: dict[str, Any], value: float, path: str) -> list[str]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        return [f"{path} is {shown(value)}; allowed {low}..{high}"]
    return []


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters so one bad argument stays one short line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "an object", type(None): "null"})
    return names.get(type(value), type(value).__name__)


# -- the calculator -------------------------------------------------------------------------

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_MAX_EXPRESSION = 200


def calculate(expression: str) -> float:
    """The value of an arithmetic expression such as ``"(150 + 2 * 50) * 0.5"``.

    Raises:
        ToolError: for anything but numbers, the arithmetic operators and parentheses, for
            division by zero, and for results too large to be an amount of money.
    """
    if len(expression) > _MAX_EXPRESSION:
        raise ToolError(f"expression is longer than {_MAX_EXPRESSION} characters; split it up")
    try:
        tree = ast.parse(expression.replace("$", "").replace(",", ""), mode="eval")
    except (SyntaxError, ValueError):  # ValueError: null bytes or lone surrogates
        raise ToolError(f"{expression!r} is not arithmetic; use numbers, + - * / and ( )") from None
    value = _evaluate(tree.body)
    if not math.isfinite(value) or abs(value) > 1e12:
        raise ToolError(f"{expression!r} gives a number too large to be an amount")
    return round(float(value), 2)


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 8 or abs(left) > 1e6):
            raise ToolError("powers are limited to exponents up to 8 and bases up to 1e6")
        try:
            result = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ToolError("division by zero") from None
        if isinstance(result, complex):
            raise ToolError("the result is not a real number")
        return result
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    raise ToolError(f"{ast.dump(node)[:40]}... is not allowed; use numbers, + - * / and ( )")
