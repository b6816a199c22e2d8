"""The one loss has a batch axis: each image's terms are its own, so Adam on a batch
equals Adam on each image alone."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from conftest import TINY, random_image, replace

from tf_style.batch.stylize_many import group_by_size, stylize_many
from tf_style.objective import StyleContentLoss
from tf_style.optimize.driver import stylize

pytestmark = pytest.mark.slow


def test_batch_of_one_loss_equals_single_image_loss(real_extractor):
    content, style, image = (random_image(48, 40, s) for s in (1, 2, 3))
    config = replace(TINY, style_layer_weights=(1, 2, 3, 4, 5))
    single = StyleContentLoss.from_config(real_extractor, content, style, config)(image)
    batch = StyleContentLoss.from_config(real_extractor, content, style, config).terms(
        image
    )
    for term, value in single.items():
        assert batch[term].shape == (1,)
        np.testing.assert_allclose(batch[term][0], value, rtol=1e-5)


def test_batch_loss_of_two_is_each_image_alone(real_extractor):
    contents = [random_image(40, 40, s) for s in (1, 2)]
    images = [random_image(40, 40, s) for s in (3, 4)]
    style = random_image(48, 48, 5)
    batch = StyleContentLoss.from_config(
        real_extractor, tf.concat(contents, 0), style, TINY
    ).terms(tf.concat(images, 0))
    for b in range(2):
        single = StyleContentLoss.from_config(real_extractor, contents[b], style, TINY)
        for term, value in single(images[b]).items():
            np.testing.assert_allclose(batch[term][b], value, rtol=1e-5)


def test_adam_batch_of_two_equals_two_single_runs(real_extractor):
    config = replace(TINY, max_dim=48, steps_per_epoch=4, seed=0)
    contents = [random_image(40, 48, s) for s in (1, 2)]
    style = random_image(48, 48, 3)
    batched = stylize_many(
        contents, style, config, batch_size=2, extractor=real_extractor
    )
    for content, result in zip(contents, batched, strict=True):
        alone = stylize(content, style, config, extractor=real_extractor)
        np.testing.assert_allclose(
            result.history["total"], alone.history["total"], rtol=1e-5
        )
        np.testing.assert_allclose(result.image, alone.image, rtol=1e-5, atol=1e-5)


def test_group_by_size_keeps_order_and_batches():
    images = [tf.zeros([1, h, 8, 3]) for h in (8, 9, 8, 8, 9)]
    assert group_by_size(images, 2) == [[0, 2], [3], [1, 4]]


def test_lbfgs_runs_per_image(real_extractor):
    config = replace(TINY, max_dim=40, optimizer="lbfgs", steps_per_epoch=2)
    contents = [random_image(32, 40, s) for s in (1, 2)]
    results = stylize_many(
        contents, random_image(40, 40, 3), config, extractor=real_extractor
    )
    assert [r.image.shape for r in results] == [(1, 32, 40, 3)] * 2


def test_adam_on_a_batch_records_every_image_and_keeps_shape(real_extractor):
    from tf_style.optimize.adam import StyleTransfer
    from tf_style.optimize.recorder import RunRecorder

    contents = tf.concat([random_image(32, 32, s) for s in (1, 2, 3)], 0)
    loss = StyleContentLoss.from_config(
        real_extractor, contents, random_image(32, 32), TINY
    )
    transfer = StyleTransfer(loss, contents, TINY)
    recorder = RunRecorder(2, batch=3)
    transfer.run(2, recorder)
    assert [len(h["total"]) for h in recorder.image_histories] == [2, 2, 2]
    assert recorder.history["total"][0] == pytest.approx(
        sum(h["total"][0] for h in recorder.image_histories), rel=1e-6
    )
    assert transfer.image.shape == (3, 32, 32, 3)
