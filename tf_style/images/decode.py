"""Decoding image files safely: any file Pillow reads, or an ImageError naming it.

Files come from users and from the internet, so decoding is defensive: the size is
checked from the header before a pixel is decoded (decompression bombs, see
:mod:`.limits`), large files are decoded reduced, every decoder failure becomes an
:class:`ImageError`, and the result is float32 RGB in [0, 1] whatever the mode
(:mod:`.pillow_modes`: grayscale, palette, CMYK, transparency, 16- and 32-bit,
float), turned upright by its EXIF orientation. :mod:`.tensors` builds
``load_image`` on it.
"""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageOps

from tf_style.images.limits import (
    DOWNSCALE,
    MAX_PIXELS,
    MIN_SIDE,
    MOST_PIXELS_PER_BYTE,
    ImageError,
    check_plausible_size,
    check_readable_file,
    reduction_ratio,
)
from tf_style.images.orientation import exif_orientation, orient, oriented_size
from tf_style.images.pillow_modes import (
    UINT32_MAX,
    integer_scale,
    to_rgb_array,
    unsigned_32_bit,
)


def read_rgb(path: str | os.PathLike, *, max_dim: int | None = None) -> np.ndarray:
    """Decode a file into float32 ``[H, W, 3]`` in [0, 1].

    RGB and grey JPEGs are decoded by TensorFlow exactly as the tutorial's
    ``load_img`` does (``tf.io.decode_image`` then ``tf.image.convert_image_dtype``),
    so the pixels are the tutorial's: Pillow's JPEG decoder differs from
    TensorFlow's by up to 5/255. Everything else goes through Pillow, which gives
    lossless files' exact values as TensorFlow does: grayscale, palette, CMYK, 16-
    and 32-bit images are converted to RGB and transparent pixels composited on
    white (what a viewer shows, where the tutorial drops the alpha channel). EXIF
    orientation is applied either way.

    Files are decoded in full. Only a JPEG over :data:`MAX_PIXELS` with ``max_dim``
    set is decoded at 1/2, 1/4 or 1/8 of its size (the least reduction that fits),
    and a :class:`ReducedDecodeWarning` says so. A file whose header claims more
    pixels than its bytes can encode is refused before decoding
    (:func:`check_plausible_size`).
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
                pixels, (width, height) = _decode(opened, path, max_dim)
    except ImageError:
        raise  # ours, already saying what is wrong (a ValueError, caught below)
    except PIL.Image.DecompressionBombError as error:
        raise ImageError(
            f"{path}: image is too large to decode safely ({error}); tf_style "
            f"decodes at most {MAX_PIXELS / 1e6:.0f} megapixels: {DOWNSCALE}."
        ) from None
    except DECODE_ERRORS as error:
        raise ImageError(f"{path}: not a readable image ({error}).") from None
    if min(height, width) < MIN_SIDE:  # the file's own size, not a reduced one
        raise ImageError(
            f"{path}: image is {width}x{height} px; at least {MIN_SIDE} px on each "
            "side is needed."
        )
    return pixels


class ReducedDecodeWarning(UserWarning):
    """A file too large to decode in full was decoded at a reduced size.

    The pixels then differ from the tutorial's (which would decode in full); the
    training command writes the message to its log and its run record.
    """


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


def rgb_icc_profile(path: str | os.PathLike) -> bytes | None:
    """The ICC profile embedded in an image file, where it describes RGB colour.

    The result's pixels are the content's RGB numbers, restyled; carrying the
    content's profile over keeps their meaning (a Display P3 photo stays P3). A
    CMYK or grey profile does not describe RGB pixels, and is left out, as is an
    unreadable file: the profile is an extra, never a reason to fail.
    """
    try:
        with PIL.Image.open(path) as image:
            profile = image.info.get("icc_profile")
    except (OSError, ValueError, SyntaxError, PIL.Image.DecompressionBombError):
        return None
    # An ICC header's bytes 16-19 name the colour space of the data it describes.
    if not profile or len(profile) < 128 or profile[16:20] != b"RGB ":
        return None
    return bytes(profile)


def _decode(
    opened: PIL.Image.Image, path: Path, max_dim: int | None
) -> tuple[np.ndarray, tuple[int, int]]:
    """Check the size from the header, decode, orient.

    Returns:
        The pixels and the file's own (width, height) once oriented, which a
        reduced decode does not change.
    """
    width, height = opened.size
    by_tensorflow = _tutorial_decodes(opened)
    ratio = 1
    if width * height > MAX_PIXELS:
        ratio = reduction_ratio(width, height) if by_tensorflow and max_dim else 1
        if ratio == 1:
            raise ImageError(
                f"{path}: image is {width}x{height} px ({width * height / 1e6:.0f} "
                f"megapixels), more than the {MAX_PIXELS / 1e6:.0f} megapixels "
                f"tf_style decodes; {DOWNSCALE}."
            )
    check_plausible_size(opened, path)
    if by_tensorflow:
        orientation = exif_orientation(opened)  # a JPEG's EXIF: read on opening
        _check_complete(opened)
        pixels = _decode_as_the_tutorial(path, ratio)
        if ratio > 1:
            warnings.warn(
                ReducedDecodeWarning(
                    f"{path}: {width}x{height} px is more than the "
                    f"{MAX_PIXELS / 1e6:.0f} megapixels decoded in full; decoded at "
                    f"1/{ratio} size ({pixels.shape[1]}x{pixels.shape[0]} px) before "
                    "resizing, so its pixels differ slightly from a full decode's."
                ),
                stacklevel=4,
            )
        return orient(pixels, orientation), oriented_size(width, height, orientation)
    scale = integer_scale(opened)
    opened.load()  # decode everything now, so truncation is caught here
    orientation = exif_orientation(opened)  # a PNG's EXIF may follow its pixels
    image: PIL.Image.Image = opened
    if image.mode == "I" and scale == UINT32_MAX:
        image, scale = unsigned_32_bit(image), None
    try:
        pixels = to_rgb_array(image, integer_scale=scale)
    except ValueError as error:  # non-finite values in a float image
        raise ImageError(f"{path}: image holds {error}.") from None
    return orient(pixels, orientation), oriented_size(width, height, orientation)


def _tutorial_decodes(opened: PIL.Image.Image) -> bool:
    """True for RGB and grey JPEGs, which TensorFlow decodes as the tutorial does.

    Pillow's JPEG decoder gives other pixels (up to 5/255 apart); for lossless
    formats both give the file's exact values, and Pillow handles more of them
    (CMYK, transparency, 16-bit grey), so it decodes the rest.
    """
    if "transparency" in opened.info:
        return False
    return opened.format == "JPEG" and opened.mode in ("RGB", "L")


def _check_complete(opened: PIL.Image.Image) -> None:
    """Decode with Pillow too, only to refuse a truncated or corrupt JPEG.

    libjpeg, as TensorFlow runs it, pads a truncated file with grey and succeeds;
    Pillow raises. The check decodes at 1/8 size (JPEG's draft mode still reads
    every byte of the stream, so truncation shows), a few milliseconds.
    """
    width, height = opened.size
    opened.draft(None, (max(1, width // 8), max(1, height // 8)))
    opened.load()


def _decode_as_the_tutorial(path: Path, ratio: int) -> np.ndarray:
    """The tutorial's decode: ``decode_image(channels=3)``, ``convert_image_dtype``.

    Run after :func:`_check_complete`, so TensorFlow's own complaints about a
    corrupt file (written by libjpeg straight to stderr) do not arise.

    ``ratio`` > 1 decodes a JPEG reduced in libjpeg's DCT domain.
    """
    import tensorflow as tf

    data = tf.io.read_file(str(path))
    try:
        if ratio > 1:
            decoded = tf.io.decode_jpeg(data, channels=3, ratio=ratio)
        else:
            decoded = tf.io.decode_image(data, channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.DataLossError) as error:
        raise ImageError(
            f"{path}: not a readable image ({error.message.splitlines()[0]})."
        ) from None
    return tf.image.convert_image_dtype(decoded, tf.float32).numpy()


__all__ = [
    "DECODE_ERRORS",
    "DOWNSCALE",
    "MAX_PIXELS",
    "MIN_SIDE",
    "MOST_PIXELS_PER_BYTE",
    "ImageError",
    "ReducedDecodeWarning",
    "check_plausible_size",
    "check_readable_file",
    "integer_scale",
    "read_rgb",
    "reduction_ratio",
    "rgb_icc_profile",
    "to_rgb_array",
]
