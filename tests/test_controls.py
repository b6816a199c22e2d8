"""Artistic controls: each one changes what it should, and nothing else by default."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import bundled_pair, random_image, replace
from tf_style.color import chrominance_distance, match_color
from tf_style.config import STYLE_LAYERS, StyleTransferConfig
from tf_style.controls import as_mask, initial_image, prepare, scale_style
from tf_style.losses import style_loss
from tf_style.objective import StyleContentLoss
from tf_style.optimize import stylize
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import extractor_pooling, with_network

pytestmark = pytest.mark.slow

QUICK_LBFGS = StyleTransferConfig(
    max_dim=48, epochs=1, steps_per_epoch=8, optimizer="lbfgs", seed=0
)


@pytest.fixture(scope="module")
def pair():
    return bundled_pair(48)


def test_defaults_prepare_the_images_unchanged(pair):
    content, style = pair
    prepared = prepare(content, [style], StyleTransferConfig())
    assert prepared.content is content and prepared.styles[0] is style
    np.testing.assert_array_equal(prepared.start, content)
    assert prepared.mask is None


# --- 1. colour preservation -----------------------------------------------------


def test_luminance_transfer_keeps_the_contents_colours(pair, real_extractor):
    content, style = pair
    config = replace(QUICK_LBFGS, init="style")  # starts from the painting's colours
    plain = stylize(content, style, config, extractor=real_extractor)
    kept = stylize(
        content,
        style,
        replace(config, preserve_color="luminance"),
        extractor=real_extractor,
    )
    assert chrominance_distance(kept.image, content) < 0.01
    assert chrominance_distance(plain.image, content) > 0.03


def test_histogram_matching_gives_the_style_the_contents_colour_statistics(pair):
    content, style = pair
    prepared = prepare(
        content, [style], StyleTransferConfig(preserve_color="histogram")
    )
    matched = np.asarray(prepared.styles[0]).reshape(-1, 3)
    target = np.asarray(content).reshape(-1, 3)
    before = np.abs(np.asarray(style).reshape(-1, 3).mean(0) - target.mean(0)).max()
    after = np.abs(matched.mean(0) - target.mean(0)).max()
    assert after < 0.02 < before


# --- 2. several styles ----------------------------------------------------------


def test_a_half_and_half_blend_lands_between_the_pure_results(real_extractor):
    content, starry = bundled_pair(48)
    other = match_color(random_image(48, 48, seed=3), random_image(8, 8, seed=4))
    runs = {
        name: stylize(
            content, styles, replace(QUICK_LBFGS, style_blend=blend),
            extractor=real_extractor,
        ).image
        for name, styles, blend in (
            ("starry", [starry], ()),
            ("other", [other], ()),
            ("blend", [starry, other], (0.5, 0.5)),
        )
    }  # fmt: skip
    to_starry = StyleContentLoss(real_extractor, content, starry, style_weight=1.0)
    distance = {name: float(to_starry(image)["style"]) for name, image in runs.items()}
    assert distance["starry"] < distance["blend"] < distance["other"]


def test_blend_weights_are_normalised(pair, random_vgg):
    content, style = pair
    extractor = StyleContentModel(vgg=random_vgg)
    one = StyleContentLoss(extractor, content, [style, style], style_blend=(1, 3))
    alone = StyleContentLoss(extractor, content, style)
    for layer in STYLE_LAYERS:
        np.testing.assert_allclose(
            one.style_targets[layer], alone.style_targets[layer], rtol=1e-5
        )


# --- 3. initial image -----------------------------------------------------------


def test_initial_images(pair):
    content, style = pair
    config = StyleTransferConfig()
    np.testing.assert_array_equal(initial_image(content, [style], config), content)
    from_style = initial_image(content, [style], replace(config, init="style"))
    assert from_style.shape == content.shape
    assert not np.allclose(from_style, content)
    tf.random.set_seed(1)
    half = initial_image(content, [style], replace(config, init_noise_ratio=0.5))
    tf.random.set_seed(1)
    noise = initial_image(content, [style], replace(config, init="noise"))
    np.testing.assert_allclose(half, 0.5 * content + 0.5 * noise, atol=1e-6)


def test_recolored_start_has_the_styles_colour_mean_and_the_contents_layout(pair):
    content, style = pair
    config = replace(StyleTransferConfig(), init="content-recolored")
    start = initial_image(content, [style], config).numpy()
    assert start.shape == content.shape and 0 <= start.min() and start.max() <= 1
    style_mean = style.numpy().reshape(-1, 3).mean(axis=0)
    content_mean = content.numpy().reshape(-1, 3).mean(axis=0)
    start_mean = start.reshape(-1, 3).mean(axis=0)
    # closer to the style's colours than the content was (clipping moves it a little)
    assert (
        np.abs(start_mean - style_mean).max()
        < 0.5 * np.abs(content_mean - style_mean).max()
    )
    # an affine map of the colours: the content's luminance pattern is kept
    luma = lambda image: image.reshape(-1, 3) @ np.array([0.299, 0.587, 0.114])  # noqa: E731
    assert np.corrcoef(luma(start), luma(content.numpy()))[0, 1] > 0.8


# --- 4. style scale -------------------------------------------------------------


def test_style_scale_resizes_the_style_and_changes_its_grams(pair, real_extractor):
    content, style = pair
    bigger = scale_style(style, content, 2.0)
    assert max(bigger.shape[1:3]) == 2 * max(content.shape[1:3])
    plain = StyleContentLoss(real_extractor, content, style).style_targets
    scaled = StyleContentLoss(real_extractor, content, bigger).style_targets
    difference = float(
        tf.reduce_mean(tf.abs(plain["block2_conv1"] - scaled["block2_conv1"]))
    )
    assert difference > 1e-3 * float(tf.reduce_mean(tf.abs(plain["block2_conv1"])))
    assert scale_style(style, content, 1.0) is style


# --- 5. per-layer weights and normalisation -------------------------------------


def test_paper_normalisation_matches_a_hand_computation(rng):
    """Gatys et al.: E = sum((G - A)^2) / (4 N^2 M^2) with G = F F^T, unnormalised."""
    from tf_style.vgg.model import gram_matrix

    features = rng.normal(size=(1, 6, 5, 4)).astype(np.float32)  # M = 30, N = 4
    target_features = rng.normal(size=(1, 6, 5, 4)).astype(np.float32)
    flat, flat_target = features.reshape(30, 4), target_features.reshape(30, 4)
    gram, target = flat.T @ flat, flat_target.T @ flat_target
    expected = ((gram - target) ** 2).sum() / (4 * 4**2 * 30**2)
    ours = style_loss(
        {"l": gram_matrix(tf.constant(features))},
        {"l": gram_matrix(tf.constant(target_features))},
        1.0,
        normalization="paper",
    )
    assert float(ours) == pytest.approx(expected, rel=1e-4)


def test_layer_weights_pick_out_layers(rng):
    outputs = {"a": tf.constant(rng.normal(size=(1, 3, 3)), tf.float32)}
    outputs["b"] = tf.constant(rng.normal(size=(1, 3, 3)), tf.float32)
    targets = {name: tf.zeros((1, 3, 3)) for name in outputs}
    only_a = style_loss(outputs, targets, 1.0, layer_weights={"a": 2.0, "b": 0.0})
    assert float(only_a) == pytest.approx(float(tf.reduce_mean(outputs["a"] ** 2)))


# --- 6. pooling -----------------------------------------------------------------


def test_average_pooling_changes_the_deep_features(random_vgg):
    extractor = StyleContentModel(vgg=random_vgg)
    averaged = with_network(extractor, pooling="avg")
    assert (
        extractor_pooling(averaged) == "avg" and extractor_pooling(extractor) == "max"
    )
    image = random_image(48, 48)
    deep = "block5_conv2"
    a, b = extractor(image)["content"][deep], averaged(image)["content"][deep]
    assert a.shape == b.shape and not np.allclose(a, b, atol=1e-3)
    first = "block1_conv1"  # before any pooling: the same weights, the same output
    np.testing.assert_allclose(
        extractor(image)["style"][first], averaged(image)["style"][first], rtol=1e-4
    )


# --- 7. spatial control ---------------------------------------------------------


def test_outside_the_mask_the_content_is_kept(pair, real_extractor):
    content, style = pair
    height, width = content.shape[1:3]
    left = np.zeros((1, height, width, 1), np.float32)
    left[:, :, : width // 2] = 1.0
    config = replace(QUICK_LBFGS, init="style")
    result = stylize(content, style, config, extractor=real_extractor, mask=left)
    right = slice(width // 2 + 2, None)  # away from the resized edge
    np.testing.assert_allclose(
        result.image[:, :, right], content[:, :, right], atol=1e-3
    )
    assert float(tf.reduce_mean(tf.abs(result.image - content)[:, :, :20])) > 0.05


def test_masks_are_resized_and_made_grey():
    mask = as_mask(tf.ones([1, 10, 12, 3]) * 0.5, (20, 24))
    assert mask.shape == (1, 20, 24, 1)
    np.testing.assert_allclose(mask, 0.5, atol=1e-6)
