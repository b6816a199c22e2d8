"""Property-based tests of image loading: any file loads or raises ImageError.

Random bytes and mutations (flips, insertions, deletions, truncations) of small valid
PNG, JPEG, TIFF and GIF files made here; and random arrays for ``as_batch``. Each
input gives a valid image or the package's own error; never another exception.
Quick in CI; ``-m fuzz`` runs the same properties long (TF_STYLE_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import PIL.Image
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.conftest import FUZZ_SETTINGS
from tf_style.images import ImageError, as_batch, load_image


def _encoded(image_format: str, **options) -> bytes:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (40, 48, 3), np.uint8)
    buffer = io.BytesIO()
    image = PIL.Image.fromarray(pixels)
    if image_format == "GIF":
        image = image.convert("P")
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


SEEDS = {
    "png": _encoded("PNG"),
    "jpg": _encoded("JPEG", quality=80),
    "tif": _encoded("TIFF", compression="tiff_deflate"),
    "gif": _encoded("GIF"),
}


def loads_or_refuses(data: bytes, suffix: str, max_dim: int | None) -> None:
    """The property: float32 [1, H, W, 3] finite in [0, 1], or ImageError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"image.{suffix}"
        path.write_bytes(data)
        try:
            image = load_image(path, max_dim)
        except ImageError:
            return
    array = np.asarray(image)
    assert array.dtype == np.float32 and array.ndim == 4 and array.shape[-1] == 3
    assert array.shape[0] == 1 and min(array.shape[1:3]) >= 1
    assert np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, position, value in edits:
        if not buffer:
            break
        where = position % len(buffer)
        if kind == 0:
            buffer[where] ^= value or 1
        elif kind == 1:
            buffer.insert(where, value)
        elif kind == 2:
            del buffer[where]
        else:
            del buffer[where:]
    return bytes(buffer)


edits = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2**16), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)
formats = st.sampled_from(sorted(SEEDS))
sizes = st.sampled_from([None, 48])
arrays = hnp.arrays(
    dtype=st.sampled_from(
        [np.float32, np.float64, np.float16, np.uint8, np.int32, np.bool_]
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=40),
    elements={"allow_nan": True, "allow_infinity": True},
)


def batch_or_refuses(array: np.ndarray) -> None:
    try:
        batch = as_batch(array, "image")
    except (TypeError, ValueError):
        return
    assert batch.dtype == "float32" and batch.shape[0] == 1 and batch.shape[-1] == 3
    values = np.asarray(batch)
    assert np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1


# --- quick, in CI -----------------------------------------------------------------


@given(st.binary(max_size=256), formats)
def test_random_bytes(data, suffix):
    loads_or_refuses(data, suffix, 48)


@given(formats, edits, sizes)
def test_mutations_of_valid_files(suffix, changes, max_dim):
    loads_or_refuses(mutate(SEEDS[suffix], changes), suffix, max_dim)


@given(arrays)
def test_random_arrays(array):
    batch_or_refuses(array)


def test_the_seed_files_load():
    for suffix, data in SEEDS.items():
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"seed.{suffix}"
            path.write_bytes(data)
            assert load_image(path, 48).shape == (1, 40, 48, 3)


# --- long, with -m fuzz -------------------------------------------------------------


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(st.binary(max_size=2048), formats)
def test_random_bytes_long(data, suffix):
    loads_or_refuses(data, suffix, 48)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(formats, edits, sizes)
def test_mutations_of_valid_files_long(suffix, changes, max_dim):
    loads_or_refuses(mutate(SEEDS[suffix], changes), suffix, max_dim)


@pytest.mark.fuzz
@FUZZ_SETTINGS
@given(arrays)
def test_random_arrays_long(array):
    batch_or_refuses(array)


# --- what the fuzzer found, kept as regression tests --------------------------------


def test_found_a_float64_beyond_float32s_range_is_refused_without_a_warning():
    with pytest.raises(ValueError, match="values from"):
        as_batch(np.full((20, 20, 3), 3.4028236e38, np.float64))


def test_found_a_tiff_with_corrupt_exif_loads_quietly():
    loads_or_refuses(mutate(SEEDS["tif"], [(1, 2, 0)]), "tif", None)
