"""Print-quality image files: 16-bit PNG and TIFF, with the content's ICC profile.

8 bits per channel leave visible banding in smooth gradients once a print is
colour-managed and enlarged; the optimised image is float32, so 16-bit files keep
what it holds. TensorFlow encodes 16-bit PNG; Pillow has no 48-bit RGB mode, so
16-bit TIFF is written here: a baseline, uncompressed, one-strip RGB file any
reader takes (Photoshop, GIMP, libtiff, tifffile). An ICC profile is carried in
PNG's ``iCCP`` chunk and TIFF's tag 34675, so the pixels keep the colours they had
in the content photo's colour space.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import tensorflow as tf

BIT_DEPTHS = (8, 16)


def quantize(image: np.ndarray, bit_depth: int) -> np.ndarray:
    """float ``[H, W, 3]`` in [0, 1] to ``uint8`` or ``uint16``, rounded, clipped."""
    if bit_depth not in BIT_DEPTHS:
        raise ValueError(f"bit depth must be 8 or 16, got {bit_depth}.")
    top = 2**bit_depth - 1
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    return np.clip(np.asarray(image, np.float32) * top + 0.5, 0, top).astype(dtype)


def png16(image: np.ndarray, icc_profile: bytes | None = None) -> bytes:
    """A 16-bit RGB PNG of ``image`` (float ``[H, W, 3]`` in [0, 1])."""
    data = tf.io.encode_png(quantize(image, 16)).numpy()
    return data if icc_profile is None else with_iccp(data, icc_profile)


def with_iccp(png: bytes, icc_profile: bytes) -> bytes:
    """``png`` with an ``iCCP`` chunk after its header (PNG 1.2, section 4.2.2.4)."""
    signature, header_end = png[:8], 8 + 8 + 13 + 4  # length, type, IHDR data, CRC
    if signature != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG file.")
    body = b"ICC profile\x00\x00" + zlib.compress(icc_profile)  # name, method 0
    return png[:header_end] + _chunk(b"iCCP", body) + png[header_end:]


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


# TIFF tags of a baseline RGB file (TIFF 6.0, section 8), and the ICC profile's.
_SHORT, _LONG, _UNDEFINED = 3, 4, 7


def tiff(image: np.ndarray, bit_depth: int = 16, icc_profile: bytes | None = None):
    """An uncompressed little-endian RGB TIFF of ``image`` (float ``[H, W, 3]``)."""
    pixels = quantize(image, bit_depth).astype(f"<u{bit_depth // 8}").tobytes()
    height, width = image.shape[:2]
    entries = 10 + (icc_profile is not None)
    ifd_size = 2 + 12 * entries + 4
    bits_offset = 8 + ifd_size  # three BitsPerSample values follow the IFD
    profile_offset = bits_offset + 6
    pixel_offset = profile_offset + len(icc_profile or b"")
    tags = [
        (256, _LONG, 1, width),  # ImageWidth
        (257, _LONG, 1, height),  # ImageLength
        (258, _SHORT, 3, bits_offset),  # BitsPerSample
        (259, _SHORT, 1, 1),  # Compression: none
        (262, _SHORT, 1, 2),  # PhotometricInterpretation: RGB
        (273, _LONG, 1, pixel_offset),  # StripOffsets
        (277, _SHORT, 1, 3),  # SamplesPerPixel
        (278, _LONG, 1, height),  # RowsPerStrip: one strip
        (279, _LONG, 1, len(pixels)),  # StripByteCounts
        (284, _SHORT, 1, 1),  # PlanarConfiguration: chunky
    ]
    if icc_profile is not None:
        tags.append((34675, _UNDEFINED, len(icc_profile), profile_offset))
    ifd = struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        packed = (
            struct.pack("<HH", value, 0)
            if kind == _SHORT and count == 1
            else struct.pack("<I", value)
        )
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)  # no further image
    header = b"II*\x00" + struct.pack("<I", 8)
    bits = struct.pack("<3H", bit_depth, bit_depth, bit_depth)
    return header + ifd + bits + (icc_profile or b"") + pixels


def read_tiff(data: bytes) -> tuple[np.ndarray, bytes | None]:
    """The pixels (``[H, W, 3]`` of the file's depth) and ICC profile of a file
    :func:`tiff` wrote; for checking, not a general TIFF reader."""
    if data[:4] != b"II*\x00":
        raise ValueError("not a little-endian TIFF file.")
    (offset,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, offset)
    tags = {}
    for index in range(count):
        tag, kind, number, value = struct.unpack_from(
            "<HHII", data, offset + 2 + 12 * index
        )
        if kind == _SHORT and number == 1:
            value &= 0xFFFF
        tags[tag] = (number, value)
    width, height = tags[256][1], tags[257][1]
    depth = struct.unpack_from("<H", data, tags[258][1])[0]
    start, length = tags[273][1], tags[279][1]
    pixels = np.frombuffer(data[start : start + length], f"<u{depth // 8}")
    profile = None
    if 34675 in tags:
        size, where = tags[34675]
        profile = data[where : where + size]
    return pixels.reshape(height, width, 3), profile


__all__ = ["BIT_DEPTHS", "png16", "quantize", "read_tiff", "tiff", "with_iccp"]
