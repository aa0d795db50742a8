"""Pictures of a sequence instance: text for ``render_mode="ansi"``, RGB for ``"rgb_array"``.

Both show the shown terms and the place of the asked one; once the question is answered they
also show the hidden terms up to the asked one. The RGB picture is a plot of term against
index: shown terms as blue dots joined by a line, the asked index as an orange dashed column
with a ``?``, and, after the answer, the hidden terms in green. A caption states the question
(and, once answered, the answer and the rule), the axes carry the indices and the range of
values, and each term is written by its dot while they are few enough to read. Values
spanning more than three orders of magnitude are plotted on a signed log scale
(``sign(v) * log10(1 + |v|)``), others linearly.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from betal_envs.arithmetic_sequence.generator import SequenceInstance
from betal_envs.drawing import INK, MUTED, Label, draw_labels, fit, text_width

_WIDTH, _HEIGHT, _MARGIN = 420, 260, 16
_CAPTION, _SMALL = 13, 11
#: Most terms whose values are written next to their dots.
_MAX_VALUE_LABELS = 14
_BACKGROUND = (250, 248, 240)
_PANEL = (238, 236, 228)
_AXIS = (120, 120, 120)
_TICK = (200, 198, 190)
_LINE = (150, 170, 200)
_SHOWN = (31, 119, 180)
_ASKED = (255, 127, 14)
_HIDDEN = (44, 160, 44)


def sequence_text(instance: SequenceInstance, title: str, revealed: bool) -> str:
    """The terms as a two-column table, the asked term as ``?`` until it is revealed."""
    width = len(str(instance.asked))
    lines = [title, f"{'n':>{width}} | a_n"]
    lines += [f"{n:>{width}} | {term}" for n, term in enumerate(instance.shown, 1)]
    first_hidden = len(instance.shown) + 1
    if revealed:
        for n, term in enumerate(instance.hidden, first_hidden):
            mark = "  <- asked" if n == instance.asked else ""
            lines.append(f"{n:>{width}} | {term}{mark}")
        lines.append(f"rule: {instance.rule.describe()}")
    else:
        if instance.asked > first_hidden:
            lines.append(f"{'':>{width}} | ...")
        lines.append(f"{instance.asked:>{width}} | ?  <- asked")
    return "\n".join(lines)


def _is_logarithmic(values: list[int]) -> bool:
    array = np.abs(np.asarray(values, dtype=np.float64))
    largest = float(np.max(array)) if array.size else 0.0
    nonzero = array[array != 0]
    smallest = float(np.min(nonzero)) if nonzero.size else 1.0
    return largest > 1000 and largest / max(1.0, smallest) > 1000


def _scale(values: list[int]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if _is_logarithmic(values):
        return np.sign(array) * np.log10(1 + np.abs(array))
    return array


def _short(value: int) -> str:
    """A term short enough for a label: ``-1234``, ``5.7e+08``."""
    return str(value) if abs(value) < 100_000 else f"{value:.2g}"


def _disc(image: np.ndarray, x: int, y: int, radius: int, colour: tuple[int, int, int]) -> None:
    ys, xs = np.ogrid[: image.shape[0], : image.shape[1]]
    image[(xs - x) ** 2 + (ys - y) ** 2 <= radius * radius] = colour


def _segment(image: np.ndarray, start: tuple[int, int], end: tuple[int, int]) -> None:
    count = max(abs(end[0] - start[0]), abs(end[1] - start[1]), 1) + 1
    xs = np.linspace(start[0], end[0], count).round().astype(int)
    ys = np.linspace(start[1], end[1], count).round().astype(int)
    image[ys, xs] = _LINE


def sequence_picture(instance: SequenceInstance, revealed: bool) -> np.ndarray:
    """The terms plotted against their index as an ``(H, W, 3)`` ``uint8`` image."""
    image = np.empty((_HEIGHT, _WIDTH, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    count = len(instance.shown)
    plotted = list(instance.shown) + (list(instance.hidden) if revealed else [])
    extremes = [_short(min(plotted)), _short(max(plotted))]
    left = _MARGIN + max(text_width(e, _SMALL) for e in extremes) + 6
    top, right, bottom = _MARGIN + 30, _WIDTH - _MARGIN, _HEIGHT - _MARGIN - 14
    image[top:bottom, left:right] = _PANEL

    heights = _scale(plotted)
    low, high = float(heights.min()), float(heights.max())
    if math.isclose(low, high):
        low, high = low - 1.0, high + 1.0
    pad = 0.12 * (high - low)
    low, high = low - pad, high + pad

    def x_of(n: int) -> int:
        return round(left + 10 + (n - 1) * (right - left - 20) / max(1, instance.asked - 1))

    def y_of(value: float) -> int:
        return round(bottom - 1 - (value - low) * (bottom - top - 2) / (high - low))

    asked = instance.asked
    question = f"a_1..a_{count} shown; a_{asked} = ?"
    if revealed:
        question = f"a_{asked} = {instance.gold}; rule: {instance.rule.describe()}"
    scale = "  (signed log scale)" if _is_logarithmic(plotted) else ""
    labels = [
        Label(fit(question, _CAPTION, _WIDTH - 2 * _MARGIN), _MARGIN, _MARGIN + 4, INK, _CAPTION),
        Label(f"term a_n against n{scale}", _MARGIN, _MARGIN + 20, MUTED, _SMALL),
    ]
    every = max(1, math.ceil(asked / 12))
    for n in range(1, asked + 1):
        image[bottom - 4 : bottom, x_of(n)] = _TICK
        if n % every == 0 or n == 1 or n == asked:
            colour = _ASKED if n == asked else MUTED
            labels.append(Label(str(n), x_of(n), bottom + 8, colour, _SMALL, "centre"))
    # The scale is monotone, so the smallest and largest heights are those of the extremes.
    for height, text in zip((heights.min(), heights.max()), extremes, strict=True):
        y = y_of(float(height))
        image[y, left - 3 : left] = _AXIS
        labels.append(Label(text, left - 5, y, MUTED, _SMALL, "right"))
    if low < 0 < high:
        image[y_of(0.0), left:right] = _AXIS
    image[top:bottom, left] = _AXIS
    image[bottom - 1, left:right] = _AXIS
    image[top:bottom:6, x_of(asked)] = _ASKED
    image[top + 3 : bottom : 6, x_of(asked)] = _ASKED

    points = [(x_of(n), y_of(float(h))) for n, h in enumerate(heights, 1)]
    for start, end in itertools.pairwise(points):
        _segment(image, start, end)
    for i, (x, y) in enumerate(points):
        _disc(image, x, y, 3, _SHOWN if i < count else _HIDDEN)
        if len(points) <= _MAX_VALUE_LABELS or i + 1 == asked:
            colour = _SHOWN if i < count else _HIDDEN
            above = y - 10 if y - 10 > top + 4 else y + 10
            text = _short(plotted[i])
            if x + text_width(text, _SMALL) / 2 > right - 2:  # keep the last label inside
                labels.append(Label(text, x - 6, above, colour, _SMALL, "right"))
            else:
                labels.append(Label(text, x, above, colour, _SMALL, "centre"))
    if not revealed:
        middle = (top + bottom) // 2
        _disc(image, x_of(asked), middle, 7, _ASKED)
        labels.append(Label("?", x_of(asked), middle, (255, 255, 255), 11, "centre"))
    draw_labels(image, labels)
    return image
