"""``BeTaL/ArithmeticSequence-v0``: the first terms of an integer sequence, then a later term.

The package splits the template by idea: :mod:`~betal_envs.arithmetic_sequence.families`
(the kinds of rule and how one is drawn), :mod:`~betal_envs.arithmetic_sequence.fitting`
(exact fits of each family, which make instances determined and answer them),
:mod:`~betal_envs.arithmetic_sequence.generator` (instances from parameters and a seed),
:mod:`~betal_envs.arithmetic_sequence.text` (the prompt and reading answers),
:mod:`~betal_envs.arithmetic_sequence.render` (pictures) and
:mod:`~betal_envs.arithmetic_sequence.env` (the Gymnasium environment and its manual).
"""

from betal_envs.arithmetic_sequence.env import ArithmeticSequenceEnv

__all__ = ["ArithmeticSequenceEnv"]
