"""Colour preservation: YIQ recombination and mean/covariance colour matching."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import random_image
from tf_style.color import (
    chrominance_distance,
    luminance,
    luminance_only,
    match_color,
    recombine_luminance,
)


def tinted(height: int, width: int, rgb: tuple[float, float, float], seed: int):
    """A random image pulled towards one colour."""
    return 0.5 * random_image(height, width, seed) + 0.5 * tf.constant(rgb)


def test_match_color_gives_the_targets_mean_and_covariance():
    source = 0.3 * tinted(40, 48, (0.9, 0.2, 0.1), seed=1) + 0.2
    target = 0.6 * tinted(36, 30, (0.1, 0.3, 0.8), seed=2)
    matched = np.asarray(match_color(source, target)).reshape(-1, 3)
    pixels = np.asarray(target).reshape(-1, 3)
    np.testing.assert_allclose(matched.mean(axis=0), pixels.mean(axis=0), atol=1e-3)
    np.testing.assert_allclose(
        np.cov(matched, rowvar=False), np.cov(pixels, rowvar=False), atol=1e-3
    )


def test_recombined_image_keeps_the_contents_chrominance_and_the_luminance():
    content = tinted(32, 40, (0.8, 0.4, 0.2), seed=3)
    stylized = tinted(32, 40, (0.1, 0.2, 0.9), seed=4)
    result = recombine_luminance(stylized, content)
    assert chrominance_distance(result, content) < 0.02
    assert chrominance_distance(stylized, content) > 0.1  # would fail without it
    np.testing.assert_allclose(
        luminance(result), luminance(stylized), atol=0.05
    )  # clipping may move a few pixels


def test_luminance_only_pair_is_grey_and_the_style_matches_the_contents_spread():
    content = tinted(32, 32, (0.8, 0.5, 0.2), seed=5)
    style = 0.2 * random_image(40, 40, seed=6) + 0.7
    grey_content, grey_style = luminance_only(content, style)
    for grey in (grey_content, grey_style):
        np.testing.assert_allclose(grey[..., 0], grey[..., 2], atol=1e-6)
    assert float(tf.reduce_mean(grey_style)) == pytest.approx(
        float(tf.reduce_mean(luminance(content))), abs=0.02
    )
