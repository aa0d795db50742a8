"""``betal report`` on small runs made by the loop itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from betal.cli import main
from designers import tune
from designers.tuning import TuningConfig
from tests.toy_template import TOY_ID, install

install()


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    root = tmp_path_factory.mktemp("sweep")
    results = []
    for designer in ("random", "bayes"):
        for target in (0.3, 0.8):
            config = TuningConfig(
                TOY_ID, target=target, designer=designer, iterations=4, episodes=20,
                eval_episodes=60,
            )  # fmt: skip
            results.append(tune(config, root / designer / f"t{target}"))
    return root, results


def test_report_of_a_sweep_holds_every_run_and_its_numbers(sweep, tmp_path: Path):
    root, results = sweep
    assert main(["report", str(root), "--out", str(tmp_path / "report")]) == 0

    text = (tmp_path / "report" / "report.md").read_text()
    for result in results:
        assert f"{result.eval_rate:.3f}" in text
        assert f"{100 * result.eval_gap:.1f} %" in text
    assert "| random |" in text and "| bayes |" in text and "vs random" in text
    plots = sorted((tmp_path / "report" / "plots").glob("*.png"))
    assert len(plots) == len(results) + 1  # one per run, one gap plot for the template
    assert all(plot.stat().st_size > 5000 for plot in plots)


def test_report_of_one_run(sweep, tmp_path: Path):
    root, results = sweep
    assert main(["report", str(root / "bayes" / "t0.3"), "--out", str(tmp_path / "one")]) == 0
    text = (tmp_path / "one" / "report.md").read_text()
    assert "1 run(s)" in text and f"{results[2].eval_rate:.3f}" in text


def test_a_large_sweep_can_leave_out_the_plot_of_each_run(sweep, tmp_path: Path):
    root, results = sweep
    out = tmp_path / "small"
    assert main(["report", str(root), "--out", str(out), "--no-run-plots"]) == 0
    assert [p.name for p in (out / "plots").glob("*.png")] == [
        f"gap-{TOY_ID.replace('/', '_')}.png"
    ]
    text = (out / "report.md").read_text()
    assert "[rate](" not in text
    assert all(f"{r.eval_rate:.3f}" in text for r in results)


def test_a_folder_without_runs_is_one_clear_error(tmp_path: Path, capsys):
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    assert "holds no finished run" in capsys.readouterr().err
