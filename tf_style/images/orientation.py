"""EXIF orientation: how a photo is shown, which the file's pixels do not say.

A phone stores a portrait photo landscape with an EXIF tag saying to turn it; the
tutorial ignores the tag (the photo comes out on its side), tf_style applies it.
Read from the header (a JPEG's EXIF comes with its header; a PNG's may follow its
pixels), applied to decoded pixels with NumPy.
"""

from __future__ import annotations

import numpy as np
import PIL.Image

EXIF_ORIENTATION = 0x0112
QUARTER_TURNS = frozenset((5, 6, 7, 8))


def exif_orientation(opened: PIL.Image.Image) -> int:
    """The EXIF orientation tag (1 to 8), 1 where there is none or it is corrupt."""
    try:
        value = opened.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - corrupt EXIF: shown as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """``[H, W, C]`` pixels turned upright as EXIF ``orientation`` says.

    The same transposes as ``PIL.ImageOps.exif_transpose`` (tested against it).
    """
    if orientation in (5, 6, 7, 8):
        pixels = np.rot90(pixels, k=-1 if orientation in (5, 6) else 1)
        orientation = {5: 2, 6: 1, 7: 2, 8: 1}[orientation]
    if orientation in (2, 3):
        pixels = pixels[:, ::-1]
    if orientation in (3, 4):
        pixels = pixels[::-1]
    return np.ascontiguousarray(pixels)


def oriented_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """(width, height) as shown: swapped by a quarter turn."""
    return (height, width) if orientation in QUARTER_TURNS else (width, height)


__all__ = [
    "EXIF_ORIENTATION",
    "QUARTER_TURNS",
    "exif_orientation",
    "orient",
    "oriented_size",
]
