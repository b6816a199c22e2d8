"""Decoding image files safely: any file Pillow reads, or an ImageError naming it.

Files come from users and from the internet, so decoding is defensive: the size is
checked from the header before a pixel is decoded (decompression bombs), large files
are decoded reduced, every decoder failure becomes an :class:`ImageError`, and the
result is float32 RGB in [0, 1] whatever the mode (grayscale, palette, CMYK,
transparency, 16- and 32-bit, float, EXIF-rotated). :mod:`.tensors` builds
``load_image`` on it.
"""

from __future__ import annotations

import math
import os
import stat
import struct
import warnings
from pathlib import Path

import numpy as np
import PIL.Image
import PIL.ImageOps

from tf_style.config import MIN_IMAGE_SIDE
from tf_style.images.orientation import exif_orientation, orient, oriented_size

MIN_SIDE = MIN_IMAGE_SIDE  # files; arrays need MIN_NETWORK_SIDE (see config.py)


class ImageError(ValueError):
    """An image file that cannot be used, with the file named in the message."""


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
        image, scale = _unsigned_32_bit(image), None
    try:
        pixels = to_rgb_array(image, integer_scale=scale)
    except ValueError as error:  # non-finite values in a float image
        raise ImageError(f"{path}: image holds {error}.") from None
    return orient(pixels, orientation), oriented_size(width, height, orientation)


def check_plausible_size(opened: PIL.Image.Image, path: Path) -> None:
    """Refuse a file whose header claims more pixels than its bytes can encode.

    A JPEG's or GIF's decoder pads missing data and succeeds, so a few hundred
    bytes claiming 12000x12000 px would be decoded (gigabytes) and stylised as
    grey. No such file is a picture: its coder cannot reach that ratio
    (:data:`MOST_PIXELS_PER_BYTE`). Other formats' decoders refuse a short file
    before a pixel is converted.

    Raises:
        ImageError: naming the size claimed, the file's size and the limit.
    """
    limit = MOST_PIXELS_PER_BYTE.get(opened.format or "")
    if limit is None:
        return
    width, height = opened.size
    size = path.stat().st_size
    if width * height > limit * size:
        raise ImageError(
            f"{path}: the header claims {width}x{height} px "
            f"({width * height / 1e6:.1f} megapixels), more than {size} bytes of "
            f"{opened.format} can hold (at most {limit} px a byte); the file is "
            "corrupt or a decompression bomb."
        )


# The most pixels one byte of each format can encode, twice the coder's ceiling so
# that no real picture comes near. JPEG's Huffman coding spends at least one bit on
# each 8x8 block (a flat grey image, optimised and progressive, takes 1/255 of a
# byte a pixel); GIF's LZW at most 4096 pixels in a 12-bit code (2731 a byte);
# PNG's deflate at most 1032:1, 8256 pixels a byte at 1 bit a pixel. An
# arithmetic-coded JPEG of one flat colour could pass the JPEG limit: none is seen.
MOST_PIXELS_PER_BYTE = {
    "JPEG": 1024,
    "MPO": 1024,  # cameras' multi-picture JPEGs
    "GIF": 5462,
    "PNG": 16512,
}


def _tutorial_decodes(opened: PIL.Image.Image) -> bool:
    """True for RGB and grey JPEGs, which TensorFlow decodes as the tutorial does.

    Pillow's JPEG decoder gives other pixels (up to 5/255 apart); for lossless
    formats both give the file's exact values, and Pillow handles more of them
    (CMYK, transparency, 16-bit grey), so it decodes the rest.
    """
    if "transparency" in opened.info:
        return False
    return opened.format == "JPEG" and opened.mode in ("RGB", "L")


def reduction_ratio(width: int, height: int) -> int:
    """The least JPEG reduction (2, 4 or 8) that brings a file under MAX_PIXELS,
    or 1 where none does (the caller then refuses the file)."""
    for ratio in (2, 4, 8):
        if math.ceil(width / ratio) * math.ceil(height / ratio) <= MAX_PIXELS:
            return ratio
    return 1  # the caller refuses it


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


def _unsigned_32_bit(image: PIL.Image.Image) -> PIL.Image.Image:
    """Unsigned 32-bit samples as an F image in [0, 1].

    Pillow keeps them in its signed mode I, where values past 2**31 - 1 wrap to
    negative numbers; the same bits read as uint32 undo that.
    """
    unsigned = np.asarray(image).view(np.uint32)
    return PIL.Image.fromarray(unsigned.astype(np.float32) / np.float32(UINT32_MAX))


# Pixels a file may have: 64 megapixels (8000x8000) is more than a camera's photo
# (a 61-megapixel one fits) and no style transfer here runs on more than a few
# megapixels (see preflight's memory check). Every file within it is decoded in
# full, as the tutorial does: at 64 megapixels the float32 copy (12 bytes a pixel)
# and TensorFlow's conversion peak near 2.3 GB. A JPEG past the limit still loads
# with max_dim, decoded reduced in the DCT domain (ReducedDecodeWarning).
# Pillow's own limit (89 megapixels) only warns; past twice that it refuses.
MAX_PIXELS = 64_000_000
DOWNSCALE = (
    "downscale the file first (style transfer runs at a few hundred to a few "
    "thousand pixels)"
)
UINT32_MAX = float(2**32 - 1)


def integer_scale(image: PIL.Image.Image) -> float | None:
    """The full-scale value of an integer grayscale image, from the file's bit depth.

    16-bit modes (``I;16*``) use 65535. Mode ``I`` (32-bit signed) holds 8- to 32-bit
    TIFFs: BitsPerSample (tag 258) and SampleFormat (tag 339, 2 for signed) give
    the full scale: 2**bits - 1, or 2**(bits - 1) - 1 signed (negative values are
    black). Other files in mode ``I`` carry no depth Pillow exposes: None, and
    :func:`to_rgb_array` reads it from the data. None for the other modes too.
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
    return None


def check_readable_file(path: Path) -> None:
    """Fail with the file's name when it cannot possibly be an image."""
    if not path.exists():
        raise ImageError(f"{path}: no such file.")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image file.")
    if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the open
        raise ImageError(
            f"{path}: is a FIFO, device or socket, not an image file; tf_style "
            "reads images from regular files only."
        )
    if not os.access(path, os.R_OK):
        raise ImageError(f"{path}: permission denied (the file cannot be read).")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: file is empty (0 bytes).")


def to_rgb_array(
    image: PIL.Image.Image, *, integer_scale: float | None = None
) -> np.ndarray:
    """Convert any Pillow mode to float32 RGB in [0, 1].

    Integer grayscale (``I;16``, ``I``) is divided by ``integer_scale`` (the file's
    full-scale value, see :func:`integer_scale`). When that is None: 65535 if every
    value fits in 16 bits, as in Pillow's mode-I PNGs and PGMs (Pillow rescales a
    PGM's maxval to 65535), else 2**31 - 1. Float grayscale (``F``) is taken as
    [0, 1], as TIFF and OpenEXR store it: HDR values above 1 are white. All are
    clipped to [0, 1].

    Raises:
        ValueError: a grayscale image holding NaN or infinity (its count said).
    """
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        gray = np.asarray(image, dtype=np.float32)
        with np.errstate(invalid="ignore"):  # a signalling NaN must not warn
            bad = int(gray.size - np.count_nonzero(np.isfinite(gray)))
        if bad:
            raise ValueError(f"{bad} non-finite values (NaN or infinity)")
        scale = 1.0 if image.mode == "F" else (integer_scale or _full_scale(gray))
        gray = np.clip(gray / np.float32(max(scale, 1.0)), 0.0, 1.0)
        return np.repeat(gray[..., np.newaxis], 3, axis=-1)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = PIL.Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = PIL.Image.alpha_composite(white, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    pixels = np.asarray(image, dtype=np.float32)
    pixels /= 255.0  # in place: the float32 copy is the largest array made here
    return pixels


def _full_scale(gray: np.ndarray) -> float:
    """The full-scale value of integer samples of unknown depth: 16 or 31 bits."""
    return 65535.0 if gray.size == 0 or gray.max() <= 65535 else float(2**31 - 1)


__all__ = [
    "MAX_PIXELS",
    "MOST_PIXELS_PER_BYTE",
    "ImageError",
    "ReducedDecodeWarning",
    "read_rgb",
    "to_rgb_array",
]
