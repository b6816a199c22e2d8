"""Image I/O and conversion: load_image, save_image, tensor_to_image.

Nothing here knows about VGG19 or losses. Images inside tf_style are float32 tensors
``[1, H, W, 3]`` in [0, 1], as in the tutorial. Loading goes through Pillow rather than
``tf.image.decode_image`` because Pillow handles what users actually have on disk: EXIF
rotation, palettes, CMYK JPEGs, 16-bit PNGs and transparency.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageOps
import tensorflow as tf

MIN_SIDE = 32  # VGG19 pools five times; below this the deep layers vanish.
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


class ImageError(ValueError):
    """An image file that cannot be used, with the file named in the message."""


def load_image(path: str | os.PathLike, max_dim: int | None = 512) -> tf.Tensor:
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
            or smaller than 32 px on a side.
    """
    pixels = read_rgb(path)
    image = tf.convert_to_tensor(pixels)[tf.newaxis]
    if max_dim is not None:
        image = resize_to_max_dim(image, max_dim)
    return image


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Decode a file fully into float32 ``[H, W, 3]`` in [0, 1].

    Grayscale, palette, CMYK and 16-bit images are converted to RGB; transparent
    pixels are composited on white (what a viewer shows); EXIF orientation is applied.
    """
    path = Path(path)
    check_readable_file(path)
    try:
        with PIL.Image.open(path) as opened:
            opened.load()  # decode everything now, so truncation is caught here
            image = PIL.ImageOps.exif_transpose(opened)
    except PIL.Image.DecompressionBombError as error:
        raise ImageError(
            f"{path}: image is too large to load safely ({error})."
        ) from None
    except (PIL.UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"{path}: not a readable image ({error}).") from None
    pixels = to_rgb_array(image)
    height, width = pixels.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ImageError(
            f"{path}: image is {width}x{height} px; at least {MIN_SIDE} px on each "
            "side is needed."
        )
    return pixels


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


def to_rgb_array(image: PIL.Image.Image) -> np.ndarray:
    """Convert any Pillow mode to float32 RGB in [0, 1]."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and 32-bit grayscale: scale by the mode's range, not by 255.
        gray = np.asarray(image, dtype=np.float32)
        scale = 65535.0 if image.mode.startswith("I") else 1.0
        gray = np.clip(gray / scale, 0.0, 1.0)
        return np.repeat(gray[..., np.newaxis], 3, axis=-1)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = PIL.Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = PIL.Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def resize_to_max_dim(image: tf.Tensor, max_dim: int) -> tf.Tensor:
    """Scale so the longest side is ``max_dim``, keeping the aspect ratio.

    The tutorial's ``load_img`` arithmetic: ``new_shape = shape * max_dim / long_dim``.

    Args:
        image: float32 ``[1, H, W, 3]``.
        max_dim: target length of the longest side.

    Returns:
        float32 ``[1, H', W', 3]``; bilinear keeps values in [0, 1].
    """
    shape = tf.cast(tf.shape(image)[1:3], tf.float32)
    scale = max_dim / tf.reduce_max(shape)
    new_shape = tf.cast(tf.round(shape * scale), tf.int32)
    new_shape = tf.maximum(new_shape, 1)
    return tf.image.resize(image, new_shape)


def as_batch(image: tf.Tensor | np.ndarray, name: str = "image") -> tf.Tensor:
    """float32 ``[1, H, W, 3]``; a single ``[H, W, 3]`` image gets its batch axis.

    Raises:
        ValueError: any other shape, naming ``name``.
    """
    tensor = tf.convert_to_tensor(image, dtype=tf.float32)
    if tensor.shape.rank == 3:
        tensor = tensor[tf.newaxis]
    if tensor.shape.rank != 4 or tensor.shape[0] != 1 or tensor.shape[-1] != 3:
        raise ValueError(
            f"{name}: expected float32 [1, H, W, 3] in [0, 1], got {tensor.shape}."
        )
    return tensor


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
