"""BeTaL environment suite: parameterized benchmark templates as Gymnasium environments.

Importing the package registers every template, so ``gym.make("BeTaL/SpatialGrid-v0",
params={...})`` works after ``import betal_envs``.
"""

from betal_envs.errors import BetalError, ConfigError, ParameterError, SpecError, UnknownNameError
from betal_envs.params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    ParameterSpace,
    Params,
    SubsetParam,
)
from betal_envs.registration import register_templates, resolve_id, template_class, template_ids
from betal_envs.template import Template

register_templates()

__all__ = [
    "BetalError",
    "BoolParam",
    "ChoiceParam",
    "ConfigError",
    "FloatParam",
    "IntParam",
    "ParameterError",
    "ParameterSpace",
    "Params",
    "SpecError",
    "SubsetParam",
    "Template",
    "UnknownNameError",
    "register_templates",
    "resolve_id",
    "template_class",
    "template_ids",
]
