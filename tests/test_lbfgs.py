"""L-BFGS-B: the same loss as Adam, pixels kept in [0, 1], safe stops."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import bundled_pair, replace
from tf_style.objective import StyleContentLoss
from tf_style.optimize import stylize
from tf_style.optimize.lbfgs import LBFGSTransfer
from tf_style.optimize.recorder import RunRecorder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def images():
    return bundled_pair(40)


def test_loss_and_gradient_are_the_shared_loss(real_extractor, images):
    content, style = images
    loss = StyleContentLoss(real_extractor, content, style)
    image = tf.clip_by_value(content + 0.1 * tf.random.normal(content.shape), 0, 1)
    transfer = LBFGSTransfer(loss, content)
    value, gradient = transfer.evaluate(image.numpy().astype(np.float64).ravel())

    with tf.GradientTape() as tape:
        tape.watch(image)
        total = loss(image)["total"]
    expected = tape.gradient(total, image).numpy().ravel()
    assert isinstance(value, float) and gradient.dtype == np.float64
    assert value == pytest.approx(float(total), rel=1e-5)
    np.testing.assert_allclose(
        gradient, expected, rtol=1e-3, atol=1e-3 * abs(expected).max()
    )


def test_lbfgs_lowers_the_loss_and_keeps_pixels_in_bounds(
    real_extractor, images, tiny_config
):
    content, style = images
    config = replace(
        tiny_config, optimizer="lbfgs", steps_per_epoch=8, style_weight=1.0
    )
    reports = []
    result = stylize(
        content, style, config, extractor=real_extractor, callback=reports.append
    )
    assert result.status == "completed", result.message
    assert [r.step for r in reports] == list(range(1, 9))
    assert {r.total_steps for r in reports} == {8}
    assert all(len(values) == 8 for values in result.history.values())
    assert result.history["total"][-1] < 0.5 * result.history["total"][0]
    image = result.image.numpy()
    assert image.min() >= 0.0 and image.max() <= 1.0
    # A heavy style weight pushes more pixels against the box: the bounds are active.
    at_bounds = lambda pixels: int(((pixels == 0) | (pixels == 1)).sum())  # noqa: E731
    assert at_bounds(image) > at_bounds(content.numpy())


def test_callback_ctrl_c_returns_the_iterations_so_far(
    real_extractor, images, tiny_config
):
    content, style = images

    def interrupt_at_third(report):
        if report.step == 3:
            raise KeyboardInterrupt

    result = stylize(
        content,
        style,
        replace(tiny_config, optimizer="lbfgs", steps_per_epoch=10),
        extractor=real_extractor,
        callback=interrupt_at_third,
    )
    assert result.status == "interrupted"
    assert len(result.history["total"]) == 3
    assert result.image.shape == content.shape


def test_ctrl_c_inside_scipy_keeps_the_last_iterate(real_extractor, images):
    content, style = images
    transfer = LBFGSTransfer(StyleContentLoss(real_extractor, content, style), content)
    evaluate, calls = transfer.evaluate, []

    def interrupted_on_fifth_call(x):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return evaluate(x)

    transfer.evaluate = interrupted_on_fifth_call
    recorder = RunRecorder(10)
    with pytest.raises(KeyboardInterrupt):
        transfer.run(10, recorder)
    recorder.interrupted()
    result = recorder.result(transfer.image)
    assert result.status == "interrupted"
    steps = len(result.history["total"])
    assert 1 <= steps < 5
    assert np.isfinite(result.image.numpy()).all()
    assert not np.allclose(result.image, content)  # kept the progress made


def test_non_finite_loss_stops_with_the_last_finite_image(
    real_extractor, images, tiny_config
):
    content, style = images
    result = stylize(
        content,
        style,
        replace(tiny_config, optimizer="lbfgs", style_weight=1e38),
        extractor=real_extractor,
    )
    assert result.status == "non_finite"
    assert "style_weight" in result.message
    np.testing.assert_allclose(result.image, content)


@pytest.mark.parametrize("history", [3, 17])
def test_the_scipy_backend_keeps_lbfgs_history_pairs(
    real_extractor, images, tiny_config, monkeypatch, history
):
    """``--lbfgs-history`` is scipy's ``maxcor``, as the option's help says."""
    import scipy.optimize

    content, style = images
    config = replace(
        tiny_config, optimizer="lbfgs", lbfgs_backend="scipy", lbfgs_history=history
    )
    transfer = LBFGSTransfer.from_config(
        StyleContentLoss(real_extractor, content, style), content, config
    )
    assert transfer.history_size == history
    seen = []
    real_minimize = scipy.optimize.minimize

    def spy(*args, **kwargs):
        seen.append(kwargs["options"]["maxcor"])
        return real_minimize(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    transfer.run(2, RunRecorder(2))
    assert seen == [history]
    # every evaluation, the line search's included, shares one trace
    assert transfer.loss_and_gradient.experimental_get_tracing_count() == 1
