"""EXIF orientation applied to decoded pixels as Pillow's exif_transpose does."""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest

from tf_style.images.orientation import orient, oriented_size

T = PIL.Image.Transpose
PILLOW = {
    2: T.FLIP_LEFT_RIGHT,
    3: T.ROTATE_180,
    4: T.FLIP_TOP_BOTTOM,
    5: T.TRANSPOSE,
    6: T.ROTATE_270,
    7: T.TRANSVERSE,
    8: T.ROTATE_90,
}


@pytest.mark.parametrize("orientation", sorted(PILLOW))
def test_orient_matches_pillows_transposes(orientation):
    pixels = np.random.default_rng(orientation).integers(0, 255, (5, 7, 3), np.uint8)
    expected = np.asarray(PIL.Image.fromarray(pixels).transpose(PILLOW[orientation]))
    np.testing.assert_array_equal(orient(pixels, orientation), expected)
    assert oriented_size(7, 5, orientation)[::-1] == expected.shape[:2]


def test_orientation_one_keeps_the_pixels():
    pixels = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    np.testing.assert_array_equal(orient(pixels, 1), pixels)
