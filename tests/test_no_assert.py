"""Library code validates with errors, never with ``assert``, which ``python -O`` strips.

``make test`` also runs the suite once under ``python -O``; this check names the offending
line directly, before any behaviour goes missing.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("betal_envs", "designers", "agents", "betal", "benchmarks")


def test_no_library_module_uses_assert():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Assert)
            ]
    assert offenders == [], "raise an error naming the bad value instead of asserting"
