"""Frame sequences: numbered frames in order, and how much a sequence flickers.

Starting frame ``t`` from stylised frame ``t - 1`` (and a fixed seed) is the cheap
route to temporal stability: the optimisation only has to follow what changed in the
photo, so strokes stay where they were instead of being re-invented every frame. No
optical flow is used. :func:`flicker` measures the result: the mean absolute
difference between consecutive output frames divided by that of the input frames
(1 means the stylised video flickers no more than the footage moves).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tf_style.batch.inputs import IMAGE_SUFFIXES


def numbered_frames(folder: Path) -> list[Path]:
    """The images of ``folder`` in frame order (by the last number in the name)."""

    def number(path: Path) -> tuple[int, str]:
        digits = re.findall(r"\d+", path.stem)
        return (int(digits[-1]) if digits else -1, path.name)

    files = [p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=number)


def mean_step_difference(frames: Sequence[np.ndarray]) -> float:
    """Mean absolute difference between consecutive frames (same size, [0, 1])."""
    if len(frames) < 2:
        return 0.0
    return float(
        np.mean(
            [np.abs(b - a).mean() for a, b in zip(frames[:-1], frames[1:], strict=True)]
        )
    )


def flicker(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> dict:
    """Consecutive-frame difference of the outputs, of the inputs, and their ratio."""
    moved, flick = mean_step_difference(inputs), mean_step_difference(outputs)
    return {
        "input_mean_abs_difference": moved,
        "output_mean_abs_difference": flick,
        "ratio": flick / moved if moved > 0 else float("nan"),
    }


__all__ = ["flicker", "mean_step_difference", "numbered_frames"]
