"""Image sizes by the tutorial's arithmetic: one rule for every place that sizes one.

The tutorial's ``load_img`` computes ``scale = max_dim / long_dim`` and
``new_shape = tf.cast(shape * scale, tf.int32)`` in float32, which truncates. Two
images one row apart give losses that cannot be compared, so the loader, the style
scale, the coarse-to-fine scales and the memory preflight all size images here, in
the same float32 arithmetic (NumPy's, equal to TensorFlow's: tested). No TensorFlow
import: the preflight sizes images before TensorFlow starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def tutorial_shape(size: Sequence[int], max_dim: int) -> tuple[int, int]:
    """(H, W) of an image of ``size`` (H, W) with its longest side at ``max_dim``.

    979x734 at 256 is 256x191 (truncated), not 256x192. A side that would be 0 is
    1 (the size checks then say the image is too small).

    Raises:
        ValueError: ``max_dim`` is not a whole number of at least 1.
    """
    check_max_dim(max_dim)
    shape = np.asarray([int(side) for side in size], dtype=np.float32)
    scale = np.float32(max_dim) / shape.max()
    height, width = np.maximum((shape * scale).astype(np.int32), 1)
    return int(height), int(width)


def scaled_shape(size: Sequence[int], scale: float) -> tuple[int, int]:
    """(H, W) of ``size`` times ``scale``, truncated in float32 as the tutorial does.

    ``scale=1`` returns ``size`` exactly (whole numbers below 2**24 are exact in
    float32). Sides of 0 become 1.
    """
    shape = np.asarray([int(side) for side in size], dtype=np.float32)
    height, width = np.maximum((shape * np.float32(scale)).astype(np.int32), 1)
    return int(height), int(width)


def check_max_dim(max_dim: Any) -> None:
    """``max_dim`` is a whole number of pixels, at least 1 (None is checked apart).

    Raises:
        ValueError: 0, negative, fractional, NaN or not a number, saying which.
    """
    if isinstance(max_dim, bool) or not isinstance(max_dim, (int, np.integer)):
        raise ValueError(
            f"max_dim must be a whole number of pixels (or None), got {max_dim!r}."
        )
    if max_dim < 1:
        raise ValueError(f"max_dim must be at least 1 px, got {max_dim}.")


__all__ = ["check_max_dim", "scaled_shape", "tutorial_shape"]
