"""Images as tf_style holds them: load_image, save_image, tensor_to_image, as_batch.

Nothing here knows about VGG19 or losses. Images inside tf_style are float32 tensors
``[1, H, W, 3]`` in [0, 1], as in the tutorial; :func:`as_batch` checks arrays and
tensors against that, :func:`resize` is the one resize and :func:`clip_0_1` the one
clip. Decoding goes through Pillow (:mod:`tf_style.images.decode`) rather than
``tf.image.decode_image`` because Pillow handles what users actually have on disk:
EXIF rotation, palettes, CMYK JPEGs, 16-bit PNGs and transparency.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import tensorflow as tf

from tf_style.config import MIN_NETWORK_SIDE, TUTORIAL
from tf_style.images import encode
from tf_style.images.decode import MAX_PIXELS, MIN_SIDE, ImageError, read_rgb
from tf_style.paths.atomic import atomic_write
from tf_style.shapes import check_max_dim, tutorial_shape

SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
# Bits per channel each format writes: TIFF defaults to 16 (print work), JPEG has 8.
BIT_DEPTHS = {"PNG": (8, 16), "JPEG": (8,), "TIFF": (16, 8)}


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


def as_batch(
    image: Any, name: str = "image", *, min_side: int = MIN_NETWORK_SIDE
) -> tf.Tensor:
    """float32 ``[1, H, W, 3]`` in [0, 1], checked like a file would be.

    The Python API's images arrive as arrays or tensors, unchecked by any decoder,
    so this is where a 0-255 array, a NaN or a thumbnail is caught, with a message
    naming ``name``, rather than ending as a white or empty stylisation.

    A single ``[H, W, 3]`` image gets its batch axis. uint8 [0, 255] is divided by
    255, as ``tf.image.convert_image_dtype`` does; float16/32/64 and bfloat16 must
    already be in [0, 1], give or take :data:`RANGE_TOLERANCE` (then clipped).
    Other types (bool, other integers, complex, strings) are refused rather than
    guessed. Eager tensors and NumPy arrays only: a symbolic tensor inside
    ``tf.function`` has no values to check.

    Args:
        image: NumPy array, eager tensor or variable, ``[H, W, 3]`` or
            ``[1, H, W, 3]``.
        name: the argument's name, for messages (``"content_image"``).
        min_side: the least height and width accepted (VGG19 needs 16 px).

    Returns:
        float32 ``[1, H, W, 3]`` in [0, 1].

    Raises:
        TypeError: None, a path, not a numeric array or a symbolic tensor.
        ImageDtypeError: a dtype other than uint8 and float (both a TypeError and
            a ValueError).
        ValueError: another shape, a side under ``min_side`` px, more than
            :data:`MAX_PIXELS` pixels (checked before converting), non-finite
            values or values outside [0, 1]; naming ``name`` and what was passed.
    """
    array = _as_array(image, name)
    _check_dtype(array, name)
    if array.ndim == 3:
        array = array[np.newaxis]
    if array.ndim != 4 or array.shape[0] != 1 or array.shape[-1] != 3:
        raise ValueError(
            f"{name}: expected float32 [1, H, W, 3] or [H, W, 3] in [0, 1], got "
            f"shape {list(array.shape)}."
        )
    height, width = array.shape[1:3]
    # Checked on the shape, before converting: a broadcast array (np.broadcast_to)
    # takes no memory until converted, and converting it could take gigabytes.
    if height * width > MAX_PIXELS:
        raise ValueError(
            f"{name}: image is {width}x{height} px ({height * width / 1e6:.0f} "
            f"megapixels), more than the {MAX_PIXELS / 1e6:.0f} megapixels tf_style "
            f"takes (as float32 it would need {height * width * 12 / 1e9:.1f} GB); "
            "downscale it first."
        )
    if min(height, width) < min_side:
        raise ValueError(
            f"{name}: image is {width}x{height} px; at least {min_side} px on each "
            "side is needed."
        )
    return tf.convert_to_tensor(_as_unit_float(array, name), dtype=tf.float32)


class ImageDtypeError(TypeError, ValueError):
    """An array of a dtype that is not an image's (bool, other integers, complex).

    A TypeError, as a wrong type is in Python, and a ValueError, as the documents
    promise for integer arrays (docs/promises.md): either ``except`` catches it.
    """


def _as_array(image: Any, name: str) -> np.ndarray:
    """A numeric NumPy array, or a TypeError saying what was passed instead."""
    expected = "an image array or tensor (float32 [1, H, W, 3] in [0, 1])"
    if image is None or isinstance(image, (str, bytes, os.PathLike)):
        raise TypeError(f"{name}: expected {expected}, got {type(image).__name__}.")
    try:
        array = np.asarray(image)
    except NotImplementedError:  # what a symbolic tensor raises
        raise TypeError(
            f"{name}: expected {expected}, got a symbolic tensor (inside "
            "tf.function), whose values cannot be checked; pass an eager tensor "
            "or a NumPy array."
        ) from None
    except (TypeError, ValueError, OverflowError) as error:
        raise TypeError(
            f"{name}: expected {expected}, got {type(image).__name__} ({error})."
        ) from None
    if array.dtype.kind in "OSUV" and array.dtype != BFLOAT16:
        # Ragged, sparse and string tensors, nested lists, arbitrary objects.
        raise TypeError(
            f"{name}: expected {expected}, got {type(image).__name__} of dtype "
            f"{array.dtype}."
        )
    return array


def _check_dtype(array: np.ndarray, name: str) -> None:
    """uint8, bfloat16 or float; anything else is an :class:`ImageDtypeError`."""
    if array.dtype != np.uint8 and array.dtype != BFLOAT16 and array.dtype.kind != "f":
        raise ImageDtypeError(
            f"{name}: expected float32 values in [0, 1] (or uint8 0-255), got "
            f"dtype {array.dtype}; {_conversion_hint(array.dtype)}."
        )


def _as_unit_float(array: np.ndarray, name: str) -> np.ndarray:
    """float32 values in [0, 1] from uint8 or float input (see :func:`_check_dtype`)."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == BFLOAT16:
        array = array.astype(np.float32)  # exact: bfloat16 is float32 cut short
    # Checked in the array's own precision: float64 beyond float32's range would
    # overflow in the cast.
    bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ValueError(
            f"{name}: {bad} non-finite values (NaN or infinity) among "
            f"{array.size}; expected finite values in [0, 1]."
        )
    if array.size and (
        array.min() < -RANGE_TOLERANCE or array.max() > 1 + RANGE_TOLERANCE
    ):
        raise ValueError(
            f"{name}: values from {array.min():.4g} to {array.max():.4g}; expected "
            "[0, 1] (divide 0-255 images by 255)."
        )
    return np.clip(array.astype(np.float32), 0.0, 1.0)


def _conversion_hint(dtype: np.dtype) -> str:
    """How to turn an array of ``dtype`` into [0, 1] floats, where there is a way."""
    if dtype == np.bool_:
        return "convert it with image.astype('float32')"
    if dtype.kind in "iu":
        return f"convert it, e.g. image.astype('float32') / {np.iinfo(dtype).max}"
    return "convert it to float32 in [0, 1]"


# Rounding can leave a resized or converted image a hair outside [0, 1].
RANGE_TOLERANCE = 1e-4
BFLOAT16 = np.dtype(tf.bfloat16.as_numpy_dtype)


def tensor_to_image(tensor: tf.Tensor | np.ndarray) -> PIL.Image.Image:
    """The tutorial's ``tensor_to_image``: ``[1, H, W, 3]`` in [0, 1] to a Pillow image.

    Values outside [0, 1] are clipped before the conversion to 8 bits.
    """
    return PIL.Image.fromarray(encode.quantize(_single_image(tensor), 8))


def _single_image(tensor: tf.Tensor | np.ndarray) -> np.ndarray:
    """float32 ``[H, W, 3]`` from ``[1, H, W, 3]`` or ``[H, W, 3]``."""
    array = np.asarray(tensor, dtype=np.float32)
    if array.ndim == 4:
        if array.shape[0] != 1:
            raise ValueError(f"Expected a batch of one image, got shape {array.shape}.")
        array = array[0]
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(
            f"Expected an image [1, H, W, 3] or [H, W, 3], got {array.shape}."
        )
    return array


def save_image(
    tensor: tf.Tensor | np.ndarray,
    path: str | os.PathLike,
    *,
    bit_depth: int | None = None,
    icc_profile: bytes | None = None,
) -> Path:
    """Write an image atomically as PNG, JPEG or TIFF (chosen by the suffix).

    The file is written to a temporary name in the same directory and renamed, so an
    interrupted write never leaves a broken image behind.

    Args:
        tensor: float ``[1, H, W, 3]`` or ``[H, W, 3]`` in [0, 1].
        path: ``.png``, ``.jpg``/``.jpeg`` or ``.tif``/``.tiff``.
        bit_depth: 8 or 16 bits per channel (PNG and TIFF; see
            :mod:`tf_style.images.encode`); None: 16 for TIFF, 8 otherwise.
        icc_profile: an ICC profile to embed (the content photo's), or None.

    Returns:
        The path written.

    Raises:
        ValueError: an unknown suffix, or a bit depth the format cannot hold.
    """
    path = Path(path)
    image_format = SAVE_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise ValueError(
            f"{path}: cannot save as {path.suffix or 'no suffix'!r}; "
            f"use one of {', '.join(SAVE_FORMATS)}."
        )
    bit_depth = BIT_DEPTHS[image_format][0] if bit_depth is None else bit_depth
    depths = BIT_DEPTHS[image_format]
    if bit_depth not in depths:
        raise ValueError(
            f"{path}: {image_format} holds {' or '.join(map(str, sorted(depths)))} "
            f"bits per channel, not {bit_depth}; write a .png or .tif for 16."
        )
    array = _single_image(tensor)
    with atomic_write(path) as handle:
        if image_format == "TIFF":
            handle.write(encode.tiff(array, bit_depth, icc_profile))
        elif bit_depth == 16:
            handle.write(encode.png16(array, icc_profile))
        else:
            options = {"quality": 95} if image_format == "JPEG" else {}
            if icc_profile is not None:
                options["icc_profile"] = icc_profile
            tensor_to_image(array).save(handle, format=image_format, **options)
    return path


__all__ = [
    "MAX_PIXELS",
    "MIN_SIDE",
    "BIT_DEPTHS",
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
