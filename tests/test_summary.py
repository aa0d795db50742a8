"""Sweep summaries: gaps per template and designer, and the row that pools every template."""

from __future__ import annotations

import pytest

from designers.summary import ALL_TEMPLATES, by_designer, by_target, designer_table


def run(env: str, designer: str, target: float, gap: float | None) -> dict:
    rate = None if gap is None else target + gap
    return {
        "env": env, "designer": designer, "target": target, "eval_gap": gap,
        "eval_rate": rate, "trials": 10, "episodes_used": 500, "invalid_proposals": 0,
    }  # fmt: skip


RUNS = [
    run("A", "random", 0.5, 0.10),
    run("A", "random", 0.5, 0.20),
    run("A", "bayes", 0.5, 0.02),
    run("A", "bayes", 0.5, 0.04),
    run("B", "random", 0.25, 0.30),
    run("B", "bayes", 0.25, 0.06),
]


def test_one_row_per_template_and_designer_then_one_per_designer_over_all_templates():
    rows = by_designer(RUNS)
    assert [(r["template"], r["designer"]) for r in rows] == [
        ("A", "bayes"), ("A", "random"), ("B", "bayes"), ("B", "random"),
        (ALL_TEMPLATES, "bayes"), (ALL_TEMPLATES, "random"),
    ]  # fmt: skip
    pooled = {r["designer"]: r for r in rows if r["template"] == ALL_TEMPLATES}
    assert pooled["bayes"]["runs"] == 3
    assert pooled["bayes"]["mean_gap"] == pytest.approx(0.04)
    assert pooled["random"]["mean_gap"] == pytest.approx(0.20)
    assert pooled["bayes"]["vs_random"] == pytest.approx(0.2)
    assert pooled["bayes"]["paper_best"] is None


def test_a_single_template_has_no_pooled_row():
    rows = by_designer([r for r in RUNS if r["env"] == "A"])
    assert {r["template"] for r in rows} == {"A"}


def test_a_run_that_verified_nothing_counts_with_the_worst_gap_at_its_target():
    rows = by_target([run("A", "bayes", 0.75, None), run("A", "bayes", 0.75, 0.05)])
    assert rows[0]["mean_gap"] == pytest.approx((0.75 + 0.05) / 2)
    assert rows[0]["max_gap"] == pytest.approx(0.75)


def test_the_table_prints_the_pooled_rows_last_with_their_ratio():
    lines = designer_table(by_designer(RUNS))
    assert lines[-2].startswith(f"| {ALL_TEMPLATES} | bayes | 3 | 4.00 % |")
    assert "0.20x" in lines[-2]
