"""Gram sums ``F^T F`` by the tutorial's einsum, differentiated as one matrix product.

The tutorial writes the Gram matrix as ``tf.linalg.einsum("bijc,bijd->bcd", F, F)``.
Its value is kept as written. TensorFlow differentiates an einsum by einsums of the
upstream gradient with ``F``, which it lays out by transposing ``F``, a tensor the size
of the layer's activations. The gradient of ``G = F^T F`` is ``F (U + U^T)`` for the
upstream ``U``: one product over the locations, no transpose of ``F``. On a 2-core
Zen 5 EPYC (``avx512_bf16``) at 256 px, the five style layers' Gram gradients alone
took 25 ms as einsums and 7 ms as products; a whole evaluation of the bundled pair
(170 x 256 px), where other work overlaps them, became 1.09x faster in float32 and
1.06x in bfloat16 (``benchmarks/gram_gradient.py``,
``results/gram_gradient_256.json``). The gradients were equal bit for bit there;
tests/test_gram.py checks them against TensorFlow's to float32 rounding.
"""

from __future__ import annotations

import tensorflow as tf


def _product_gradient(features: tf.Tensor, upstream: tf.Tensor) -> tf.Tensor:
    """``F (U + U^T)`` with ``F`` ``[..., H, W, C]`` seen as ``[..., H*W, C]``."""
    shape = tf.shape(features)
    flat = tf.reshape(features, tf.concat([shape[:-3], [-1, shape[-1]]], axis=0))
    symmetric = upstream + tf.linalg.matrix_transpose(upstream)
    return tf.reshape(tf.linalg.matmul(flat, symmetric), shape)


@tf.autograph.experimental.do_not_convert  # AutoGraph would break the pair
@tf.custom_gradient
def gram_einsum(features: tf.Tensor):
    """``sum_ij F_ij F_ij^T`` of ``[B, H, W, C]`` features: ``[B, C, C]``, not
    normalised (the tutorial's einsum)."""
    total = tf.linalg.einsum("bijc,bijd->bcd", features, features)
    return total, lambda upstream: _product_gradient(features, upstream)


@tf.autograph.experimental.do_not_convert  # AutoGraph would break the pair
@tf.custom_gradient
def region_gram_einsum(guided: tf.Tensor):
    """The same for ``[B, R, H, W, C]`` guided features: ``[B, R, C, C]``."""
    total = tf.linalg.einsum("brijc,brijd->brcd", guided, guided)
    return total, lambda upstream: _product_gradient(guided, upstream)


__all__ = ["gram_einsum", "region_gram_einsum"]
