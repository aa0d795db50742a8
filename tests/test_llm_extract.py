"""Cutting the answer out of an LLM's reply, then reading it with the template's parser.

Models reason before they answer, and the reasoning is full of candidate answers. The
answer that counts is the one the reply ends on; these tests check that the LLM student's
extraction finds it in the shapes models produce, and that the template then judges it.
"""

from __future__ import annotations

import pytest

from agents.llm.extract import as_action_text, final_answer, strip_reasoning
from betal_envs.arithmetic_sequence import ArithmeticSequenceEnv
from betal_envs.question import QuestionTemplate
from betal_envs.spatial_grid import SpatialGridEnv


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("(3, 4)", "(3, 4)"),
        ("A starts at (1, 2) and moves twice.\nAnswer: (3, 4)", "(3, 4)"),
        ("Answer: (1, 1)\nWait, I forgot the rotation.\nFinal answer: (3, 4)", "(3, 4)"),
        ("**Final Answer:** (3, 4)", "(3, 4)"),
        ("## Answer:\n\n  (3, 4)  \n", "(3, 4)"),
        ("- answer: `(3, 4)`", "(3, 4)"),
        ("<think>Answer: (9, 9)? No.</think>\nAnswer: (3, 4)", "(3, 4)"),
        ("<think>Maybe (9, 9). The answer: (9, 9)", ""),
        ("So the term is $\\boxed{-17}$.", "-17"),
        ("\\boxed{\\frac{1}{2}} hmm, no: \\boxed{17}", "17"),
        ("The particle ends at row 3, column 4.", "The particle ends at row 3, column 4."),
    ],
)
def test_the_answer_the_reply_ends_on_is_cut_out(reply: str, answer: str):
    assert final_answer(reply) == answer


def test_reasoning_blocks_are_removed_even_when_left_open():
    assert strip_reasoning("<THINK>a\nb</think>c") == "c"
    assert strip_reasoning("c<think>never closed") == "c"


def test_actions_are_printable_ascii_of_bounded_length_keeping_the_end():
    assert as_action_text("\u221217 \u2192 \u2212 3\u00b0", 100) == "-17 -> - 3 degrees"
    assert as_action_text("caf\u00e9 \U0001f600 (3, 4)", 100) == "caf  (3, 4)"
    assert as_action_text("x" * 50 + "(3, 4)", 10) == "xxxx(3, 4)"


def _judged(env: QuestionTemplate, reply: str) -> bool:
    """Whether the template accepts the answer the LLM student cuts out of ``reply``."""
    action = as_action_text(final_answer(reply), env.max_answer_chars)
    *_, info = env.step(action)
    return info["success"]


@pytest.mark.parametrize(
    "shape",
    [
        "Let me track it. Candidates: (0, 0), then (9, 9), then facing west.\nAnswer: {gold}",
        "<think>I guess (0, 0) or north or -1.</think>\n\n**Final answer:** {gold}",
        "Step 1 gives 0. Step 2 gives 1.\nTherefore the answer is $\\boxed{{{gold}}}$.",
        "Answer:\n{gold}",
    ],
)
@pytest.mark.parametrize("template", [SpatialGridEnv, ArithmeticSequenceEnv])
def test_each_template_judges_the_extracted_answer_right(template, shape: str):
    for index in range(20):
        env = template({"question_kinds": ["position", "facing", "relative"], "n_particles": 3}
                       if template is SpatialGridEnv else None)  # fmt: skip
        env.reset(seed=0, options={"index": index})
        gold = env.format_answer(env.instance.gold)
        assert _judged(env, shape.format(gold=gold)), (shape, gold)
