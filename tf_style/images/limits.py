"""What an image file may be: a readable regular file, at most :data:`MAX_PIXELS`,
with no more pixels than its bytes can encode (a decompression bomb), at least
:data:`MIN_SIDE` px a side. Files come from users and from the internet, so all but
the last are checked before a pixel is decoded, and each fails with an
:class:`ImageError` naming the file. The limits are shared with what is not a
file: arrays passed to the Python API, and a video's frames.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import PIL.Image

from tf_style.config import MIN_IMAGE_SIDE

MIN_SIDE = MIN_IMAGE_SIDE  # files; arrays need MIN_NETWORK_SIDE (see config.py)


class ImageError(ValueError):
    """An image file that cannot be used, with the file named in the message."""


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


def reduction_ratio(width: int, height: int) -> int:
    """The least JPEG reduction (2, 4 or 8) that brings a file under MAX_PIXELS,
    or 1 where none does (the caller then refuses the file)."""
    for ratio in (2, 4, 8):
        if math.ceil(width / ratio) * math.ceil(height / ratio) <= MAX_PIXELS:
            return ratio
    return 1  # the caller refuses it
