"""The quality measures against hand computations on tiny images."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import TINY, random_image, replace
from tf_style.evaluation.metrics import QualityMeasures, QualityScores, score_image
from tf_style.vgg.model import StyleContentModel

# One shallow layer each, so the hand computation below stays a few lines.
SMALL = replace(
    TINY,
    style_layers=("block1_conv1",),
    content_layers=("block1_conv2",),
    style_weight=0.5,
    content_weight=2.0,
    total_variation_weight=3.0,
)


@pytest.fixture(scope="module")
def small_extractor(random_vgg):
    return StyleContentModel(SMALL.style_layers, SMALL.content_layers, vgg=random_vgg)


@pytest.fixture(scope="module")
def measures(small_extractor):
    return QualityMeasures(
        random_image(32, 40, seed=1),
        random_image(48, 36, seed=2),
        SMALL,
        extractor=small_extractor,
    )


def features(vgg: keras.Model, layer: str, image: tf.Tensor) -> np.ndarray:
    """VGG19 activations as the tutorial computes them: x255, caffe preprocessing."""
    cut = keras.Model(vgg.input, vgg.get_layer(layer).output)
    preprocessed = keras.applications.vgg19.preprocess_input(image * 255.0)
    return cut(preprocessed).numpy()[0]


def hand_gram(activations: np.ndarray) -> np.ndarray:
    """sum over locations of F_c * F_d, divided by the number of locations."""
    height, width, channels = activations.shape
    flat = activations.reshape(height * width, channels).astype(np.float64)
    return flat.T @ flat / (height * width)


def test_the_content_image_has_zero_content_distance_to_itself(measures):
    content = random_image(32, 40, seed=1)
    scores = measures(content)
    assert scores.content == pytest.approx(0.0, abs=1e-9)
    assert scores.style > 0 and scores.variation > 0


def test_style_distance_matches_a_hand_computed_gram_loss(measures, random_vgg):
    image = random_image(32, 40, seed=3)
    style = random_image(48, 36, seed=2)
    gram_image = hand_gram(features(random_vgg, "block1_conv1", image))
    gram_style = hand_gram(features(random_vgg, "block1_conv1", style))
    expected = 0.5 * np.mean((gram_image - gram_style) ** 2)
    assert measures(image).style == pytest.approx(expected, rel=1e-3)


def test_content_distance_matches_a_hand_computed_feature_loss(measures, random_vgg):
    image = random_image(32, 40, seed=3)
    content = random_image(32, 40, seed=1)
    difference = features(random_vgg, "block1_conv2", image) - features(
        random_vgg, "block1_conv2", content
    )
    expected = 2.0 * np.mean(difference.astype(np.float64) ** 2)
    assert measures(image).content == pytest.approx(expected, rel=1e-4)


def test_variation_is_weighted_sum_of_neighbour_differences(measures):
    # A vertical stripe pattern: every horizontal neighbour pair differs by 1,
    # vertical pairs not at all. 32 rows x 39 pairs x 3 channels = 3744; times 3.
    stripes = np.zeros((1, 32, 40, 3), np.float32)
    stripes[:, :, ::2, :] = 1.0
    assert measures(tf.constant(stripes)).variation == pytest.approx(3.0 * 3744)


def test_total_is_the_sum_of_the_terms(measures):
    scores = measures(random_image(32, 40, seed=4))
    expected = scores.style + scores.content + scores.variation
    assert scores.total == pytest.approx(expected, rel=1e-6)
    assert set(scores.to_dict()) == {"style", "content", "variation", "total"}


def test_an_image_of_another_size_is_resized_to_the_content(measures):
    image = random_image(64, 80, seed=5)
    resized = tf.image.resize(image, (32, 40))
    assert measures(image) == measures(resized)


def test_score_image_equals_the_measures_object(measures, small_extractor):
    image = random_image(32, 40, seed=6)
    once = score_image(
        image,
        random_image(32, 40, seed=1),
        random_image(48, 36, seed=2),
        SMALL,
        extractor=small_extractor,
    )
    assert isinstance(once, QualityScores)
    assert once == measures(image)


def test_a_bad_shape_is_a_clear_error(measures):
    with pytest.raises(ValueError, match=r"image: expected float32 \[1, H, W, 3\]"):
        measures(tf.zeros([32, 40]))
