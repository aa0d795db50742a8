"""The registry of students and ``make_student``, which builds one from a spec."""

from __future__ import annotations

import importlib

from agents.student import Student
from betal_envs.errors import SpecError
from betal_envs.registration import resolve_id, template_class
from betal_envs.specs import Registry

STUDENTS: Registry[Student] = Registry("student")

#: Modules whose import registers students; imported on first use.
STUDENT_MODULES: tuple[str, ...] = (
    "agents.spatial",
    "agents.arithmetic",
    "agents.rl.maze_students",
    "agents.llm.student",
    "agents.airline",
    "agents.llm.tool_agent",
)


def load_students() -> Registry[Student]:
    """Import every student module so that the registry is complete."""
    for module in STUDENT_MODULES:
        importlib.import_module(module)
    return STUDENTS


def make_student(spec: str | None, env_id: str) -> Student:
    """Build the student a spec names, for the template ``env_id``.

    Args:
        spec: ``name`` or ``name:key=value,...``; ``None`` picks the template's default student.
        env_id: the template the student will play (checked against what the student supports).

    Raises:
        UnknownNameError: for an unknown student.
        SpecError: for a bad setting, or a student that cannot play this template.
    """
    env_id = resolve_id(env_id)
    load_students()
    spec = spec or template_class(env_id).default_student
    student = STUDENTS.build(spec)
    if student.templates and env_id not in student.templates:
        raise SpecError(
            f"student '{student.name}' plays {', '.join(student.templates)}, not {env_id}; "
            f"pick one listed by 'betal students' for {env_id}."
        )
    return student
