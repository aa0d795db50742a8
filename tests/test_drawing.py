"""Labels on pictures: they land where they are anchored and long text is cut to fit."""

from __future__ import annotations

import numpy as np
import pytest

from betal_envs.drawing import Label, draw_labels, fit, text_width


def _inked_columns(image: np.ndarray) -> np.ndarray:
    return np.flatnonzero(image.any(axis=(0, 2)))


@pytest.mark.parametrize(("align", "inside"), [("left", (50, 99)), ("centre", (25, 75)), ("right", (0, 50))])  # fmt: skip
def test_a_label_is_drawn_on_the_side_of_its_anchor_it_names(align, inside):
    image = np.zeros((30, 100, 3), dtype=np.uint8)
    draw_labels(image, [Label("WWW", 50, 15, (255, 255, 255), 14, align)])
    columns = _inked_columns(image)
    assert columns.size and inside[0] <= columns.min() and columns.max() <= inside[1]
    rows = np.flatnonzero(image.any(axis=(1, 2)))
    assert rows.min() >= 15 - 10 and rows.max() <= 15 + 10


def test_nothing_to_draw_leaves_the_picture_alone():
    image = np.full((10, 10, 3), 7, dtype=np.uint8)
    draw_labels(image, [])
    assert (image == 7).all()


def test_long_text_is_cut_with_an_ellipsis_to_fit_its_width():
    line = "agent -> get_user " + '{"user_id": "x"} ' * 200
    cut = fit(line, 11, 300)
    assert cut.endswith("...") and line.startswith(cut[:-3])
    assert text_width(cut, 11) <= 300 < text_width(cut[:-3] + line[len(cut) - 3] + "...", 11)
    assert fit("short", 11, 300) == "short"
