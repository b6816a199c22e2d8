"""LocalScaling, the adaptive H0: its algebra, its adaptation, and L-BFGS with it."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import bundled_pair
from tests.test_tf_lbfgs import SHAPE, SIZE, Quadratic, matrix_of
from tf_style.commands.cli import UsageError, add_config_arguments, config_from_args
from tf_style.config import StyleTransferConfig
from tf_style.objective import StyleContentLoss
from tf_style.optimize import stylize
from tf_style.optimize.preconditioner import (
    FourierPreconditioner,
    LocalScaling,
    box_mean,
    local_scale_root,
    make_preconditioner,
)
from tf_style.optimize.recorder import RunRecorder
from tf_style.optimize.tf_lbfgs import ADAPT_EVERY, TFLBFGSTransfer


def test_local_scaling_starts_as_its_base_and_stays_symmetric_positive_definite(rng):
    base = FourierPreconditioner(SHAPE[1:3], decay=0.5)
    scaled = LocalScaling(SHAPE[1:3], 0.75, base, blur=1)  # 9 px: all of 4x5
    np.testing.assert_allclose(matrix_of(scaled), matrix_of(base), atol=1e-6)
    for operator in (scaled, LocalScaling(SHAPE[1:3], 1.5, blur=1)):
        operator.adapt(tf.constant(rng.normal(size=SHAPE) ** 3, tf.float32))
        matrix = matrix_of(operator)
        assert not np.allclose(matrix, matrix_of(base), atol=1e-2)
        np.testing.assert_allclose(matrix, matrix.T, atol=1e-5)
        assert np.linalg.eigvalsh(matrix).min() > 0


@pytest.mark.parametrize("size", [1, 3, 9])
def test_box_mean_is_the_two_dimensional_pool_with_the_border_cut(size, rng):
    image = tf.constant(rng.uniform(size=(1, 7, 12, 2)), tf.float32)
    expected = tf.nn.avg_pool2d(image, size, 1, "SAME").numpy()
    np.testing.assert_allclose(box_mean(image, size).numpy(), expected, rtol=1e-5)
    corner = image.numpy()[0, : size // 2 + 1, : size // 2 + 1].mean(axis=(0, 1))
    np.testing.assert_allclose(box_mean(image, size).numpy()[0, 0, 0], corner, 1e-5)


def test_large_gradients_get_small_steps_and_the_scale_keeps_its_size():
    gradient = np.full((1, 32, 32, 3), 0.01, np.float32)
    gradient[:, :, 16:] = 10.0  # a busy right half, a flat left half
    root = local_scale_root(tf.constant(gradient), 0.75).numpy()
    assert root.shape == (1, 32, 32, 1)
    assert root[0, :, 0].min() > 2 * root[0, :, -1].max()
    assert np.mean(root**4) == pytest.approx(1.0, rel=1e-5)  # D has mean square 1
    flat = local_scale_root(tf.ones((1, 8, 8, 3)), 0.75).numpy()
    np.testing.assert_allclose(flat, 1.0, rtol=1e-5)  # nothing to equalise


def test_the_compiled_two_loop_recursion_sees_every_adaptation(rng):
    """D lives in a variable: a traced recursion must not keep the first D."""
    preconditioner = LocalScaling(
        SHAPE[1:3], 0.75, FourierPreconditioner(SHAPE[1:3], decay=0.5), blur=1
    )
    preconditioner.adapt(tf.constant(rng.normal(size=SHAPE), tf.float32))
    transfer = TFLBFGSTransfer(
        None, tf.fill(SHAPE, 0.5), history_size=3, preconditioner=preconditioner
    )
    hessian = np.diag(rng.uniform(0.5, 3.0, SIZE))
    s = rng.normal(size=SIZE)
    y = hessian @ s
    transfer.remember(*(tf.constant(v.reshape(SHAPE), tf.float32) for v in (s, y)))
    gamma = (s @ y) / (y @ matrix_of(preconditioner) @ y)
    gradient = tf.constant(rng.normal(size=SHAPE), tf.float32)
    first = transfer.direction(gradient).numpy()  # traced with the first D
    preconditioner.adapt(tf.constant(rng.normal(size=SHAPE) ** 3, tf.float32))
    rho = 1.0 / (s @ y)
    left = np.eye(SIZE) - rho * np.outer(s, y)
    inverse = left @ (gamma * matrix_of(preconditioner)) @ left.T
    inverse += rho * np.outer(s, s)
    expected = -(inverse @ gradient.numpy().ravel())
    direction = transfer.direction(gradient).numpy().ravel()
    np.testing.assert_allclose(direction, expected, rtol=2e-3, atol=2e-4)
    assert not np.allclose(direction, first.ravel(), rtol=0.05)


class CountingScaling(LocalScaling):
    def __init__(self, size, power, base, blur):
        super().__init__(size, power, base, blur=blur)
        self.adaptations = 0

    def adapt(self, gradient):
        self.adaptations += 1
        super().adapt(gradient)


@pytest.mark.parametrize("base", ["none", "fourier"])
def test_lbfgs_with_local_scaling_reaches_the_clipped_quadratic_minimum(base, rng):
    target = tf.constant(rng.uniform(-0.5, 1.5, SHAPE), tf.float32)
    weights = tf.constant(rng.uniform(0.2, 5.0, SHAPE), tf.float32)
    preconditioner = CountingScaling(
        SHAPE[1:3], 0.75, make_preconditioner(base, SHAPE[1:3]), 1
    )
    transfer = Quadratic(
        target, weights, history_size=10, preconditioner=preconditioner
    )
    recorder = RunRecorder(60)
    transfer.run(60, recorder)
    losses = recorder.history["total"]
    assert all(b <= a for a, b in zip(losses, losses[1:], strict=False))
    image = transfer.image.numpy()
    assert image.min() >= 0.0 and image.max() <= 1.0
    np.testing.assert_allclose(image, np.clip(target.numpy(), 0, 1), atol=1e-3)
    expected = -(-transfer.iterations // ADAPT_EVERY)  # at 0, 5, 10, ...
    assert preconditioner.adaptations == expected


def test_make_preconditioner_wraps_the_base_only_when_asked():
    assert make_preconditioner("none", (8, 8)) is None
    assert isinstance(make_preconditioner("fourier", (8, 8)), FourierPreconditioner)
    wrapped = make_preconditioner("fourier", (8, 8), local=0.5)
    assert isinstance(wrapped, LocalScaling) and wrapped.power == 0.5
    assert isinstance(wrapped.base, FourierPreconditioner)
    assert make_preconditioner("none", (8, 8), local=0.5).base is None


def test_config_and_command_line_take_and_check_precondition_local():
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    args = parser.parse_args(
        "--optimizer lbfgs --lbfgs-backend tensorflow --precondition-local 0.5".split()
    )
    assert config_from_args(args).precondition_local == 0.5
    assert StyleTransferConfig().precondition_local == 0.0  # off by default
    with pytest.raises(ValueError, match="precondition_local needs lbfgs_backend"):
        StyleTransferConfig(optimizer="lbfgs", precondition_local=0.5)
    for bad in (-0.1, 2.5, float("nan")):
        with pytest.raises(ValueError, match="precondition_local"):
            StyleTransferConfig(lbfgs_backend="tensorflow", precondition_local=bad)
    with pytest.raises(UsageError):
        config_from_args(
            parser.parse_args(["--lbfgs-backend", "scipy", "--precondition-local", "1"])
        )


@pytest.mark.slow
def test_stylize_with_local_scaling_lowers_the_same_loss_in_bounds(
    real_extractor, tiny_config
):
    content, style = bundled_pair(40)
    config = dataclasses.replace(
        tiny_config,
        optimizer="lbfgs",
        lbfgs_backend="tensorflow",
        preconditioner="fourier",
        precondition_decay=0.5,
        precondition_local=0.75,
        steps_per_epoch=8,
        style_weight=1.0,
    )
    result = stylize(content, style, config, extractor=real_extractor)
    assert result.status == "completed", result.message
    total = result.history["total"]
    assert all(b <= a for a, b in zip(total, total[1:], strict=False))
    assert total[-1] < 0.5 * total[0]
    image = result.image
    assert float(tf.reduce_min(image)) >= 0.0 and float(tf.reduce_max(image)) <= 1.0
    # Only the path changes: the loss reported is the shared objective's.
    loss = StyleContentLoss.from_config(real_extractor, content, style, config)
    assert total[-1] == pytest.approx(float(loss(image)["total"]), rel=1e-4)
