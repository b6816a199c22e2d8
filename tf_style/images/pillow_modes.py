"""Any Pillow mode as float32 RGB in [0, 1], the one form tf_style decodes to:
grayscale of any bit depth (8- to 32-bit integers, signed or not, and float),
palette, CMYK, and transparency composited on white (what a viewer shows, where
the tutorial drops the alpha channel). The bit depth comes from the file where it
says, from the data where it does not.
"""

from __future__ import annotations

import numpy as np
import PIL.Image

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


def unsigned_32_bit(image: PIL.Image.Image) -> PIL.Image.Image:
    """Unsigned 32-bit samples as an F image in [0, 1].

    Pillow keeps them in its signed mode I, where values past 2**31 - 1 wrap to
    negative numbers; the same bits read as uint32 undo that.
    """
    unsigned = np.asarray(image).view(np.uint32)
    return PIL.Image.fromarray(unsigned.astype(np.float32) / np.float32(UINT32_MAX))


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
