"""Text on pictures: labels drawn onto ``uint8`` RGB arrays for ``render_mode="rgb_array"``.

The templates draw shapes with numpy; names, numbers and captions are what make a picture
readable, and those come from Pillow's built-in font (scalable when Pillow has FreeType, a
fixed bitmap otherwise), so no font file has to be found on the machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]
#: Horizontal anchor of a label: its left edge, middle or right edge sits at ``x``.
Align = Literal["left", "centre", "right"]

INK: Colour = (60, 60, 60)
MUTED: Colour = (130, 130, 130)
WHITE: Colour = (255, 255, 255)


class Label(NamedTuple):
    """One line of text to draw.

    Attributes:
        text: what to write (one line).
        x: pixel column of the anchor (see ``align``).
        y: pixel row of the text's vertical middle.
        colour: the text colour.
        size: font size in pixels.
        align: which part of the text sits at ``x``.
        outline: a colour drawn around the glyphs, for text over coloured shapes.
    """

    text: str
    x: float
    y: float
    colour: Colour = INK
    size: int = 11
    align: Align = "left"
    outline: Colour | None = None


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's default font at ``size`` pixels (a fixed size where FreeType is missing)."""
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, TypeError):  # Pillow without FreeType, or before 10.1
        return ImageFont.load_default()


def text_width(text: str, size: int) -> int:
    """Width in pixels of ``text`` at ``size``."""
    left, _, right, _ = font(size).getbbox(text)
    return int(right - left)


def draw_labels(image: np.ndarray, labels: Iterable[Label]) -> None:
    """Draw ``labels`` onto ``image`` (an ``(H, W, 3)`` ``uint8`` array) in place."""
    labels = list(labels)
    if not labels:
        return
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for label in labels:
        face = font(label.size)
        left, top, right, bottom = draw.textbbox((0, 0), label.text, font=face)
        shift = {"left": 0.0, "centre": (right - left) / 2, "right": float(right - left)}
        x = label.x - left - shift[label.align]
        y = label.y - (top + bottom) / 2
        outlined = label.outline is not None and isinstance(face, ImageFont.FreeTypeFont)
        stroke = 1 if outlined else 0
        draw.text(
            (x, y),
            label.text,
            fill=label.colour,
            font=face,
            stroke_width=stroke,
            stroke_fill=label.outline,
        )
    image[:] = np.asarray(canvas)


def fit(text: str, size: int, width: int) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` pixels at ``size``."""
    if text_width(text, size) <= width:
        return text
    # The longest prefix that fits, found by bisection: lines may be thousands of characters.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(text[:middle] + "...", size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "..."
