"""Images that arrive as arrays or tensors, checked like a file would be.

The Python API takes pixels as well as paths, and no decoder has looked at them:
:func:`as_batch` is where a 0-255 array, a NaN, a thumbnail or a 40000 px broadcast
array is caught, with a message naming the argument, rather than ending as a white
or empty stylisation. What passes is the tutorial's float32 ``[1, H, W, 3]`` in
[0, 1].
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import tensorflow as tf

from tf_style.config import MIN_NETWORK_SIDE
from tf_style.images.limits import MAX_PIXELS


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
