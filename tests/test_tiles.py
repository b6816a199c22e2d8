"""Tiled evaluation: geometry by hand, and the exact untiled loss and gradient."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import random_image
from tf_style.config.layer_names import VGG19_CONV_LAYERS
from tf_style.objective import StyleContentLoss, loss_and_gradient
from tf_style.tiles import Tiling, compiled, network_stages, tile_grid
from tf_style.tiles.geometry import cuts
from tf_style.tiles.kept import kept_stages
from tf_style.tiles.stages import stage_sizes
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import with_network


def test_cuts_are_aligned_nearly_equal_and_cover_the_axis():
    assert cuts(100, 40, 4) == [0, 32, 68, 100]
    assert cuts(30, 64, 4) == [0, 30]
    for size, core, align in [(97, 16, 4), (1000, 333, 16), (17, 2, 2)]:
        edges = cuts(size, core, align)
        assert edges[0] == 0 and edges[-1] == size
        assert all(edge % align == 0 for edge in edges[1:-1])
        assert edges == sorted(set(edges))


def test_windows_reach_the_halo_past_the_core_and_stop_at_the_edges():
    tiles = tile_grid((50, 90), 40, halo=12, align=4)
    assert len(tiles) == 2 * 3
    first, last = tiles[0], tiles[-1]
    assert (first.rows.low, first.rows.start, first.rows.end, first.rows.high) == (
        0,
        0,
        24,
        36,
    )
    assert (last.cols.low, last.cols.start, last.cols.end, last.cols.high) == (
        48,
        60,
        90,
        90,
    )
    covered = np.zeros((50, 90), int)
    for tile in tiles:
        covered[tile.rows.start : tile.rows.end, tile.cols.start : tile.cols.end] += 1
    assert (covered == 1).all()


def test_the_default_layers_make_four_stages_with_their_reach(real_extractor):
    stages = network_stages(real_extractor)
    assert [stage.layers[-1].name for stage in stages] == [
        "block2_pool",
        "block3_pool",
        "block4_pool",
        "block5_conv2",
    ]
    # block1 and 2: 2 + 2 convolutions, 2 poolings; 1 px each at strides 1, 1, 2, 2
    # and the poolings at 1 and 2: 9 px, rounded up to the stride 4.
    assert [(s.stride, s.halo) for s in stages] == [(4, 12), (2, 6), (2, 6), (1, 2)]
    assert stages[0].taps == {"block1_conv1": 1, "block2_conv1": 2}


def relative_error(tiled_value, whole_value) -> float:
    whole = np.asarray(whole_value, np.float64)
    return float(np.abs(np.asarray(tiled_value) - whole).max() / np.abs(whole).max())


def both_ways(extractor, content, styles, image, tiling, **options):
    """Terms and gradient untiled and tiled."""
    whole = StyleContentLoss(extractor, content, styles, **options)
    tiles = StyleContentLoss(extractor, content, styles, tiling=tiling, **options)
    return loss_and_gradient(whole, image), loss_and_gradient(tiles, image)


def test_a_tiled_gradient_is_the_untiled_gradient(real_extractor):
    content, image = random_image(70, 101, 1), random_image(70, 101, 2)
    style = random_image(50, 64, 3)
    tiling = Tiling(0, core_pixels=24)  # 3 x 5 tiles in the first stage
    (terms, gradient), (tiled_terms, tiled_gradient) = both_ways(
        real_extractor, content, style, image, tiling
    )
    for name in terms:
        assert relative_error(tiled_terms[name], terms[name]) < 1e-5, name
    assert relative_error(tiled_gradient, gradient) < 1e-4


def test_a_video_frames_temporal_term_is_the_same_tiled(real_extractor):
    from tf_style.losses import TemporalTarget

    content, image = random_image(48, 64, 1), random_image(48, 64, 2)
    weights = tf.cast(random_image(48, 64, 4)[..., :1] > 0.3, tf.float32)
    temporal = [TemporalTarget(random_image(48, 64, 5), weights)]
    (terms, gradient), (tiled_terms, tiled_gradient) = both_ways(
        real_extractor,
        content,
        random_image(40, 40, 3),
        image,
        Tiling(0, core_pixels=16),
        temporal=temporal,
        temporal_weight=1e10,
    )
    assert float(terms["temporal"]) > 0.1 * float(terms["style"])  # it matters
    for name in terms:
        assert relative_error(tiled_terms[name], terms[name]) < 1e-5, name
    assert relative_error(tiled_gradient, gradient) < 1e-4


def test_kept_stages_are_the_trailing_one_tile_stages_within_the_budget(
    real_extractor,
):
    stages = network_stages(real_extractor)
    sizes = stage_sizes(stages, (80, 120))
    assert sizes == [(80, 120), (20, 30), (10, 15), (5, 7)]
    mib = 2**20
    # 28 MiB windows: 4, 2, 1 and 1 tiles; the last two fit beside each other.
    window = Tiling(28 * mib)
    assert [
        len(window.tiles(s, size, 4)) for s, size in zip(stages, sizes, strict=True)
    ] == [
        4,
        2,
        1,
        1,
    ]
    assert kept_stages(stages, sizes, 1, window, 4) == {2, 3}
    costs = [
        s.window_bytes_per_pixel(4) * h * w
        for s, (h, w) in zip(stages, sizes, strict=True)
    ]
    exact = int(costs[2] + costs[3])
    assert kept_stages(stages, sizes, 1, Tiling(28 * mib, keep_bytes=exact), 4) == {
        2,
        3,
    }
    tight = Tiling(28 * mib, keep_bytes=exact - 1)
    assert kept_stages(stages, sizes, 1, tight, 4) == {3}
    assert kept_stages(stages, sizes, 2, Tiling(28 * mib, keep_bytes=exact), 4) == {
        3
    }  # twice the batch, twice the activations
    assert kept_stages(stages, sizes, 1, Tiling(28 * mib, keep_bytes=0), 4) == set()
    whole = Tiling(0, core_pixels=1000, keep_bytes=2**40)
    assert kept_stages(stages, sizes, 1, whole, 4) == {0, 1, 2, 3}


def test_a_kept_stage_gives_the_same_gradient_without_running_again(
    real_extractor, monkeypatch
):
    content, image = random_image(80, 120, 1), random_image(80, 120, 2)
    style = random_image(50, 64, 3)
    ran = []
    for function in compiled.stage_functions(real_extractor):
        original = function.gradient
        monkeypatch.setattr(
            function,
            "gradient",
            lambda *args, _run=original, _stage=function.stage: (
                ran.append(_stage) or _run(*args)
            ),
        )
    (terms, gradient), (tiled_terms, tiled_gradient) = both_ways(
        real_extractor, content, style, image, Tiling(28 * 2**20)
    )
    stages = network_stages(real_extractor)
    assert [stage in ran for stage in stages] == [True, True, False, False]
    for name in terms:
        assert relative_error(tiled_terms[name], terms[name]) < 1e-5, name
    assert relative_error(tiled_gradient, gradient) < 1e-4


def test_tiling_refuses_layers_it_cannot_run():
    import keras

    from tf_style.tiles.stages import _check_layer

    _check_layer(keras.layers.Conv2D(4, 3, padding="same", activation="relu"))
    for layer in [
        keras.layers.Conv2D(4, 5, padding="same", activation="relu", name="wide"),
        keras.layers.Conv2D(4, 3, padding="valid", activation="relu", name="valid"),
        keras.layers.MaxPooling2D(3, name="pool3"),
    ]:
        with pytest.raises(ValueError, match=f"{layer.name} is not one"):
            _check_layer(layer)


def test_without_the_halo_the_tiles_are_wrong(real_extractor, monkeypatch):
    """The check above can fail: windows that stop at their cores see zero
    padding where the image goes on, and the gradient is no longer the same."""
    content, image = random_image(64, 64, 1), random_image(64, 64, 2)
    style = random_image(48, 48, 3)
    stages = [dataclasses.replace(s, halo=0) for s in network_stages(real_extractor)]
    monkeypatch.setattr(compiled, "network_stages", lambda extractor: stages)
    monkeypatch.setattr(compiled, "_FUNCTIONS", type(compiled._FUNCTIONS)())
    (_, gradient), (_, tiled_gradient) = both_ways(
        real_extractor, content, style, image, Tiling(0, core_pixels=16)
    )
    assert relative_error(tiled_gradient, gradient) > 1e-2


STYLE_LAYER_SETS = st.lists(
    st.sampled_from(VGG19_CONV_LAYERS[:12]), min_size=1, max_size=3, unique=True
)


@pytest.mark.slow
@settings(
    # A few random draws beside the explicit examples below, which run every time;
    # TF_STYLE_TILE_EXAMPLES=200 for a longer search.
    max_examples=int(os.environ.get("TF_STYLE_TILE_EXAMPLES", 3)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# The cases that matter, every run: each precision, pooling and normalization; a
# core of 16 px (its window mostly halo), cores of a few tiles and of one; a mask, a
# blend and a kept stage beside tiled ones; odd sizes; tiles with neighbours on all
# four sides.
@example(
    height=45, width=61, core=16, style_layers=["block1_conv1", "block2_conv2",
    "block4_conv4"], content_layer="block3_conv3", masked=True, blend=True,
    precision="float32", pooling="max", normalization="tutorial", kept=False,
)  # fmt: skip
@example(  # 2 x 2, 2 and 1 tiles: the last stage keeps pass 1's forward
    height=33, width=38, core=32, style_layers=["block2_conv1", "block4_conv2"],
    content_layer="block3_conv1", masked=False, blend=True, precision="float16",
    pooling="avg", normalization="paper", kept=True,
)  # fmt: skip
@example(
    height=41, width=56, core=48, style_layers=["block3_conv3"],
    content_layer="block4_conv1", masked=True, blend=False, precision="bfloat16",
    pooling="max", normalization="paper", kept=False,
)  # fmt: skip
@example(
    height=32, width=80, core=1000, style_layers=["block1_conv2", "block2_conv1"],
    content_layer="block1_conv1", masked=False, blend=False, precision="float32",
    pooling="avg", normalization="tutorial", kept=True,
)  # fmt: skip
@given(
    height=st.integers(32, 80),
    width=st.integers(32, 80),
    core=st.sampled_from([16, 20, 32, 48, 1000]),
    style_layers=STYLE_LAYER_SETS,
    content_layer=st.sampled_from(VGG19_CONV_LAYERS[:12]),
    masked=st.booleans(),
    blend=st.booleans(),
    precision=st.sampled_from(["float32", "bfloat16", "float16"]),
    pooling=st.sampled_from(["max", "avg"]),
    normalization=st.sampled_from(["tutorial", "paper"]),
    kept=st.booleans(),  # one-tile trailing stages keep pass 1's forward
)
def test_tiles_agree_with_the_whole_image_for_any_size_and_control(
    real_vgg,
    height,
    width,
    core,
    style_layers,
    content_layer,
    masked,
    blend,
    precision,
    pooling,
    normalization,
    kept,
):
    extractor = with_network(
        StyleContentModel(style_layers, [content_layer], vgg=real_vgg),
        precision=precision,
        pooling=pooling,
    )
    content, image = random_image(height, width, 1), random_image(height, width, 2)
    styles = [random_image(40, 56, 3)] + ([random_image(36, 36, 4)] if blend else [])
    mask = None
    if masked:
        ramp = np.linspace(0, 1, width, dtype=np.float32)
        mask = tf.constant(np.broadcast_to(ramp, (1, height, width))[..., None])
    options = {
        "mask": mask,
        "style_blend": (1.0, 3.0) if blend else (),
        "loss_normalization": normalization,
    }
    (terms, gradient), (tiled_terms, tiled_gradient) = both_ways(
        extractor,
        content,
        styles,
        image,
        Tiling(0, core_pixels=core, keep_bytes=2**40 if kept else None),
        **options,
    )
    # 16 bits round each convolution's output; a window computes the same sums
    # in another order, so equal values may round apart.
    tolerance = 1e-4 if precision == "float32" else 3e-2
    for name in terms:
        assert relative_error(tiled_terms[name], terms[name]) < tolerance, name
    assert relative_error(tiled_gradient, gradient) < 10 * tolerance
    cosine = tf.reduce_sum(gradient * tiled_gradient) / (
        tf.norm(gradient) * tf.norm(tiled_gradient)
    )
    assert float(cosine) > 1 - tolerance


def test_tile_progress_names_the_pass_stage_and_tile(real_extractor):
    seen = []
    tiling = Tiling(0, core_pixels=32, callback=lambda *where: seen.append(where))
    loss = StyleContentLoss(
        real_extractor, random_image(64, 64, 1), random_image(40, 40, 2), tiling=tiling
    )
    seen.clear()
    loss_and_gradient(loss, random_image(64, 64, 3))
    phases = [where[0] for where in seen]
    assert phases[0] == "forward" and phases[-1] == "backward"
    assert seen[-1][1] == 0  # the backward pass ends at the first stage
    assert ("forward", 0, 3, 4, 4) in seen  # 2 x 2 tiles in the first stage


def test_a_loss_scores_an_array_tiled_or_whole_alike(real_extractor):
    content, style = random_image(48, 64, 1), random_image(40, 40, 2)
    image = random_image(48, 64, 3).numpy()  # a NumPy array, as read from a file
    whole = StyleContentLoss(real_extractor, content, style)(image)
    tiling = Tiling(0, core_pixels=32)
    tiles = StyleContentLoss(real_extractor, content, style, tiling=tiling)(image)
    for name in whole:
        assert relative_error(tiles[name], whole[name]) < 1e-5, name


@settings(max_examples=25, deadline=None)
@given(
    batch=st.integers(1, 2),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    strip=st.integers(1, 4),
    levels=st.sampled_from([3, 256]),  # 3 levels: many equal neighbours (sign 0)
)
def test_the_variation_gradient_in_strips_is_tensorflows(
    batch, height, width, strip, levels
):
    from tf_style.tiles import evaluate

    rng = np.random.default_rng(height * 31 + width)
    image = rng.integers(0, levels, (batch, height, width, 3)) / (levels - 1)
    image = tf.constant(image, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(image)
        total = tf.reduce_sum(30.0 * tf.image.total_variation(image))
    expected = tape.gradient(total, image).numpy()
    got = np.full(image.shape, 0.5, np.float32)
    original, evaluate.VARIATION_ROWS = evaluate.VARIATION_ROWS, strip
    try:
        evaluate.add_variation_gradient(got, image, 30.0)
    finally:
        evaluate.VARIATION_ROWS = original
    np.testing.assert_array_equal(got - 0.5, expected)
