"""A compiled step kept between runs (tf_style.optimize.reuse): a run that takes
it computes exactly what a fresh run computes, and traces nothing."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tf_style
from tf_style.config import StyleTransferConfig
from tf_style.optimize import reuse

pytestmark = pytest.mark.slow


def pictures(seed: int, size=(40, 48)) -> tf.Tensor:
    rng = np.random.default_rng(seed)
    return tf.constant(rng.random((1, *size, 3), dtype=np.float32))


def fresh(content, style, config, extractor):
    """The run with nothing kept before it, and nothing kept after."""
    reuse.forget()
    result = tf_style.stylize(content, style, config, extractor=extractor)
    reuse.forget()
    return result


def kept_transfer():
    return reuse._kept.get("transfer")


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_a_run_taking_the_kept_step_equals_a_fresh_run_and_traces_nothing(
    real_extractor, optimizer
):
    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=3,
                                 optimizer=optimizer)  # fmt: skip
    style = pictures(0)
    first, second = pictures(1), pictures(2)
    expected = fresh(second, style, config, real_extractor)

    reuse.forget()
    tf_style.stylize(first, style, config, extractor=real_extractor)
    kept = kept_transfer()
    assert kept is not None, "a plain run's step was not kept"
    result = tf_style.stylize(second, style, config, extractor=real_extractor)
    function = kept_transfer().reuse_function
    assert function is kept.reuse_function  # the same compiled function ran again
    assert function.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(result.image.numpy(), expected.image.numpy())
    assert result.history == expected.history
    reuse.forget()


def test_a_run_after_a_non_finite_one_starts_clean(real_extractor):
    """A run that stopped on a non-finite loss leaves Adam's moments and the image
    wherever they were: the next run puts them back to new."""
    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=3)
    style, content = pictures(0), pictures(3)
    expected = fresh(content, style, config, real_extractor)
    reuse.forget()
    broken = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=3,
                                 learning_rate=1e30)  # fmt: skip
    tf_style.stylize(content, style, broken, extractor=real_extractor)
    # Another learning rate is another key: nothing is taken from that run.
    assert reuse._kept.get("key") != reuse.step_key(
        "adam", *_loss_and_image(real_extractor, content, style, config), config
    )
    tf_style.stylize(pictures(4), style, config, extractor=real_extractor)
    result = tf_style.stylize(content, style, config, extractor=real_extractor)
    np.testing.assert_array_equal(result.image.numpy(), expected.image.numpy())
    reuse.forget()


def _loss_and_image(extractor, content, style, config):
    from tf_style.objective import StyleContentLoss

    return StyleContentLoss.from_config(extractor, content, style, config), content


def test_an_extractor_cut_from_the_same_vgg_takes_the_kept_step(real_vgg):
    """A command or a ``stylize`` call builds its own extractor from the loaded
    VGG19: the same layers of the same weights find the step the last one kept."""
    from tf_style.vgg.model import StyleContentModel

    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=2)
    style, content = pictures(0), pictures(2)
    expected = fresh(content, style, config, StyleContentModel(vgg=real_vgg))
    reuse.forget()
    tf_style.stylize(
        pictures(1), style, config, extractor=StyleContentModel(vgg=real_vgg)
    )
    kept = kept_transfer()
    result = tf_style.stylize(
        content, style, config, extractor=StyleContentModel(vgg=real_vgg)
    )
    assert kept_transfer().reuse_function is kept.reuse_function
    np.testing.assert_array_equal(result.image.numpy(), expected.image.numpy())
    reuse.forget()


@pytest.mark.parametrize(
    "change",
    ["other size", "other weight", "other layers", "other pooling", "other weights"],
)
def test_a_run_that_differs_in_its_graph_builds_its_own(real_vgg, change):
    from tf_style.vgg.model import StyleContentModel
    from tf_style.vgg.network import with_network
    from tf_style.vgg.weights import load_vgg19

    extractor = StyleContentModel(vgg=real_vgg)
    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=2)
    reuse.forget()
    tf_style.stylize(pictures(1), pictures(0), config, extractor=extractor)
    kept = kept_transfer()
    content, other = pictures(2), config
    if change == "other size":
        content = pictures(2, size=(48, 40))
    elif change == "other weight":
        other = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=2,
                                    style_weight=1.0)  # fmt: skip
    elif change == "other layers":
        extractor = StyleContentModel(
            ["block1_conv1", "block2_conv1"], ["block4_conv2"], vgg=real_vgg
        )
        other = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=2,
                                    style_layers=("block1_conv1", "block2_conv1"),
                                    content_layers=("block4_conv2",))  # fmt: skip
    elif change == "other pooling":
        extractor = with_network(extractor, pooling="avg")
        other = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=2,
                                    pooling="avg")  # fmt: skip
    else:  # the same layers of another VGG19
        extractor = StyleContentModel(vgg=load_vgg19(random_weights=True))
    tf_style.stylize(content, pictures(0), other, extractor=extractor)
    assert kept_transfer().reuse_function is not kept.reuse_function
    reuse.forget()


def test_masked_and_large_runs_are_not_kept(real_extractor):
    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=1)
    reuse.forget()
    mask = tf.ones((1, 40, 48, 1))
    tf_style.stylize(pictures(1), pictures(0), config, extractor=real_extractor,
                     mask=mask)  # fmt: skip
    assert kept_transfer() is None
    saved = reuse.MAX_KEPT_PIXELS
    reuse.MAX_KEPT_PIXELS = 40 * 48 - 1
    try:
        tf_style.stylize(pictures(1), pictures(0), config, extractor=real_extractor)
    finally:
        reuse.MAX_KEPT_PIXELS = saved
    assert kept_transfer() is None


def test_a_video_frame_takes_the_kept_step_with_its_own_earlier_frame(real_extractor):
    """Frames after the first share one step: their warped earlier results and
    weights are read from variables, so frame 3 gets its own, not frame 2's."""
    from tf_style.losses import TemporalTarget

    config = StyleTransferConfig(max_dim=48, epochs=1, steps_per_epoch=3)
    style = pictures(0)

    def frame(seed: int) -> dict:
        weights = tf.constant(np.random.default_rng(seed).random((1, 40, 48, 1)),
                              tf.float32)  # fmt: skip
        return dict(temporal=[TemporalTarget(pictures(seed + 10), weights)])

    reuse.forget()
    expected = tf_style.stylize(pictures(3), style, config, extractor=real_extractor,
                                **frame(3))  # fmt: skip
    reuse.forget()
    tf_style.stylize(pictures(2), style, config, extractor=real_extractor, **frame(2))
    kept = kept_transfer()
    assert kept is not None, "a video frame's step was not kept"
    result = tf_style.stylize(pictures(3), style, config, extractor=real_extractor,
                              **frame(3))  # fmt: skip
    assert kept_transfer().reuse_function is kept.reuse_function
    assert "temporal" in result.history
    np.testing.assert_array_equal(result.image.numpy(), expected.image.numpy())
    assert result.history == expected.history
    reuse.forget()
