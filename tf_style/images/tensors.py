"""Images as tf_style holds them: load_image, save_image, tensor_to_image, as_batch.

Nothing here knows about VGG19 or losses. Images inside tf_style are float32 tensors
``[1, H, W, 3]`` in [0, 1], as in the tutorial: :func:`load_image` reads a file into
one, :func:`resize` is the one resize and :func:`clip_0_1` the one clip. Arrays and
tensors are checked against that contract by :func:`~tf_style.images.arrays.as_batch`,
and written by :func:`~tf_style.images.saving.save_image`; both are importable from
here. Decoding goes through Pillow (:mod:`tf_style.images.decode`) rather than
``tf.image.decode_image`` because Pillow handles what users actually have on disk:
EXIF rotation, palettes, CMYK JPEGs, 16-bit PNGs and transparency.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tf_style.config import TUTORIAL
from tf_style.images.arrays import (
    BFLOAT16,
    RANGE_TOLERANCE,
    ImageDtypeError,
    as_batch,
)
from tf_style.images.decode import MAX_PIXELS, MIN_SIDE, ImageError, read_rgb
from tf_style.images.saving import (
    BIT_DEPTHS,
    SAVE_FORMATS,
    save_image,
    tensor_to_image,
)
from tf_style.paths.atomic import atomic_write
from tf_style.shapes import check_max_dim, tutorial_shape


def load_image(
    path: str | os.PathLike, max_dim: int | None = TUTORIAL.max_dim
) -> tf.Tensor:
    """Load an image file as the tutorial's ``load_img`` does, but robustly.

    The longest side is scaled to ``max_dim`` keeping the aspect ratio (up or down),
    with the tutorial's shape (:func:`tutorial_shape`, which truncates) and its
    pixels: JPEGs and opaque PNGs are decoded by TensorFlow and resized with plain
    bilinear, equal to the tutorial's ``load_img`` within 1e-6 (tested).
    ``max_dim=None`` keeps the file's size.

    Args:
        path: any image file Pillow reads (PNG, JPEG, GIF, BMP, TIFF, WebP, ...).
        max_dim: length of the longest side after resizing, or None.

    Returns:
        float32 ``[1, H, W, 3]`` in [0, 1].

    Raises:
        ImageError: the file is missing, a directory, empty, not an image, truncated,
            smaller than 32 px on a side, larger than :data:`MAX_PIXELS` (a JPEG
            is decoded at a reduced size where that brings it under, with a
            :class:`~tf_style.images.decode.ReducedDecodeWarning`), or its header claims
            more pixels than its bytes can encode (a decompression bomb).
        ValueError: ``max_dim`` is not a whole number of at least 1.
    """
    if max_dim is not None:
        check_max_dim(max_dim)
    pixels = read_rgb(path, max_dim=max_dim)
    image = tf.convert_to_tensor(pixels)[tf.newaxis]
    if max_dim is not None:
        image = resize_to_max_dim(image, max_dim)
    return image


ImageLike = tf.Tensor | np.ndarray | str | os.PathLike  # a file, or its pixels


def clip_0_1(image: tf.Tensor) -> tf.Tensor:
    """Keep pixels in [0, 1]: the image is a free float variable, nothing else would."""
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


def resize(
    image: tf.Tensor,
    size: Sequence[int],
    *,
    antialias: bool = True,
    method: str = "bilinear",
    clip: bool = True,
) -> tf.Tensor:
    """The one resize: float32 ``[1, H, W, C]`` in [0, 1] to ``size`` (H', W').

    Bilinear (or ``method``, e.g. bicubic); antialiased by default, so shrinking
    averages rather than aliases, and clipped to [0, 1] because the antialiasing
    kernel (and bicubic's) can overshoot. An image already at ``size`` is returned
    as it is. ``antialias=False`` is ``tf.image.resize``'s default, which the
    tutorial uses to load images and to give the fast model its 256x256 style.
    ``clip=False`` is for differences between images, which are not in [0, 1].
    """
    size = tuple(int(side) for side in size)
    if tuple(image.shape[1:3]) == size:
        return image
    resized = tf.image.resize(image, size, method=method, antialias=antialias)
    return clip_0_1(resized) if clip else resized


def resize_to_max_dim(image: tf.Tensor, max_dim: int) -> tf.Tensor:
    """Scale so the longest side is ``max_dim``, keeping the aspect ratio.

    The tutorial's ``load_img``: the shape from :func:`tutorial_shape`, then a
    plain (not antialiased) bilinear ``tf.image.resize``.

    Args:
        image: float32 ``[1, H, W, 3]``.
        max_dim: target length of the longest side.

    Returns:
        float32 ``[1, H', W', 3]``.
    """
    return resize(image, tutorial_shape(image.shape[1:3], max_dim), antialias=False)


__all__ = [
    "BFLOAT16",
    "MAX_PIXELS",
    "MIN_SIDE",
    "BIT_DEPTHS",
    "RANGE_TOLERANCE",
    "SAVE_FORMATS",
    "ImageDtypeError",
    "ImageError",
    "ImageLike",
    "as_batch",
    "atomic_write",
    "clip_0_1",
    "load_image",
    "read_rgb",
    "resize",
    "resize_to_max_dim",
    "tutorial_shape",
    "check_max_dim",
    "save_image",
    "tensor_to_image",
]
