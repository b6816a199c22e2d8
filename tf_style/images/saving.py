"""Images out: :func:`save_image` writes PNG, JPEG or TIFF atomically at 8 or 16
bits a channel, and :func:`tensor_to_image` is the tutorial's conversion to a Pillow
image. The formats' bytes are :mod:`tf_style.images.encode`'s; this module picks
the format from the suffix and refuses a depth the format cannot hold.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import PIL.Image

from tf_style.images import encode
from tf_style.paths.atomic import atomic_write

if TYPE_CHECKING:
    import tensorflow as tf

SAVE_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
# Bits per channel each format writes: TIFF defaults to 16 (print work), JPEG has 8.
BIT_DEPTHS = {"PNG": (8, 16), "JPEG": (8,), "TIFF": (16, 8)}


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
