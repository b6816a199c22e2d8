"""Figures: images side by side with their numbers underneath, and loss curves.

Built on ``matplotlib.figure.Figure`` with the Agg canvas, not ``pyplot``: no global
state, no display needed, and a script or test never changes the notebook's backend.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tf_style.losses import LOSS_TERMS
from tf_style.paths.atomic import atomic_write

PANEL_INCHES = 3.6
MISSING_GREY = 0.92

# Line styles in the order of losses.LOSS_TERMS: the total bold, each term coloured.
TERM_STYLES = dict(
    zip(
        LOSS_TERMS,
        (
            {"color": "black", "linewidth": 2.0},
            {"color": "tab:blue"},
            {"color": "tab:orange"},
            {"color": "tab:green"},
        ),
        strict=True,
    )
)


def plot_losses(history: Mapping[str, Sequence[float]], *, title: str = "") -> Figure:
    """Loss against step for the total and each weighted term, on a log scale.

    Args:
        history: ``{"total": [...], "style": [...], ...}`` as in ``StylizeResult``.
        title: optional title.
    """
    # Fixed margins, not a layout engine: every command draws this figure, and
    # measuring its text to lay it out took half of its 0.7 s.
    figure = Figure(figsize=(7, 4))
    figure.subplots_adjust(left=0.1, right=0.97, bottom=0.12, top=0.92)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for term, values in history.items():
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            continue
        steps = np.arange(1, values.size + 1)
        positive = np.where(values > 0, values, np.nan)  # log scale: hide zeros
        axes.plot(steps, positive, label=term, **TERM_STYLES.get(term, {}))
    axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("weighted loss")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend()
    axes.set_title(title or "Loss terms during optimisation")
    return figure


@dataclass
class Panel:
    """One column of a figure.

    Attributes:
        title: shown above the image.
        image: float32 ``[1, H, W, 3]`` in [0, 1], or None for a missing result.
        caption: lines shown under the image (numbers, timings); for a missing image,
            the reason, shown in its place.
    """

    title: str
    image: tf.Tensor | np.ndarray | None
    caption: str = ""


def side_by_side(panels: list[Panel], *, title: str | None = None) -> Figure:
    """A one-row figure of ``panels``, images at their own aspect ratio.

    Returns:
        The figure (render it with :func:`save_figure`, or show it in a notebook).
    """
    if not panels:
        raise ValueError("side_by_side needs at least one panel.")
    aspect = panel_aspect(panels)
    caption_lines = max(panel.caption.count("\n") + 1 for panel in panels)
    height = PANEL_INCHES * aspect + 0.7 + 0.22 * caption_lines
    figure = Figure(figsize=(PANEL_INCHES * len(panels), height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels, strict=True):
        draw_panel(ax, panel, aspect)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


def panel_aspect(panels: list[Panel]) -> float:
    """Height over width of the first image, the size every empty panel borrows."""
    for panel in panels:
        if panel.image is not None:
            shape = np.shape(panel.image)
            return shape[-3] / shape[-2]
    return 1.0


def draw_panel(ax, panel: Panel, aspect: float) -> None:
    """Image (or the reason it is missing) with the title above, numbers below."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(panel.title, fontsize=11)
    if panel.image is None:
        ax.set_facecolor((MISSING_GREY,) * 3)
        ax.set_box_aspect(aspect)
        ax.text(
            0.5, 0.5, wrap_reason(panel.caption), ha="center", va="center", fontsize=7.5
        )
        ax.set_xlabel("not available", fontsize=9)
        return
    pixels = np.clip(
        np.asarray(panel.image, np.float32).reshape(np.shape(panel.image)[-3:]), 0, 1
    )
    ax.imshow(pixels, interpolation="lanczos")
    ax.set_xlabel(panel.caption, fontsize=9, family="monospace", linespacing=1.4)


def wrap_reason(text: str, *, width: int = 44, max_lines: int = 16) -> str:
    """Wrap a long reason to fit an empty panel; say where the rest is if cut."""
    lines = textwrap.wrap(text, width=width, break_on_hyphens=False)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], "... (full reason in the JSON and Markdown)"]
    return "\n".join(lines)


def save_figure(figure: Figure, path: str | os.PathLike, *, dpi: int = 110) -> Path:
    """Write the figure as PNG atomically (never a half-written file)."""
    path = Path(path)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())
    return path


__all__ = ["Panel", "plot_losses", "save_figure", "side_by_side"]
