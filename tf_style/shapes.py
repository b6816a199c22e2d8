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

from tf_style.config.choices import MIN_NETWORK_SIDE


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


# VGG19's deepest default layers sit after four poolings: 16 px keeps them >= 1 px.
MIN_SCALED_SIDE = MIN_NETWORK_SIDE  # config/choices.py says why


def scaled_size(size: Sequence[int], scale: float) -> tuple[int, int]:
    """Height and width of ``size`` (H, W) times ``scale``, truncated as the
    tutorial's ``load_img`` sizes images (:func:`tf_style.shapes.scaled_shape`).

    A side is never made smaller than ``MIN_SCALED_SIDE`` (or than itself, where it
    is already smaller), and ``scale=1`` returns ``size`` exactly.

    Raises:
        ValueError: ``scale`` outside (0, 1].
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}.")
    scaled = scaled_shape(size, scale)
    return tuple(  # type: ignore[return-value]
        min(int(side), max(MIN_SCALED_SIDE, new))
        for side, new in zip(size, scaled, strict=True)
    )


def scale_sizes(size: Sequence[int], scales: Sequence[float]) -> list[tuple[int, int]]:
    """The (H, W) of each scale; the last is ``size`` when the scales end at 1."""
    return [scaled_size(size, scale) for scale in scales]


def check_scaled_sizes(
    sizes: dict[str, Sequence[int]], scales: Sequence[float]
) -> None:
    """Every image is large enough for VGG19 at every scale of the run.

    A file can pass the size check and still become too narrow once resized to
    ``max_dim`` (a 400x40 strip at 48 px is 48x5), and VGG19's poolings then fail
    deep inside TensorFlow. This checks the sizes the run will really use.

    Args:
        sizes: ``{"content": (H, W), "style": (H, W)}`` after resizing to max_dim.
        scales: the run's scales.

    Raises:
        ValueError: naming the image, the scale and its size.
    """
    for role, size in sizes.items():
        for scale in scales:
            height, width = scaled_size(size, scale)
            if min(height, width) < MIN_SCALED_SIDE:
                at = "" if scale == 1 else f" at scale {scale}"
                raise ValueError(
                    f"the {role} image is {width}x{height} px{at} after resizing; "
                    f"VGG19 needs at least {MIN_SCALED_SIDE} px on each side."
                )


__all__ = [
    "MIN_SCALED_SIDE",
    "check_max_dim",
    "check_scaled_sizes",
    "scale_sizes",
    "scaled_shape",
    "scaled_size",
    "tutorial_shape",
]
