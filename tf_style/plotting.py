"""Figures: loss curves and image grids (matplotlib, no display needed).

Everything returns a ``matplotlib.figure.Figure`` built without pyplot's global state,
so scripts, tests and notebooks can call it alike; :func:`save_figure` writes one
atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tf_style.images import atomic_write

TERM_STYLES = {
    "total": {"color": "black", "linewidth": 2.0},
    "style": {"color": "tab:blue"},
    "content": {"color": "tab:orange"},
    "variation": {"color": "tab:green"},
}


def plot_losses(history: Mapping[str, Sequence[float]], *, title: str = "") -> Figure:
    """Loss against step for the total and each weighted term, on a log scale.

    Args:
        history: ``{"total": [...], "style": [...], ...}`` as in ``StylizeResult``.
        title: optional title.
    """
    figure = Figure(figsize=(7, 4), layout="constrained")
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
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    axes.set_title(title or "Loss terms during optimisation")
    return figure


def image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    columns: int | None = None,
    size: float = 3.0,
) -> Figure:
    """Images side by side with a title under each.

    Args:
        images: each float32 ``[1, H, W, 3]`` or ``[H, W, 3]`` in [0, 1].
        titles: one per image (may hold several lines).
        columns: images per row; all in one row by default.
        size: inches per image.
    """
    if len(images) != len(titles):
        raise ValueError(f"{len(images)} images but {len(titles)} titles.")
    columns = columns or len(images)
    rows = -(-len(images) // columns)
    figure = Figure(figsize=(size * columns, size * rows + 0.6), layout="constrained")
    for index, (image, title) in enumerate(zip(images, titles, strict=True)):
        axes = figure.add_subplot(rows, columns, index + 1)
        pixels = np.asarray(image, dtype=np.float32)
        axes.imshow(np.clip(pixels[0] if pixels.ndim == 4 else pixels, 0, 1))
        axes.set_xlabel(title, fontsize=9)
        axes.set_xticks([])
        axes.set_yticks([])
    return figure


def save_figure(figure: Figure, path: str | os.PathLike, *, dpi: int = 100) -> Path:
    """Write a figure as PNG atomically (a temporary file, then a rename)."""
    path = Path(path)
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png", dpi=dpi)
    return path
