"""Image I/O and conversion: load_image, save_image, tensor_to_image.

Nothing here knows about VGG19 or losses. Images inside tf_style are float32 tensors
``[1, H, W, 3]`` in [0, 1], as in the tutorial. Loading goes through Pillow rather than
``tf.image.decode_image`` because Pillow handles what users actually have on disk: EXIF
rotation, palettes, CMYK JPEGs, 16-bit PNGs and transparency.
"""

from __future__ import annotations

import os
import struct
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageOps
import tensorflow as tf

from tf_style.config import MIN_IMAGE_SIDE, MIN_NETWORK_SIDE, TUTORIAL

MIN_SIDE = MIN_IMAGE_SIDE  # files; arrays need MIN_NETWORK_SIDE (see config.py)
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


class ImageError(ValueError):
    """An image file that cannot be used, with the file named in the message."""


def load_image(
    path: str | os.PathLike, max_dim: int | None = TUTORIAL.max_dim
) -> tf.Tensor:
    """Load an image file as the tutorial's ``load_img`` does, but robustly.

    The longest side is scaled to ``max_dim`` keeping the aspect ratio (up or down,
    as the tutorial does); ``max_dim=None`` keeps the file's size.

    Args:
        path: any image file Pillow reads (PNG, JPEG, GIF, BMP, TIFF, WebP, ...).
        max_dim: length of the longest side after resizing, or None.

    Returns:
        float32 ``[1, H, W, 3]`` in [0, 1].

    Raises:
        ImageError: the file is missing, a directory, empty, not an image, truncated,
            smaller than 32 px on a side, or larger than :data:`MAX_PIXELS` (a JPEG
            is decoded at a reduced size first where that brings it under).
    """
    pixels = read_rgb(path, max_dim=max_dim)
    image = tf.convert_to_tensor(pixels)[tf.newaxis]
    if max_dim is not None:
        image = resize_to_max_dim(image, max_dim)
    return image


def read_rgb(path: str | os.PathLike, *, max_dim: int | None = None) -> np.ndarray:
    """Decode a file into float32 ``[H, W, 3]`` in [0, 1].

    Grayscale, palette, CMYK, 16- and 32-bit images are converted to RGB; transparent
    pixels are composited on white (what a viewer shows); EXIF orientation is applied.
    With ``max_dim``, a large image is decoded at a reduced size (JPEG's draft mode)
    or reduced in its own 8-bit mode, to no less than twice ``max_dim``, before the
    float32 copy (12 bytes a pixel) is made.
    """
    path = Path(path)
    check_readable_file(path)
    try:
        with warnings.catch_warnings():
            # The pixel limit below replaces Pillow's warning (an error under pytest).
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            # Corrupt metadata (EXIF, ICC) is skipped and the pixels used, quietly:
            # a command's stderr is for its own one-line messages.
            warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
            with PIL.Image.open(path) as opened:
                image, scale = _decode(opened, path, max_dim)
    except PIL.Image.DecompressionBombError as error:
        raise ImageError(
            f"{path}: image is too large to load safely ({error})."
        ) from None
    except DECODE_ERRORS as error:
        raise ImageError(f"{path}: not a readable image ({error}).") from None
    pixels = to_rgb_array(image, integer_scale=scale)
    if not np.isfinite(pixels).all():
        raise ImageError(f"{path}: image holds non-finite values (NaN or infinity).")
    height, width = pixels.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ImageError(
            f"{path}: image is {width}x{height} px; at least {MIN_SIDE} px on each "
            "side is needed."
        )
    return pixels


# What Pillow's decoders raise on corrupt files (found by tests/test_fuzz_images.py).
DECODE_ERRORS = (
    PIL.UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    EOFError,
    struct.error,
    ZeroDivisionError,
    MemoryError,
    OverflowError,
)


def _decode(
    opened: PIL.Image.Image, path: Path, max_dim: int | None
) -> tuple[PIL.Image.Image, float | None]:
    """Check the size from the header, decode (reduced where possible), orient."""
    width, height = opened.size
    large = width * height > REDUCE_ABOVE_PIXELS
    if large and max_dim is not None and opened.format == "JPEG":
        target = 2 * max_dim
        opened.draft(None, (target, target))  # decodes at 1/2, 1/4 or 1/8 scale
        width, height = opened.size
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{path}: image is {width}x{height} px ({width * height / 1e6:.0f} "
            f"megapixels), more than the {MAX_PIXELS / 1e6:.0f} megapixels tf_style "
            "decodes; downscale the file first (style transfer runs at a few "
            "hundred to a few thousand pixels)."
        )
    scale = integer_scale(opened)
    opened.load()  # decode everything now, so truncation is caught here
    image = PIL.ImageOps.exif_transpose(opened)
    if large and max_dim is not None and image.mode in REDUCIBLE_MODES:
        factor = max(image.size) // (2 * max_dim)
        if factor > 1:
            image = image.reduce(factor)  # a box filter in the file's own mode
    return image, scale


# Pixels a file may have: decoding takes 3-4 bytes a pixel and the float32 copy 12
# (before reduction), so 64 megapixels (8000x8000) costs under 1 GB at worst, and no
# style transfer here runs on more than a few megapixels (see preflight's memory
# check). Pillow's own limit (89 megapixels) only warns.
MAX_PIXELS = 64_000_000
# Below this (a 12-megapixel photo is 144 MB as float32) images are decoded in full,
# as the tutorial does; above it they are first reduced to twice max_dim.
REDUCE_ABOVE_PIXELS = 16_000_000
REDUCIBLE_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F")


def integer_scale(image: PIL.Image.Image) -> float | None:
    """The full-scale value of an integer grayscale image, from the file's bit depth.

    16-bit modes (``I;16*``) use 65535. Mode ``I`` (32-bit signed) holds 16-bit PNGs
    in some Pillow versions and 8-32-bit TIFFs: TIFF's BitsPerSample (tag 258) gives
    the depth; PNG's is at most 16; otherwise the full signed 32-bit range. None for
    the other modes.
    """
    if image.mode.startswith("I;16"):
        return 65535.0
    if image.mode != "I":
        return None
    bits = getattr(image, "tag_v2", {}).get(258)
    if isinstance(bits, tuple):
        bits = bits[0] if bits else None
    if isinstance(bits, int) and 1 <= bits <= 32:
        signed = getattr(image, "tag_v2", {}).get(339) in (2, (2,))
        return float(2 ** (bits - 1 if signed else bits) - 1)
    if image.format == "PNG":
        return 65535.0
    return float(2**31 - 1)


def check_readable_file(path: Path) -> None:
    """Fail with the file's name when it cannot possibly be an image."""
    if not path.exists():
        raise ImageError(f"{path}: no such file.")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image file.")
    if not os.access(path, os.R_OK):
        raise ImageError(f"{path}: permission denied (the file cannot be read).")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: file is empty (0 bytes).")


def to_rgb_array(
    image: PIL.Image.Image, *, integer_scale: float | None = None
) -> np.ndarray:
    """Convert any Pillow mode to float32 RGB in [0, 1].

    Integer grayscale (``I;16``, ``I``) is divided by ``integer_scale`` (the file's
    full-scale value, see :func:`integer_scale`; 65535 when None); float grayscale
    (``F``) is taken as [0, 1]; both are clipped to [0, 1].
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        gray = np.asarray(image, dtype=np.float32)
        scale = 1.0 if image.mode == "F" else (integer_scale or 65535.0)
        gray = np.clip(gray / np.float32(scale), 0.0, 1.0)
        return np.repeat(gray[..., np.newaxis], 3, axis=-1)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = PIL.Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = PIL.Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


ImageLike = tf.Tensor | np.ndarray | str | os.PathLike  # a file, or its pixels


def clip_0_1(image: tf.Tensor) -> tf.Tensor:
    """Keep pixels in [0, 1]: the image is a free float variable, nothing else would."""
    return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)


def resize(
    image: tf.Tensor, size: Sequence[int], *, antialias: bool = True
) -> tf.Tensor:
    """The one resize: float32 ``[1, H, W, C]`` in [0, 1] to ``size`` (H', W').

    Bilinear; antialiased by default, so shrinking averages rather than aliases, and
    clipped to [0, 1] because the antialiasing kernel can overshoot. An image
    already at ``size`` is returned as it is. ``antialias=False`` is
    ``tf.image.resize``'s default, which the tutorial uses to load images and to
    give the fast model its 256x256 style.
    """
    size = tuple(int(side) for side in size)
    if tuple(image.shape[1:3]) == size:
        return image
    return clip_0_1(
        tf.image.resize(image, size, method="bilinear", antialias=antialias)
    )


def resize_to_max_dim(image: tf.Tensor, max_dim: int) -> tf.Tensor:
    """Scale so the longest side is ``max_dim``, keeping the aspect ratio.

    The tutorial's ``load_img`` arithmetic, ``new_shape = shape * max_dim /
    long_dim``, and its plain bilinear resize.

    Args:
        image: float32 ``[1, H, W, 3]``.
        max_dim: target length of the longest side.

    Returns:
        float32 ``[1, H', W', 3]``.
    """
    shape = tf.cast(tf.shape(image)[1:3], tf.float32)  # the tutorial's float32 maths
    scale = max_dim / tf.reduce_max(shape)
    new_shape = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), 1)
    return resize(image, new_shape.numpy(), antialias=False)


def as_batch(
    image: Any, name: str = "image", *, min_side: int = MIN_NETWORK_SIDE
) -> tf.Tensor:
    """float32 ``[1, H, W, 3]`` in [0, 1], checked like a file would be.

    A single ``[H, W, 3]`` image gets its batch axis. uint8 images (0-255) are
    divided by 255, as ``tf.image.convert_image_dtype`` does; float16/32/64 must
    already be in [0, 1]. Other types are refused rather than guessed.

    Raises:
        TypeError: None, not an array, or an integer type other than uint8.
        ValueError: another shape, a side under ``min_side`` px (what VGG19 needs),
            non-finite values or values outside [0, 1]; naming ``name`` and what
            was passed.
    """
    if image is None or isinstance(image, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{name}: expected an image array or tensor (float32 [1, H, W, 3] in "
            f"[0, 1]), got {type(image).__name__}."
        )
    try:
        array = np.asarray(image)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: not an image array ({error}).") from None
    array = _as_unit_float(array, name)
    if array.ndim == 3:
        array = array[np.newaxis]
    if array.ndim != 4 or array.shape[0] != 1 or array.shape[-1] != 3:
        raise ValueError(
            f"{name}: expected float32 [1, H, W, 3] in [0, 1], got shape "
            f"{list(array.shape)}."
        )
    height, width = array.shape[1:3]
    if min(height, width) < min_side:
        raise ValueError(
            f"{name}: image is {width}x{height} px; at least {min_side} px on each "
            "side is needed."
        )
    return tf.convert_to_tensor(array, dtype=tf.float32)


def _as_unit_float(array: np.ndarray, name: str) -> np.ndarray:
    """float32 values in [0, 1] from uint8 or float input; refuses anything else."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name}: expected float32 values in [0, 1] (or uint8 0-255), got "
            f"dtype {array.dtype}; convert it, e.g. image.astype('float32') / 255."
        )
    # Checked in the array's own precision: float64 beyond float32's range would
    # overflow in the cast.
    bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise ValueError(f"{name}: {bad} non-finite values (NaN or infinity).")
    if array.size and (
        array.min() < -RANGE_TOLERANCE or array.max() > 1 + RANGE_TOLERANCE
    ):
        raise ValueError(
            f"{name}: values from {array.min():.4g} to {array.max():.4g}; expected "
            "[0, 1] (divide 0-255 images by 255)."
        )
    return np.clip(array.astype(np.float32), 0.0, 1.0)


# Rounding can leave a resized or converted image a hair outside [0, 1].
RANGE_TOLERANCE = 1e-4


def tensor_to_image(tensor: tf.Tensor | np.ndarray) -> PIL.Image.Image:
    """The tutorial's ``tensor_to_image``: ``[1, H, W, 3]`` in [0, 1] to a Pillow image.

    Values outside [0, 1] are clipped before the conversion to 8 bits.
    """
    array = np.asarray(tensor, dtype=np.float32)
    if array.ndim == 4:
        if array.shape[0] != 1:
            raise ValueError(f"Expected a batch of one image, got shape {array.shape}.")
        array = array[0]
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(
            f"Expected an image [1, H, W, 3] or [H, W, 3], got {array.shape}."
        )
    array = np.clip(array * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return PIL.Image.fromarray(array)


def save_image(tensor: tf.Tensor | np.ndarray, path: str | os.PathLike) -> Path:
    """Write an image atomically as PNG or JPEG (chosen by the suffix).

    The file is written to a temporary name in the same directory and renamed, so an
    interrupted write never leaves a broken image behind.

    Returns:
        The path written.
    """
    path = Path(path)
    image_format = SAVE_FORMATS.get(path.suffix.lower())
    if image_format is None:
        raise ValueError(
            f"{path}: cannot save as {path.suffix or 'no suffix'!r}; "
            f"use one of {', '.join(SAVE_FORMATS)}."
        )
    image = tensor_to_image(tensor)
    options = {"quality": 95} if image_format == "JPEG" else {}
    with atomic_write(path) as handle:
        image.save(handle, format=image_format, **options)
    return path


class atomic_write:  # noqa: N801 - used like open()
    """A binary file handle whose content appears at ``path`` only on success."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        self.temporary = Path(temporary)
        os.chmod(descriptor, 0o666 & ~_current_umask())  # mkstemp makes it private
        self.handle = os.fdopen(descriptor, "wb")
        return self.handle

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.handle.close()
        if exc_type is None:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
