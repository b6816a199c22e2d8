"""Several styles, each in its own region: guided Gram matrices (Gatys et al. 2017)
in the one loss, whole and tiled, every optimiser, every scale and precision."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import random_image

from tf_style import Region, StyleTransferConfig
from tf_style.objective import StyleContentLoss, loss_and_gradient
from tf_style.regions import StyleRegion, as_style_region
from tf_style.style_targets import region_targets
from tf_style.tiles.tiling import Tiling
from tf_style.vgg.guided import (
    guided_gram,
    layer_guides,
    style_layer_sizes,
)
from tf_style.vgg.model import gram_matrix

FEATURES = tf.constant(np.random.default_rng(0).random((2, 6, 8, 5), np.float32))


def left_half(height: int, width: int, value: float = 1.0) -> tf.Tensor:
    mask = np.zeros((1, height, width, 1), np.float32)
    mask[:, :, : width // 2] = value
    return tf.constant(mask)


# --- the guided Gram matrix, by hand ---------------------------------------------


def test_a_mask_of_ones_gives_the_tutorials_gram_matrix():
    guided = guided_gram(FEATURES, tf.ones([1, 6, 8, 1]), tf.constant([48.0]))
    np.testing.assert_allclose(guided[:, 0], gram_matrix(FEATURES), rtol=1e-6)


def test_a_half_mask_gives_the_gram_matrix_of_that_halfs_features():
    guided = guided_gram(FEATURES, left_half(6, 8), tf.constant([24.0]))
    by_hand = np.einsum("bijc,bijd->bcd", FEATURES[:, :, :4], FEATURES[:, :, :4]) / (
        6 * 4
    )
    np.testing.assert_allclose(guided[:, 0], by_hand, rtol=1e-5)


def test_the_area_normalises_so_a_small_region_is_not_drowned():
    """A grey mask (0.5) is the same region as a white one: the area is sum T^2."""
    guides = layer_guides(
        tf.concat([left_half(6, 8, 0.5), left_half(6, 8)], 0), {"x": (6, 8)}
    )
    np.testing.assert_allclose(guides.areas["x"], [6.0, 24.0])
    guided = guided_gram(FEATURES, guides.maps["x"], guides.areas["x"])
    np.testing.assert_allclose(guided[:, 0], guided[:, 1], rtol=1e-5)


def test_masks_are_area_averaged_to_each_layers_size():
    mask = tf.constant(np.random.default_rng(1).random((1, 8, 12, 1), np.float32))
    guides = layer_guides(mask, {"whole": (8, 12), "half": (4, 6)})
    assert guides.maps["whole"] is mask or np.array_equal(guides.maps["whole"], mask)
    pooled = tf.nn.avg_pool2d(mask, 2, 2, "VALID")  # VGG's 2x2 pooling, averaged
    np.testing.assert_allclose(guides.maps["half"], pooled, rtol=1e-6)


def test_style_layer_sizes_are_the_networks(real_extractor):
    image = random_image(70, 101)
    features, _ = real_extractor.features(image)
    sizes = style_layer_sizes(
        real_extractor.vgg, real_extractor.style_layers, (70, 101)
    )
    assert sizes == {name: tuple(v.shape[1:3]) for name, v in features.items()}


# --- in the one loss -------------------------------------------------------------


def test_one_white_region_is_the_one_style_loss(real_extractor):
    content, image = random_image(48, 64, 1), random_image(48, 64, 2)
    style = random_image(40, 40, 3)
    plain = StyleContentLoss(real_extractor, content, style)(image)
    region = StyleRegion(tf.ones([1, 48, 64, 1]), style)
    guided = StyleContentLoss(real_extractor, content, (), regions=[region])(image)
    for name in plain:
        np.testing.assert_allclose(guided[name], plain[name], rtol=1e-5)


def test_two_regions_add_their_own_terms_with_their_weights(real_extractor):
    content, image = random_image(48, 64, 1), random_image(48, 64, 2)
    first, second = random_image(40, 40, 3), random_image(40, 40, 4)
    left = left_half(48, 64)
    regions = [StyleRegion(left, first), StyleRegion(1.0 - left, second, 3.0)]
    both = StyleContentLoss(real_extractor, content, (), regions=regions)(image)
    alone = [
        StyleContentLoss(real_extractor, content, (), regions=[r])(image)["style"]
        for r in regions
    ]
    np.testing.assert_allclose(both["style"], alone[0] + alone[1], rtol=1e-5)
    single = StyleContentLoss(
        real_extractor, content, (), regions=[StyleRegion(1.0 - left, second)]
    )(image)["style"]
    np.testing.assert_allclose(alone[1], 3.0 * single, rtol=1e-5)


def test_the_runs_own_style_paints_what_no_mask_covers(real_extractor):
    left = left_half(32, 48)
    regions = [StyleRegion(left, random_image(32, 32, 3))]
    rest = real_extractor(random_image(32, 32, 4))["style"]
    with_rest = region_targets(real_extractor, (32, 48), regions, rest)
    alone = region_targets(real_extractor, (32, 48), regions, None)
    assert with_rest.guides.count == 2 and alone.guides.count == 1
    first_layer = real_extractor.style_layers[0]
    np.testing.assert_allclose(
        with_rest.guides.maps[first_layer][1], 1.0 - left[0], atol=1e-6
    )
    whole = region_targets(
        real_extractor,
        (32, 48),
        [StyleRegion(tf.ones([1, 32, 48, 1]), regions[0].style)],
        rest,
    )
    assert whole.guides.count == 1  # nothing left uncovered: no second region


def test_a_style_mask_learns_from_that_part_of_the_painting(real_extractor):
    painting = tf.concat([random_image(32, 16, 5), random_image(32, 16, 6)], 2)
    masked = region_targets(
        real_extractor,
        (32, 32),
        [StyleRegion(tf.ones([1, 32, 32, 1]), painting, style_mask=left_half(32, 32))],
        None,
    )
    whole = region_targets(
        real_extractor, (32, 32), [StyleRegion(tf.ones([1, 32, 32, 1]), painting)], None
    )
    name = real_extractor.style_layers[0]
    left_only = gram_matrix(real_extractor.features(painting)[0][name][:, :, :16])
    np.testing.assert_allclose(masked.style_targets[name][:, 0], left_only, rtol=1e-4)
    assert not np.allclose(whole.style_targets[name], masked.style_targets[name])


def test_regions_tiled_give_the_untiled_terms_and_gradient(real_extractor):
    content, image = random_image(70, 101, 1), random_image(70, 101, 2)
    soft = tf.constant(
        np.clip(np.linspace(-0.5, 1.5, 101, dtype=np.float32), 0, 1)[
            None, None, :, None
        ]
        * np.ones((1, 70, 1, 1), np.float32)
    )
    painting = random_image(40, 50, 4)
    regions = [
        StyleRegion(soft, random_image(50, 64, 3), 2.0),
        StyleRegion(1.0 - soft, painting, style_mask=left_half(40, 50)),
    ]
    style = random_image(30, 30, 5)  # paints the rest (none here: weights add)
    whole = StyleContentLoss(real_extractor, content, style, regions=regions)
    tiled = StyleContentLoss(
        real_extractor,
        content,
        style,
        regions=regions,
        tiling=Tiling(0, core_pixels=24),
    )
    terms, gradient = loss_and_gradient(whole, image)
    tiled_terms, tiled_gradient = loss_and_gradient(tiled, image)
    for name in terms:
        assert _relative(tiled_terms[name], terms[name]) < 1e-5, name
    assert _relative(tiled_gradient, gradient) < 1e-4


def test_regions_in_bfloat16_are_the_float32_loss(real_extractor):
    from tf_style.vgg.network import with_precision

    content, image = random_image(48, 64, 1), random_image(48, 64, 2)
    regions = [StyleRegion(left_half(48, 64), random_image(40, 40, 3))]
    low = with_precision(real_extractor, "bfloat16")
    exact = StyleContentLoss(real_extractor, content, (), regions=regions)(image)
    rough = StyleContentLoss(low, content, (), regions=regions)(image)
    assert _relative(rough["style"], exact["style"]) < 0.05


def _relative(value, reference) -> float:
    reference = np.asarray(reference, np.float64)
    return float(np.abs(np.asarray(value) - reference).max() / np.abs(reference).max())


# --- every optimiser and scale ---------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "adam"},
        {"optimizer": "lbfgs", "lbfgs_backend": "scipy"},
        {"optimizer": "lbfgs", "lbfgs_backend": "tensorflow"},
        {"optimizer": "lbfgs", "scales": (0.5, 1.0), "scale_steps": (2, 2)},
    ],
    ids=["adam", "lbfgs-scipy", "lbfgs-tf", "two-scales"],
)
def test_every_optimiser_and_scale_minimises_the_regions_loss(
    real_extractor, monkeypatch, options
):
    from tf_style import stylize
    from tf_style.optimize import loop

    built = []
    original = StyleContentLoss.from_config.__func__

    def spy(cls, *args, **kwargs):
        loss = original(cls, *args, **kwargs)
        built.append((loss, kwargs["regions"]))
        return loss

    monkeypatch.setattr(loop.StyleContentLoss, "from_config", classmethod(spy))
    content = random_image(48, 64, 1)
    mask = left_half(48, 64)
    config = StyleTransferConfig(max_dim=64, epochs=1, steps_per_epoch=4, **options)
    result = stylize(
        content,
        None,
        config,
        extractor=real_extractor,
        regions=[
            Region(mask, random_image(40, 40, 3)),
            Region(1.0 - mask, random_image(40, 40, 4), 2.0),
        ],
    )
    assert result.status == "completed"
    history = result.history["style"]  # each step's at its scale
    last_scale = history[-config.steps_per_scale[-1] :]
    assert last_scale[-1] < last_scale[0]  # the regions' style term goes down
    for loss, regions in built:
        size = loss.content_shape[1:3]
        assert loss.guides.count == 2
        assert [tuple(r.mask.shape[1:3]) for r in regions] == [size, size]
        np.testing.assert_allclose(loss.region_weights, [1.0, 2.0])
    assert len(built) == len(config.scales)


# --- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "region, message",
    [
        (Region(np.zeros((48, 64, 1), np.float32), "x"), "black all over"),
        (Region(np.full((48, 64, 1), np.nan, np.float32), "x"), "NaN"),
        (Region(np.full((48, 64, 1), 2.0, np.float32), "x"), "values from 2"),
        (Region(np.ones((48, 64), np.float32), "x"), "expected"),
        (Region(np.ones((48, 64, 1), np.float32), "x", 0.0), "above 0"),
        (Region(np.ones((48, 64, 1), np.float32), "x", float("nan")), "not a number"),
    ],
)
def test_a_bad_region_is_refused_with_its_number(region, message):
    with pytest.raises(ValueError, match=f"region 2.*{message}|{message}"):
        as_style_region(region, 64, number=2)


def test_a_style_mask_of_another_shape_than_its_painting_is_refused():
    region = Region(
        np.ones((48, 64, 1), np.float32),
        np.ones((40, 40, 3), np.float32) * 0.5,
        style_mask=np.ones((40, 80, 1), np.float32),
    )
    with pytest.raises(ValueError, match="style mask is 80x40 px but the style"):
        as_style_region(region, 64)


def test_a_mask_drawn_for_another_shape_is_refused(real_extractor):
    from tf_style import stylize

    region = Region(np.ones((64, 64, 1), np.float32), random_image(40, 40, 3))
    with pytest.raises(ValueError, match="region 1's mask is 64x64 px but the photo"):
        stylize(
            random_image(48, 64, 1),
            None,
            StyleTransferConfig(max_dim=64, epochs=1, steps_per_epoch=1),
            extractor=real_extractor,
            regions=[region],
        )


def test_no_style_and_no_region_is_refused():
    from tf_style import stylize

    with pytest.raises(ValueError, match="style_image, regions, or both"):
        stylize(random_image(48, 64, 1), None)
