"""Property-based tests of image loading: any file loads or raises ImageError.

Files: random bytes (bare, or behind a format's signature so a decoder gets them);
mutations (bit flips, insertions, deletions, truncations, overwrites with boundary
values, duplicated chunks, splices of two files) of small valid PNG, JPEG, TIFF, GIF,
BMP and WebP files made here in the modes users have (palette with transparency,
16-bit, 32-bit integer, float, EXIF-rotated); and valid files whose header claims
another size, up to the formats' limits, which is how decompression bombs are made.
Each gives float32 ``[1, H, W, 3]``, finite, in [0, 1], or the package's ImageError;
never another exception and never a warning (pytest turns warnings into errors).

Arrays: NumPy arrays, tensors and nested lists of random dtypes, shapes and values
for ``as_batch``, checked against an independent statement of what is an image.

Quick in CI; ``-m fuzz`` runs the same properties long (TF_STYLE_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import io
import re
import struct
import tempfile
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
import PIL.features
import PIL.Image
import PIL.ImageFile
import pytest
import tensorflow as tf
from hypothesis import assume, currently_in_test_context, event, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.conftest import FUZZ_SETTINGS
from tf_style.config import MIN_IMAGE_SIDE, MIN_NETWORK_SIDE
from tf_style.images import RANGE_TOLERANCE, ImageError, as_batch, load_image
from tf_style.images.decode import MOST_PIXELS_PER_BYTE, ReducedDecodeWarning

WIDTH, HEIGHT = 48, 40  # above MIN_IMAGE_SIDE, so every seed file loads


def _gradient(mode: str) -> PIL.Image.Image:
    """A smooth picture (small files, so mutations often land in the headers)."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    ramp = (x * 5 + y * 3) % 256
    if mode == "RGB":
        return PIL.Image.fromarray(np.stack([ramp, 255 - ramp, x * 5], -1).astype("u1"))
    if mode == "I;16":
        return PIL.Image.fromarray((ramp * 257).astype(np.uint16))
    if mode == "I":
        return PIL.Image.fromarray((ramp * 8_000_000).astype(np.int32))
    if mode == "F":
        return PIL.Image.fromarray((ramp / 255).astype(np.float32))
    if mode == "P":
        image = _gradient("RGB").convert("P")
        image.info["transparency"] = 0
        return image
    raise ValueError(mode)


def _encoded(image: PIL.Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _rotated_jpeg() -> bytes:
    image = _gradient("RGB")
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    return _encoded(image, "JPEG", exif=exif, quality=80)


# name -> (suffix, bytes): the files the mutations start from.
SEEDS = {
    "png": ("png", _encoded(_gradient("RGB"), "PNG")),
    "png-palette-alpha": ("png", _encoded(_gradient("P"), "PNG", transparency=0)),
    "png-16-bit": ("png", _encoded(_gradient("I;16"), "PNG")),
    "jpg": ("jpg", _encoded(_gradient("RGB"), "JPEG", quality=80)),
    "jpg-exif-rotated": ("jpg", _rotated_jpeg()),
    "tif": ("tif", _encoded(_gradient("RGB"), "TIFF", compression="tiff_deflate")),
    "tif-16-bit": ("tif", _encoded(_gradient("I;16"), "TIFF")),
    "tif-32-bit": ("tif", _encoded(_gradient("I"), "TIFF")),
    "tif-float": ("tif", _encoded(_gradient("F"), "TIFF")),
    "gif": ("gif", _encoded(_gradient("RGB").convert("P"), "GIF")),
    "bmp": ("bmp", _encoded(_gradient("RGB"), "BMP")),
}
if PIL.features.check("webp"):
    SEEDS["webp"] = ("webp", _encoded(_gradient("RGB"), "WEBP", quality=80))

SIGNATURES = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpg": b"\xff\xd8\xff",
    "tif": b"II*\x00",
    "gif": b"GIF89a",
    "bmp": b"BM",
    "webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
}


def loads_or_refuses(data: bytes, suffix: str, max_dim: int | None) -> None:
    """The property: float32 [1, H, W, 3] finite in [0, 1], or ImageError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"image.{suffix}"
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():
                # Documented: a JPEG past the pixel limit is decoded reduced.
                warnings.simplefilter("ignore", ReducedDecodeWarning)
                image = load_image(path, max_dim)
        except ImageError as error:
            _note(f"refused: {_reason(error, path)}")
            return
    _note("loaded")
    array = np.asarray(image)
    assert array.dtype == np.float32 and array.ndim == 4 and array.shape[-1] == 3
    assert array.shape[0] == 1 and min(array.shape[1:3]) >= 1
    if max_dim is None:
        assert min(array.shape[1:3]) >= MIN_IMAGE_SIDE
    else:
        # The tutorial's float32 truncation can give max_dim - 1 (79 px at 48: 47).
        assert max(array.shape[1:3]) in (max_dim - 1, max_dim)
    assert np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1


def _note(outcome: str) -> None:
    """Count outcomes for --hypothesis-show-statistics (regression tests call too)."""
    if currently_in_test_context():
        event(outcome)


def _reason(error: ImageError, path: Path) -> str:
    """The kind of refusal, for --hypothesis-show-statistics: no path, no numbers."""
    reason = str(error).replace(str(path), "").lstrip(": ")
    return re.sub(r"\d+", "N", reason)[:72]


# Values that sit on the edges of header fields: sizes, counts and offsets.
BOUNDARY_BYTES = [
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\x00\x00\xff\xff",
    b"\xff\xff\x00\x00",
    b"\x00\x01\x00\x00",
    b"\x00\x00\x01\x00",
]


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Apply edits (kind, position, value) in turn, as a mutation fuzzer does."""
    buffer = bytearray(data)
    seeds = [seed for _, seed in SEEDS.values()]
    for kind, position, value in edits:
        if not buffer:
            break
        where = position % len(buffer)
        if kind == 0:  # flip bits
            buffer[where] ^= value or 1
        elif kind == 1:  # insert a byte
            buffer.insert(where, value)
        elif kind == 2:  # delete a byte
            del buffer[where]
        elif kind == 3:  # truncate
            del buffer[where:]
        elif kind == 4:  # overwrite with a boundary value
            pattern = BOUNDARY_BYTES[value % len(BOUNDARY_BYTES)]
            buffer[where : where + len(pattern)] = pattern
        elif kind == 5:  # duplicate a chunk elsewhere
            start = (value * 97) % len(buffer)
            buffer[where:where] = buffer[start : start + 1 + value % 64]
        else:  # splice: this file's head, another file's tail
            other = seeds[value % len(seeds)]
            buffer[where:] = other[where:]
    return bytes(buffer)


# --- headers that claim another size ----------------------------------------------


def _png_sized(width: int, height: int) -> bytes:
    data = bytearray(SEEDS["png"][1])
    struct.pack_into(">II", data, 16, width, height)  # IHDR, then its CRC
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _jpeg_sized(width: int, height: int) -> bytes:
    data = bytearray(SEEDS["jpg"][1])
    frame = data.index(b"\xff\xc0")  # baseline start-of-frame: precision, H, W
    struct.pack_into(">HH", data, frame + 5, height % 65536, width % 65536)
    return bytes(data)


def _gif_sized(width: int, height: int) -> bytes:
    data = bytearray(SEEDS["gif"][1])
    struct.pack_into("<HH", data, 6, width % 65536, height % 65536)  # the screen
    return bytes(data)


def _bmp_sized(width: int, height: int) -> bytes:
    data = bytearray(SEEDS["bmp"][1])
    struct.pack_into("<ii", data, 18, width, -height if width % 2 else height)
    return bytes(data)


def _tiff_sized(width: int, height: int) -> bytes:
    data = bytearray(SEEDS["tif"][1])
    directory = struct.unpack_from("<I", data, 4)[0]
    count = struct.unpack_from("<H", data, directory)[0]
    for entry in range(directory + 2, directory + 2 + 12 * count, 12):
        tag = struct.unpack_from("<H", data, entry)[0]
        if tag in (256, 257):  # ImageWidth, ImageLength: one LONG in place
            value = width if tag == 256 else height
            struct.pack_into("<HHII", data, entry, tag, 4, 1, value)
    return bytes(data)


SIZED: dict[str, tuple[str, Callable[[int, int], bytes]]] = {
    "png": ("png", _png_sized),
    "jpg": ("jpg", _jpeg_sized),
    "gif": ("gif", _gif_sized),
    "bmp": ("bmp", _bmp_sized),
    "tif": ("tif", _tiff_sized),
}


# --- strategies -------------------------------------------------------------------

edits = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 2**16), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)
seed_names = st.sampled_from(sorted(SEEDS))
sizes = st.sampled_from([None, 48])
signed_bytes = st.tuples(
    st.sampled_from(sorted(SIGNATURES)), st.binary(max_size=512)
).map(lambda pair: (pair[0], SIGNATURES[pair[0]] + pair[1]))
# Sides around the limits that matter: the minimum side, the reduction threshold
# (16 megapixels), the pixel limit, Pillow's two limits and the formats' maxima.
sides = st.one_of(
    st.integers(0, 2**16 - 1),
    st.sampled_from([1, 31, 32, 4000, 4096, 6000, 8000, 9000, 12000, 2**16 - 1]),
    st.integers(0, 2**31 - 1),
)

DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    np.uint8,
    np.uint16,
    np.int8,
    np.int32,
    np.int64,
    np.bool_,
    np.complex64,
]
side = st.integers(0, 40)
image_shapes = st.one_of(
    st.tuples(side, side, st.sampled_from([3, 1, 4])),
    st.tuples(st.sampled_from([1, 1, 2]), side, side, st.sampled_from([3, 3, 4])),
)
any_shapes = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=6)


@st.composite
def image_arrays(draw) -> np.ndarray:
    """Arrays of any listed dtype, shaped like images or not, in or out of range."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(st.one_of(image_shapes, any_shapes))
    if dtype.kind == "f" and draw(st.booleans()):
        # Around [0, 1]: straddles RANGE_TOLERANCE at both ends (exact in float16).
        width = 8 * dtype.itemsize
        elements = st.floats(-(2**-13), 1 + 2**-10, width=width)
    else:
        elements = hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True)
    return draw(hnp.arrays(dtype, shape, elements=elements))


def _bfloat16(array: np.ndarray) -> object:
    """The array as a bfloat16 tensor, if it is a float one (else unchanged)."""
    if array.dtype.kind != "f":
        return array
    with np.errstate(over="ignore"):  # float64 beyond float32: infinity, refused
        return tf.cast(tf.constant(array.astype(np.float32)), tf.bfloat16)


CONTAINERS: dict[str, Callable[[np.ndarray], object]] = {
    "ndarray": lambda array: array,
    "tensor": tf.constant,
    "list": lambda array: array.tolist(),
    "bfloat16": _bfloat16,
}
containers = st.sampled_from(sorted(CONTAINERS))
# Formats whose headers are checked against their bytes (and the name Pillow gives
# each): JPEG and GIF decoders pad a short file; deflate has a ceiling too.
PADDED = {"jpg": "JPEG", "gif": "GIF", "png": "PNG"}


def is_image(seen: np.ndarray) -> bool | None:
    """What ``as_batch`` must accept, stated apart from it; None: either is fine.

    Values within 1% of the tolerance either side of it may go either way: the
    implementation compares in the array's own precision.
    """
    if seen.dtype == np.uint8:
        values = seen.astype(np.float64) / 255
    elif seen.dtype.kind == "f" or seen.dtype.name == "bfloat16":
        values = seen.astype(np.float64)
    else:
        return False
    shape = seen.shape if seen.ndim == 4 else (1, *seen.shape)
    if len(shape) != 4 or shape[0] != 1 or shape[-1] != 3:
        return False
    if min(shape[1:3]) < MIN_NETWORK_SIDE or not np.isfinite(values).all():
        return False
    low, high = values.min(), values.max()
    if low < -1.01 * RANGE_TOLERANCE or high > 1 + 1.01 * RANGE_TOLERANCE:
        return False
    if low >= -0.99 * RANGE_TOLERANCE and high <= 1 + 0.99 * RANGE_TOLERANCE:
        return True
    return None


def batch_or_refuses(array: np.ndarray, container: str) -> None:
    """The property: the image's own values as float32 [1, H, W, 3], or an error."""
    passed = CONTAINERS[container](array)
    try:
        seen = np.asarray(passed)
    except ValueError:  # a 0-d bfloat16 tensor will not convert
        seen, expected = None, False
    else:
        expected = is_image(seen)
    try:
        batch = as_batch(passed, "image")
    except (TypeError, ValueError):
        assert expected is not True, f"refused an image: {seen.dtype} {seen.shape}"
        return
    assert expected is not False, f"accepted a non-image: {passed!r}"
    assert batch.dtype == tf.float32 and batch.shape[0] == 1 and batch.shape[-1] == 3
    values = seen.astype(np.float64) / (255 if seen.dtype == np.uint8 else 1)
    np.testing.assert_allclose(
        np.asarray(batch), np.clip(values, 0, 1).reshape(batch.shape), atol=1e-6
    )


# --- quick, in CI -----------------------------------------------------------------


@given(st.binary(max_size=256), st.sampled_from(sorted(SIGNATURES)))
def test_random_bytes(data, suffix):
    loads_or_refuses(data, suffix, 48)


@given(signed_bytes)
def test_random_bytes_behind_a_signature(suffix_and_data):
    suffix, data = suffix_and_data
    loads_or_refuses(data, suffix, 48)


@given(seed_names, edits, sizes)
def test_mutations_of_valid_files(name, changes, max_dim):
    suffix, data = SEEDS[name]
    loads_or_refuses(mutate(data, changes), suffix, max_dim)


@given(st.sampled_from(sorted(SIZED)), sides, sides)
def test_headers_claiming_another_size(name, width, height):
    # Reduced only: a JPEG padded to 64 megapixels at full size takes seconds.
    suffix, sized = SIZED[name]
    loads_or_refuses(sized(width, height), suffix, 48)


@given(st.sampled_from(sorted(PADDED)), sides, sides)
def test_headers_claiming_more_than_their_bytes_hold_are_refused_undecoded(
    name, width, height
):
    """A JPEG's or GIF's decoder pads what is missing: the header alone decides."""
    suffix, sized = SIZED[name]
    data = sized(width, height)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(io.BytesIO(data)) as image:
                claimed = image.size[0] * image.size[1]
    except (PIL.Image.DecompressionBombError, PIL.UnidentifiedImageError):
        claimed = 0  # refused on opening, as other tests check
    assume(claimed > MOST_PIXELS_PER_BYTE[PADDED[name]] * len(data))
    with (
        mock.patch.object(PIL.ImageFile.ImageFile, "load") as load,
        mock.patch.object(tf.io, "decode_jpeg") as decode_jpeg,
        mock.patch.object(tf.io, "decode_image") as decode_image,
    ):
        with pytest.raises(ImageError, match="claims|megapixels"):
            loads_or_refuses_raising(data, suffix, 48)
    assert not (load.called or decode_jpeg.called or decode_image.called)


def loads_or_refuses_raising(data: bytes, suffix: str, max_dim: int | None) -> None:
    """``load_image`` on ``data`` written to a file, its ImageError raised."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"image.{suffix}"
        path.write_bytes(data)
        load_image(path, max_dim)


@given(image_arrays(), containers)
def test_random_arrays(array, container):
    batch_or_refuses(array, container)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_the_seed_files_load(name):
    suffix, data = SEEDS[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"seed.{suffix}"
        path.write_bytes(data)
        image = load_image(path, 48)
    rotated = name == "jpg-exif-rotated"
    assert image.shape == ((1, 48, 40, 3) if rotated else (1, 40, 48, 3))
    assert float(np.ptp(image)) > 0.5  # the gradient, not a flat or white image


@pytest.mark.parametrize("name", sorted(SIZED))
def test_the_size_patchers_write_the_size(name):
    suffix, sized = SIZED[name]
    with PIL.Image.open(io.BytesIO(sized(300, 200))) as image:
        assert image.size == (300, 200)


# --- long, with -m fuzz -------------------------------------------------------------


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.binary(max_size=2048), st.sampled_from(sorted(SIGNATURES)))
def test_random_bytes_long(data, suffix):
    loads_or_refuses(data, suffix, 48)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(signed_bytes)
def test_random_bytes_behind_a_signature_long(suffix_and_data):
    suffix, data = suffix_and_data
    loads_or_refuses(data, suffix, 48)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(seed_names, edits, sizes)
def test_mutations_of_valid_files_long(name, changes, max_dim):
    suffix, data = SEEDS[name]
    loads_or_refuses(mutate(data, changes), suffix, max_dim)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.sampled_from(sorted(SIZED)), sides, sides, sizes)
def test_headers_claiming_another_size_long(name, width, height, max_dim):
    suffix, sized = SIZED[name]
    loads_or_refuses(sized(width, height), suffix, max_dim)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(image_arrays(), containers)
def test_random_arrays_long(array, container):
    batch_or_refuses(array, container)


# --- what the fuzzer found, kept as regression tests --------------------------------


def test_found_a_float64_beyond_float32s_range_is_refused_without_a_warning():
    with pytest.raises(ValueError, match="values from"):
        as_batch(np.full((20, 20, 3), 3.4028236e38, np.float64))


def test_found_a_tiff_with_corrupt_exif_loads_quietly():
    loads_or_refuses(mutate(SEEDS["tif"][1], [(1, 2, 0)]), "tif", None)
