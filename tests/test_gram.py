"""The Gram einsums' product gradient equals TensorFlow's own gradient of the einsum."""

import numpy as np
import pytest
import tensorflow as tf

from tf_style.vgg.gram import gram_einsum, region_gram_einsum


def autodiff_gradient(equation: str, features: tf.Tensor, weights: tf.Tensor):
    """The value and gradient of ``sum(weights * einsum(F, F))``, as TensorFlow
    differentiates the plain einsum."""
    with tf.GradientTape() as tape:
        tape.watch(features)
        total = tf.reduce_sum(weights * tf.linalg.einsum(equation, features, features))
    return total, tape.gradient(total, features)


def product_gradient(gram, features: tf.Tensor, weights: tf.Tensor):
    with tf.GradientTape() as tape:
        tape.watch(features)
        total = tf.reduce_sum(weights * gram(features))
    return total, tape.gradient(total, features)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "tf.function"])
def test_gram_gradient_is_the_einsums(rng, compiled):
    features = tf.constant(rng.normal(size=(2, 5, 7, 4)), tf.float32)
    # Not symmetric, so a gradient that forgot the transpose would differ.
    weights = tf.constant(rng.normal(size=(2, 4, 4)), tf.float32)
    ours = (tf.function(product_gradient) if compiled else product_gradient)(
        gram_einsum, features, weights
    )
    expected = autodiff_gradient("bijc,bijd->bcd", features, weights)
    np.testing.assert_allclose(ours[0], expected[0], rtol=1e-5)
    np.testing.assert_allclose(ours[1], expected[1], rtol=1e-5, atol=1e-5)


def test_region_gram_gradient_is_the_einsums(rng):
    guided = tf.constant(rng.normal(size=(1, 3, 4, 6, 5)), tf.float32)
    weights = tf.constant(rng.normal(size=(1, 3, 5, 5)), tf.float32)
    ours = product_gradient(region_gram_einsum, guided, weights)
    expected = autodiff_gradient("brijc,brijd->brcd", guided, weights)
    np.testing.assert_allclose(ours[0], expected[0], rtol=1e-5)
    np.testing.assert_allclose(ours[1], expected[1], rtol=1e-5, atol=1e-5)


def test_gram_gradient_with_unknown_sizes(rng):
    """A function traced once for any image size (as the tiles' are) still works."""
    spec = tf.TensorSpec([None, None, None, 3], tf.float32)
    gradient = tf.function(
        lambda f: tf.gradients(tf.reduce_sum(gram_einsum(f) ** 2), f)[0],
        input_signature=[spec],
    )
    for shape in [(1, 4, 5, 3), (2, 3, 2, 3)]:
        features = tf.constant(rng.normal(size=shape), tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(features)
            gram = tf.linalg.einsum("bijc,bijd->bcd", features, features)
            total = tf.reduce_sum(gram**2)
        expected = tape.gradient(total, features)
        np.testing.assert_allclose(gradient(features), expected, rtol=1e-4, atol=1e-4)
