"""Each loss term against a hand computation on small tensors."""

import numpy as np
import pytest
import tensorflow as tf

from tf_style.losses import (
    content_loss,
    mean_squared_distance,
    style_content_loss,
    style_loss,
    total_variation_loss,
)


def test_style_loss_is_weighted_mean_over_layers_of_mse():
    outputs = {
        "a": tf.constant([[[1.0, 2.0], [3.0, 4.0]]]),
        "b": tf.constant([[[2.0]]]),
    }
    targets = {"a": tf.zeros([1, 2, 2]), "b": tf.constant([[[0.0]]])}
    # layer a: (1 + 4 + 9 + 16) / 4 = 7.5; layer b: 4; mean 5.75; times 0.01.
    assert float(style_loss(outputs, targets, 1e-2)) == pytest.approx(0.0575)


def test_content_loss_hand_computed():
    outputs = {"c": tf.constant([[[[1.0, 1.0]], [[1.0, 3.0]]]])}
    targets = {"c": tf.constant([[[[1.0, 1.0]], [[1.0, 1.0]]]])}
    # one differing value of 2 among four: 4 / 4 = 1; times 1e4.
    assert float(content_loss(outputs, targets, 1e4)) == pytest.approx(1e4)


def test_total_variation_of_a_checkerboard():
    """pystiche's check: a 2x2 checkerboard has four unit jumps per channel."""
    board = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    image = tf.constant(np.repeat(board[np.newaxis, ..., np.newaxis], 3, axis=-1))
    # per channel: 2 vertical + 2 horizontal jumps of 1 -> 4; three channels -> 12.
    assert float(total_variation_loss(image, 1.0)) == pytest.approx(12.0)
    assert float(total_variation_loss(image, 30.0)) == pytest.approx(360.0)


def test_style_content_loss_is_the_tutorials_sum():
    outputs = {
        "style": {"s": tf.ones([1, 2, 2])},
        "content": {"c": tf.ones([1, 1, 1, 2])},
    }
    total = style_content_loss(
        outputs,
        {"s": tf.zeros([1, 2, 2])},
        {"c": tf.zeros([1, 1, 1, 2])},
        style_weight=2.0,
        content_weight=3.0,
    )
    assert float(total) == pytest.approx(5.0)


def test_mismatched_layers_are_refused():
    with pytest.raises(ValueError, match="Outputs have layers"):
        mean_squared_distance({"a": tf.zeros([1])}, {"b": tf.zeros([1])})


def test_high_pass_deltas_sum_to_total_variation(rng):
    from tf_style.losses import high_pass_x_y

    image = tf.constant(rng.random((1, 5, 7, 3), dtype=np.float32))
    x_var, y_var = high_pass_x_y(image)
    assert x_var.shape == (1, 5, 6, 3) and y_var.shape == (1, 4, 7, 3)
    np.testing.assert_allclose(x_var[0, 2, 3], image[0, 2, 4] - image[0, 2, 3])
    by_hand = tf.reduce_sum(tf.abs(x_var)) + tf.reduce_sum(tf.abs(y_var))
    assert float(by_hand) == pytest.approx(float(tf.image.total_variation(image)[0]))


def test_every_term_table_follows_the_one_list_of_terms():
    from tf_style.evaluation.metrics import MEASURES
    from tf_style.evaluation.report import MEASURE_NAMES
    from tf_style.losses import LOSS_TERMS, OPTIONAL_TERMS, TERMS
    from tf_style.plotting import TERM_STYLES

    assert LOSS_TERMS == ("total", "style", "content", "variation")
    assert OPTIONAL_TERMS == ("temporal",)  # a video frame's
    assert [term.name for term in TERMS] == [*LOSS_TERMS, *OPTIONAL_TERMS]
    assert list(TERM_STYLES) == list(LOSS_TERMS)
    assert set(MEASURES) == set(MEASURE_NAMES) == set(LOSS_TERMS)
