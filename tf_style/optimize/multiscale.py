"""Coarse to fine: the image sizes of a multi-scale schedule and the resizing between.

Optimising a small image first settles the large structures cheaply (a step at half
the size costs about a quarter of a full one); the result, upsampled, starts the next
scale, and the full size only refines details. :func:`tf_style.optimize.stylize` runs
the loop; this module holds the geometry, which the tests check by hand.

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

from tf_style.config import MIN_NETWORK_SIDE
from tf_style.images import clip_0_1, resize
from tf_style.shapes import scaled_shape

# VGG19's deepest default layers sit after four poolings: 16 px keeps them >= 1 px.
MIN_SCALED_SIDE = MIN_NETWORK_SIDE  # config.py says why


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
