"""load_image against the tutorial's load_img, written out as tensorflow.org has it.

The package promises that its defaults are the tutorial's, so that a teacher can put
its output beside the tutorial's: the same shape (the tutorial truncates) and the same
pixels (TensorFlow's decoder, ``convert_image_dtype``, plain bilinear), for every size
and aspect ratio, up- and downscaling, PNG and JPEG.
"""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tf_style.images import load_image
from tf_style.optimize.multiscale import scaled_size
from tf_style.shapes import scaled_shape, tutorial_shape

PIXEL_TOLERANCE = 1e-6


def tutorial_load_img(path_to_img, max_dim=512):
    """The tutorial's ``load_img``, cell for cell (``max_dim`` made an argument)."""
    img = tf.io.read_file(path_to_img)
    img = tf.image.decode_image(img, channels=3)
    img = tf.image.convert_image_dtype(img, tf.float32)

    shape = tf.cast(tf.shape(img)[:-1], tf.float32)
    long_dim = max(shape)
    scale = max_dim / long_dim

    new_shape = tf.cast(shape * scale, tf.int32)

    img = tf.image.resize(img, new_shape)
    img = img[tf.newaxis, :]
    return img


def tutorial_shape_in_tensorflow(height: int, width: int, max_dim: int):
    shape = tf.cast(tf.constant([height, width]), tf.float32)
    scale = max_dim / max(shape)
    return tuple(int(side) for side in tf.cast(shape * scale, tf.int32).numpy())


def photo_like(
    height: int, width: int, seed: int, mode: str = "RGB"
) -> PIL.Image.Image:
    """Smooth gradients with noise and an edge: JPEG's hard and easy parts at once."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:height, 0:width]
    base = np.stack(
        [
            128 + 100 * np.sin(rows / (3 + seed % 17)),
            128 + 100 * np.cos(columns / (5 + seed % 13)),
            (rows + columns) % 256,
        ],
        axis=-1,
    )
    base[: height // 3, : width // 2] = 240
    pixels = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    image = PIL.Image.fromarray(pixels)
    return image.convert("L") if mode == "L" else image


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    height=st.integers(32, 300),
    width=st.integers(32, 300),
    max_dim=st.integers(16, 400),
    suffix=st.sampled_from(["png", "jpg"]),
    mode=st.sampled_from(["RGB", "RGB", "L"]),
    seed=st.integers(0, 2**16),
)
def test_load_image_gives_the_tutorials_shape_and_pixels(
    tmp_path, height, width, max_dim, suffix, mode, seed
):
    path = tmp_path / f"photo_{height}x{width}_{seed}.{suffix}"
    photo_like(height, width, seed, mode).save(path, quality=int(60 + seed % 40))
    expected = tutorial_load_img(str(path), max_dim)
    image = load_image(path, max_dim)
    assert image.shape == expected.shape
    np.testing.assert_allclose(image, expected, rtol=0, atol=PIXEL_TOLERANCE)


def test_an_awkward_photo_is_one_row_shorter_as_in_the_tutorial(tmp_path):
    """The issue's example: 979 x 734 at 256 px is 256 x 191 (truncated), not 192."""
    path = tmp_path / "awkward.jpg"
    photo_like(734, 979, seed=3).save(path, quality=90)
    image = load_image(path, 256)
    assert image.shape == (1, 191, 256, 3)
    np.testing.assert_allclose(image, tutorial_load_img(str(path), 256), atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(
    height=st.integers(1, 20000),
    width=st.integers(1, 20000),
    max_dim=st.integers(1, 8192),
)
def test_tutorial_shape_is_tensorflows_float32_arithmetic(height, width, max_dim):
    expected = tutorial_shape_in_tensorflow(height, width, max_dim)
    assert tutorial_shape((height, width), max_dim) == tuple(
        max(side, 1) for side in expected
    )


@settings(max_examples=200, deadline=None)
@given(
    height=st.integers(16, 5000),
    width=st.integers(16, 5000),
    scale=st.floats(0.05, 1.0),
)
def test_coarse_scales_truncate_like_the_loader(height, width, scale):
    shape = tf.cast(tf.constant([height, width]), tf.float32)
    expected = tf.cast(shape * scale, tf.int32).numpy()
    assert scaled_shape((height, width), scale) == tuple(
        max(int(side), 1) for side in expected
    )
    assert scaled_size((height, width), 1.0) == (height, width)


@pytest.mark.parametrize("max_dim", [0, -5, 1.5, float("nan"), "256", True])
def test_load_image_refuses_a_max_dim_that_is_not_a_size(tmp_path, max_dim):
    path = tmp_path / "photo.png"
    photo_like(40, 40, seed=1).save(path)
    with pytest.raises(ValueError, match="max_dim must be"):
        load_image(path, max_dim)
