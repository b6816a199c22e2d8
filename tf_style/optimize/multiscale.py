"""Coarse to fine: the image sizes of a multi-scale schedule and the resizing between.

Optimising a small image first settles the large structures cheaply (a step at half
the size costs about a quarter of a full one); the result, upsampled, starts the next
scale, and the full size only refines details. :func:`tf_style.optimize.stylize` runs
the loop; this module resizes images between scales; the sizes themselves are
:mod:`tf_style.shapes`' arithmetic, which the tests check by hand.

The style image is resized by the same fraction as the content at every scale, as in
crowsonkb/style-transfer-pytorch. VGG19's Gram matrices describe texture at a given
size in pixels, so a full-size style image against a coarse canvas would ask for
brush strokes several times too big, which the finer scales must then undo; scaled
together, each stage aims at the pattern the final image should have, seen smaller.

Measured (``benchmarks/time_to_quality.py``, 256 px): an upsampled coarse result is
blurred, so its full-size loss, dominated by the fine texture of block1 and block2,
starts *above* the content image's; the full-size stage then needs about as many
L-BFGS iterations as from the content image. Coarse stages therefore pay off only
when short (the benchmark uses 30 and 20 steps at 0.25 and 0.5); their value is the
large-scale structure they settle, which the loss does not measure.
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from tf_style.images.tensors import clip_0_1, resize
from tf_style.shapes import (  # the size arithmetic, kept importable from here
    MIN_SCALED_SIDE,
    check_scaled_sizes,
    scale_sizes,
    scaled_size,
)


def resize_to(image: tf.Tensor, size: Sequence[int]) -> tf.Tensor:
    """``image`` (float32 ``[1, H, W, 3]`` in [0, 1]) at ``size``, untouched if equal.

    Antialiased bilinear, so downsampling averages rather than aliases; the result is
    clipped to [0, 1] because the antialiasing kernel can overshoot slightly.
    """
    return resize(image, size)


def upsample_result(
    image: tf.Tensor,
    content: tf.Tensor,
    size: Sequence[int],
    *,
    start: str = "upsample",
    method: str = "bilinear",
) -> tf.Tensor:
    """The coarse result ``image`` as the start of the scale of ``size``.

    ``start="upsample"`` resizes the image: blurred, so the fine texture that the
    full-size loss weighs most must be rebuilt. ``"correction"`` (multigrid's
    coarse-grid correction) upsamples only what the coarse run *changed*, and adds it
    to the content at the new size: ``clip(content + up(image - content_coarse))``,
    so the content's detail arrives sharp and the coarse run's broad colours and
    shapes come with it.

    Args:
        image: the coarse result, float32 ``[1, h, w, 3]`` in [0, 1].
        content: the content image at full size (any size above ``size``).
        size: (H, W) of the next scale.
        start: ``upsample`` or ``correction``.
        method: interpolation, ``bilinear`` or ``bicubic``.
    """
    if tuple(image.shape[1:3]) == tuple(size):
        return image
    if start == "upsample":
        return resize(image, size, method=method)
    coarse_content = resize_to(content, image.shape[1:3])
    change = resize(image - coarse_content, size, method=method, clip=False)
    return clip_0_1(resize_to(content, size) + change)


def resize_by(image: tf.Tensor, scale: float) -> tf.Tensor:
    """``image`` with both sides times ``scale`` (the style image at each scale)."""
    return resize_to(image, scaled_size(image.shape[1:3], scale))


__all__ = [
    "MIN_SCALED_SIDE",
    "check_scaled_sizes",
    "resize_by",
    "resize_to",
    "scale_sizes",
    "scaled_size",
    "upsample_result",
]
