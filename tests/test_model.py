"""vgg_layers, gram_matrix and StyleContentModel: names, shapes, and the maths."""

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import random_image
from tf_style.config.layer_names import CONTENT_LAYERS, STYLE_LAYERS
from tf_style.vgg.model import StyleContentModel, gram_matrix, vgg_layers


def test_gram_matrix_matches_numpy(rng):
    features = rng.normal(size=(2, 5, 7, 4)).astype(np.float32)
    flat = features.reshape(2, 35, 4)
    expected = np.stack([f.T @ f for f in flat]) / 35
    np.testing.assert_allclose(gram_matrix(tf.constant(features)), expected, rtol=1e-5)


def test_gram_matrix_of_constant_features():
    features = tf.fill([1, 3, 3, 2], 2.0)
    np.testing.assert_allclose(gram_matrix(features)[0], [[4.0, 4.0], [4.0, 4.0]])


def test_vgg_layers_outputs_named_layers_in_order(random_vgg):
    names = ["block1_conv1", "block3_conv2", "block5_conv2"]
    model = vgg_layers(names, vgg=random_vgg)
    outputs = model(tf.zeros([1, 64, 48, 3]))
    shapes = [tuple(output.shape) for output in outputs]
    assert shapes == [(1, 64, 48, 64), (1, 16, 12, 256), (1, 4, 3, 512)]
    assert model.output_names == names
    assert not model.trainable and model.trainable_weights == []


def test_vgg_layers_rejects_caffe_names(random_vgg):
    with pytest.raises(ValueError, match="Unknown requested layer 'relu4_2'"):
        vgg_layers(["relu4_2"], vgg=random_vgg)


def test_style_content_model_returns_grams_and_features(random_vgg):
    extractor = StyleContentModel(STYLE_LAYERS, CONTENT_LAYERS, vgg=random_vgg)
    outputs = extractor(random_image(64, 32))
    channels = {
        "block1": 64,
        "block2": 128,
        "block3": 256,
        "block4": 512,
        "block5": 512,
    }
    assert list(outputs["style"]) == list(STYLE_LAYERS)
    for name, gram in outputs["style"].items():
        size = channels[name.split("_")[0]]
        assert gram.shape == (1, size, size) and gram.dtype == tf.float32
        np.testing.assert_allclose(gram[0], tf.transpose(gram[0]), rtol=1e-4, atol=1e-4)
    assert outputs["content"]["block5_conv2"].shape == (1, 4, 2, 512)


def test_style_content_model_applies_vgg_preprocessing(random_vgg):
    """The tutorial scales [0, 1] to [0, 255], then VGG19's BGR mean subtraction."""
    import keras

    extractor = StyleContentModel(["block1_conv1"], ["block1_conv1"], vgg=random_vgg)
    image = random_image(32, 32)
    direct = vgg_layers(["block1_conv1"], vgg=random_vgg)(
        keras.applications.vgg19.preprocess_input(image * 255.0)
    )
    np.testing.assert_allclose(
        extractor(image)["content"]["block1_conv1"], direct, rtol=1e-4, atol=1e-3
    )


def test_an_extractor_with_other_layers_than_the_config_is_refused(random_vgg):
    from tf_style.config import StyleTransferConfig
    from tf_style.vgg.model import extractor_for

    extractor = StyleContentModel(["block1_conv1"], ["block5_conv2"], vgg=random_vgg)
    config = StyleTransferConfig()
    with pytest.raises(ValueError, match="Pass vgg= instead of extractor="):
        extractor_for(config, extractor=extractor)
    built = extractor_for(config, vgg=random_vgg)
    assert built.style_layers == list(config.style_layers)
    same = StyleContentModel(config.style_layers, config.content_layers, vgg=random_vgg)
    assert extractor_for(config, extractor=same) is same
