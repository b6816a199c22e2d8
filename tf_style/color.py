"""Colour preservation: keep the photo's colours while taking the painting's style.

Gatys et al. (2016), "Preserving Color in Neural Artistic Style Transfer", give two
ways, both here:

* **luminance-only transfer**: stylise the luminance alone (the style's luminance
  matched in mean and spread to the content's first), then put the content's
  chrominance back, in YIQ (:func:`luminance_only`, :func:`recombine_luminance`);
* **colour histogram matching**: before the run, give the style image the content's
  colour statistics, mean and covariance of RGB (:func:`match_color`).

Images are float32 ``[1, H, W, 3]`` in [0, 1] throughout.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tf_style.images.tensors import clip_0_1, resize

# NTSC YIQ, as tf.image.rgb_to_yiq uses it; Y is the luminance.
PRESERVE_COLOR = ("none", "luminance", "histogram")
_EPSILON = 1e-5


def luminance(image: tf.Tensor) -> tf.Tensor:
    """The Y channel of YIQ, ``[1, H, W, 1]`` in [0, 1]."""
    return tf.image.rgb_to_yiq(image)[..., :1]


def gray_rgb(luma: tf.Tensor) -> tf.Tensor:
    """A luminance ``[1, H, W, 1]`` as a grey RGB image VGG19 can read."""
    return clip_0_1(tf.concat([luma] * 3, axis=-1))


def match_moments(source: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """``source`` shifted and scaled to ``target``'s mean and standard deviation."""
    mean_s, var_s = tf.nn.moments(source, axes=[0, 1, 2])
    mean_t, var_t = tf.nn.moments(target, axes=[0, 1, 2])
    scale = tf.sqrt(var_t + _EPSILON) / tf.sqrt(var_s + _EPSILON)
    return (source - mean_s) * scale + mean_t


def luminance_only(content: tf.Tensor, style: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The grey content and the grey style, matched to the content's luminance.

    Returns:
        ``(content, style)`` as grey RGB images: the pair the run stylises.
    """
    content_y = luminance(content)
    style_y = match_moments(luminance(style), content_y)
    return gray_rgb(content_y), gray_rgb(style_y)


def recombine_luminance(stylized: tf.Tensor, content: tf.Tensor) -> tf.Tensor:
    """The stylised luminance with the content's chrominance (I and Q), clipped."""
    if stylized.shape[1:3] != content.shape[1:3]:
        content = resize(content, stylized.shape[1:3])
    yiq = tf.concat(
        [luminance(stylized), tf.image.rgb_to_yiq(content)[..., 1:]], axis=-1
    )
    return clip_0_1(tf.image.yiq_to_rgb(yiq))


def match_color(source: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """``source`` with ``target``'s colour mean and covariance (an affine map of RGB).

    ``x' = A (x - mu_s) + mu_t`` with ``A = C_t^{1/2} C_s^{-1/2}`` (symmetric square
    roots), so the transformed pixels have exactly ``target``'s mean and covariance
    before clipping to [0, 1]. For ``--preserve-color histogram`` the source is the
    style image and the target the content image.
    """
    src = np.asarray(source, np.float64).reshape(-1, 3)
    tgt = np.asarray(target, np.float64).reshape(-1, 3)
    mean_s, mean_t = src.mean(axis=0), tgt.mean(axis=0)
    transform = _sqrt_matrix(np.cov(tgt, rowvar=False)) @ _sqrt_matrix(
        np.cov(src, rowvar=False), inverse=True
    )
    matched = (src - mean_s) @ transform.T + mean_t
    shaped = matched.reshape(tuple(source.shape)).astype(np.float32)
    return clip_0_1(tf.constant(shaped))


def _sqrt_matrix(covariance: np.ndarray, *, inverse: bool = False) -> np.ndarray:
    values, vectors = np.linalg.eigh(covariance + _EPSILON * np.eye(3))
    power = -0.5 if inverse else 0.5
    return (vectors * np.maximum(values, _EPSILON) ** power) @ vectors.T


def chrominance_distance(a: tf.Tensor, b: tf.Tensor) -> float:
    """Mean absolute difference of the I and Q channels: how far the colours moved."""
    if a.shape[1:3] != b.shape[1:3]:
        b = resize(b, a.shape[1:3])
    iq_a = tf.image.rgb_to_yiq(a)[..., 1:]
    iq_b = tf.image.rgb_to_yiq(b)[..., 1:]
    return float(tf.reduce_mean(tf.abs(iq_a - iq_b)))


__all__ = [
    "PRESERVE_COLOR",
    "chrominance_distance",
    "gray_rgb",
    "luminance",
    "luminance_only",
    "match_color",
    "recombine_luminance",
]
