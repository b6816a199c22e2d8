"""The TensorFlow L-BFGS and its preconditioner: the BFGS algebra, the box, the loss."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import bundled_pair
from tf_style.config import StyleTransferConfig
from tf_style.objective import StyleContentLoss, loss_and_gradient
from tf_style.optimize import stylize
from tf_style.optimize.preconditioner import (
    FourierPreconditioner,
    frequency_gain,
    make_preconditioner,
)
from tf_style.optimize.recorder import RunRecorder
from tf_style.optimize.tf_lbfgs import (
    MAX_EXPANSIONS,
    TFLBFGSTransfer,
    free_pixels,
    lengthening,
    shortening,
)

SHAPE = (1, 4, 5, 3)
SIZE = int(np.prod(SHAPE))


def matrix_of(operator, shape=SHAPE) -> np.ndarray:
    """The dense matrix of a linear operator on images of ``shape``."""
    size = int(np.prod(shape))
    columns = [
        operator(tf.reshape(tf.one_hot(i, size), shape)).numpy().ravel()
        for i in range(size)
    ]
    return np.stack(columns, axis=1)


class Quadratic(TFLBFGSTransfer):
    """``sum(w (x - t)^2)``: the box-constrained minimum is ``clip(t)``."""

    def __init__(self, target, weights, **kwargs):
        self.target, self.weights = target, weights
        super().__init__(None, tf.fill(target.shape, 0.5), **kwargs)

    def evaluate(self, image):
        self.evaluations += 1
        difference = image - self.target
        total = float(tf.reduce_sum(self.weights * difference**2))
        losses = {"total": total, "style": total, "content": 0.0, "variation": 0.0}
        return losses, 2.0 * self.weights * difference


def random_quadratic(rng) -> tuple[tf.Tensor, tf.Tensor]:
    """A target partly outside [0, 1] (so the box binds) and positive weights."""
    target = tf.constant(rng.uniform(-0.5, 1.5, SHAPE), tf.float32)
    weights = tf.constant(rng.uniform(0.2, 5.0, SHAPE), tf.float32)
    return target, weights


@pytest.mark.parametrize("preconditioned", [False, True])
def test_two_loop_recursion_is_the_bfgs_inverse_update(preconditioned, rng):
    preconditioner = (
        FourierPreconditioner(SHAPE[1:3], decay=1.0, color=True)
        if preconditioned
        else None
    )
    transfer = TFLBFGSTransfer(
        None, tf.fill(SHAPE, 0.5), history_size=3, preconditioner=preconditioner
    )
    h0 = matrix_of(preconditioner) if preconditioned else np.eye(SIZE)
    hessian = np.diag(rng.uniform(0.5, 3.0, SIZE))
    pairs = []
    for _ in range(5):  # more pairs than the history keeps: the oldest are dropped
        s = rng.normal(size=SIZE)
        pairs.append((s, hessian @ s))
        transfer.remember(
            tf.constant(s.reshape(SHAPE), tf.float32),
            tf.constant((hessian @ s).reshape(SHAPE), tf.float32),
        )
    s, y = pairs[-1]
    inverse = (s @ y) / (y @ h0 @ y) * h0
    for s, y in pairs[-3:]:
        rho = 1.0 / (s @ y)
        left = np.eye(SIZE) - rho * np.outer(s, y)
        inverse = left @ inverse @ left.T + rho * np.outer(s, s)
    gradient = rng.normal(size=SHAPE).astype(np.float32)
    expected = -(inverse @ gradient.ravel())
    direction = transfer.direction(tf.constant(gradient)).numpy().ravel()
    np.testing.assert_allclose(direction, expected, rtol=2e-3, atol=2e-4)


def test_pairs_without_positive_curvature_are_not_kept():
    transfer = TFLBFGSTransfer(None, tf.fill(SHAPE, 0.5))
    s = tf.ones(SHAPE)
    transfer.remember(s, -s)
    assert transfer._count == 0
    transfer.remember(s, s)
    assert transfer._count == 1


@pytest.mark.parametrize("preconditioner", [None, "fourier", "fourier-color"])
def test_box_constrained_quadratic_reaches_the_clipped_target(preconditioner, rng):
    target, weights = random_quadratic(rng)
    transfer = Quadratic(
        target,
        weights,
        history_size=10,
        preconditioner=make_preconditioner(preconditioner or "none", SHAPE[1:3]),
    )
    recorder = RunRecorder(60)
    transfer.run(60, recorder)
    losses = recorder.history["total"]
    assert all(b <= a for a, b in zip(losses, losses[1:], strict=False))  # Armijo
    image = transfer.image.numpy()
    assert image.min() >= 0.0 and image.max() <= 1.0
    np.testing.assert_allclose(image, np.clip(target.numpy(), 0, 1), atol=1e-3)
    assert transfer.evaluations >= recorder.steps


def line_search_on(weights: float, direction_scale: float):
    """One line search on ``weights * sum((x - 0.9)^2)`` from 0.5 along the gradient
    direction scaled so that step 1 moves each pixel by ``direction_scale``."""
    target = tf.fill(SHAPE, 0.9)
    transfer = Quadratic(target, tf.fill(SHAPE, weights))
    loss, gradient = transfer.evaluate(transfer.image)
    direction = -gradient / tf.reduce_max(tf.abs(gradient)) * direction_scale
    evaluations = transfer.evaluations
    accepted = transfer.line_search(loss["total"], gradient, direction)
    return transfer, accepted, transfer.evaluations - evaluations, loss["total"]


def test_a_far_too_short_step_is_lengthened_towards_the_minimum():
    # The minimum is 0.4 away; step 1 moves 0.001, where the loss is almost linear.
    transfer, (image, (losses, _)), evaluations, start = line_search_on(1.0, 0.001)
    moved = float(tf.reduce_max(tf.abs(image - transfer.image)))
    assert 0.02 < moved <= 0.8  # far beyond the unit step, not past twice the minimum
    assert losses["total"] < 0.9 * start
    assert 1 < evaluations <= MAX_EXPANSIONS + 1


def test_a_far_too_long_step_is_shortened_by_interpolation_in_few_evaluations():
    # Step 1 moves 50 (clipped to the box); halving alone would need ~7 trials.
    transfer, (image, (losses, _)), evaluations, start = line_search_on(1.0, 50.0)
    assert losses["total"] < start
    assert evaluations <= 4


def test_lengthening_aims_at_the_slopes_zero_within_limits():
    assert lengthening(-1.0, -0.5) == pytest.approx(2.0)  # zero at 2x the step
    assert lengthening(-1.0, -0.95) == pytest.approx(10.0)  # capped
    assert lengthening(-1.0, -2.0) == 10.0  # steepening: no zero ahead


def test_shortening_is_the_quadratics_minimum_within_limits():
    # f(t) = (t - 0.3)^2 - 0.09: f(0) = 0, slope -0.6, f(1) = 0.4; minimum at 0.3.
    assert shortening(0.0, -0.6, 0.4) == pytest.approx(0.3)
    assert shortening(0.0, -0.6, 1e6) == pytest.approx(0.1)  # at least a tenth
    assert shortening(0.0, -0.6, float("nan")) == 0.5


def test_free_pixels_hold_only_bound_pixels_pushed_outwards():
    image = tf.constant([0.0, 0.0, 1.0, 1.0, 0.5])
    gradient = tf.constant([1.0, -1.0, -1.0, 1.0, 1.0])
    np.testing.assert_array_equal(free_pixels(image, gradient), [0, 1, 0, 1, 1])


def test_preconditioner_is_symmetric_positive_definite_and_decay_0_is_identity():
    for color in (False, True):
        matrix = matrix_of(FourierPreconditioner(SHAPE[1:3], decay=1.0, color=color))
        np.testing.assert_allclose(matrix, matrix.T, atol=1e-5)
        assert np.linalg.eigvalsh(matrix).min() > 0
    identity = matrix_of(FourierPreconditioner(SHAPE[1:3], decay=0.0))
    np.testing.assert_allclose(identity, np.eye(SIZE), atol=1e-5)


def test_preconditioner_passes_low_frequencies_more_than_high():
    gain = frequency_gain((16, 16), decay=1.0)
    assert gain[0, 0] > gain[0, 4] > gain[8, 8]
    assert np.mean(gain**2) == pytest.approx(1.0, rel=1e-5)
    smooth = tf.ones((1, 16, 16, 3))
    checker = tf.constant(
        np.indices((16, 16)).sum(0)[None, :, :, None] % 2 * 2.0 - 1.0, tf.float32
    ) * tf.ones((1, 1, 1, 3))
    precondition = FourierPreconditioner((16, 16))
    ratio = lambda v: float(tf.norm(precondition(v)) / tf.norm(v))  # noqa: E731
    assert ratio(smooth) > 10 * ratio(checker)


@pytest.mark.slow
def test_same_objective_as_adam(real_extractor):
    content, style = bundled_pair(40)
    loss = StyleContentLoss(real_extractor, content, style)
    image = tf.clip_by_value(content + 0.1 * tf.random.normal(content.shape), 0, 1)
    transfer = TFLBFGSTransfer(loss, image)
    losses, gradient = transfer.evaluate(image)
    terms, expected = loss_and_gradient(loss, image)
    assert losses["total"] == pytest.approx(float(terms["total"]), rel=1e-6)
    expected = expected.numpy()  # graph and eager order sums differently (oneDNN)
    np.testing.assert_allclose(
        gradient.numpy(), expected, rtol=1e-3, atol=1e-3 * abs(expected).max()
    )


@pytest.mark.slow
@pytest.mark.parametrize("preconditioner", ["none", "fourier-color"])
def test_stylize_with_tensorflow_lbfgs_lowers_the_loss_in_bounds(
    real_extractor, tiny_config, preconditioner
):
    content, style = bundled_pair(40)
    config = dataclasses.replace(
        tiny_config,
        optimizer="lbfgs",
        lbfgs_backend="tensorflow",
        preconditioner=preconditioner,
        steps_per_epoch=8,
        style_weight=1.0,
    )
    reports = []
    result = stylize(
        content, style, config, extractor=real_extractor, callback=reports.append
    )
    assert result.status == "completed", result.message
    assert [r.step for r in reports] == list(range(1, 9))
    total = result.history["total"]
    assert all(b <= a for a, b in zip(total, total[1:], strict=False))
    assert total[-1] < 0.5 * total[0]
    evaluations = [r.evaluations for r in reports]
    assert evaluations == sorted(evaluations) and evaluations[0] >= 2
    image = result.image.numpy()
    assert image.min() >= 0.0 and image.max() <= 1.0


def test_config_refuses_a_preconditioner_for_scipy_and_a_zero_history():
    with pytest.raises(ValueError, match="lbfgs_backend 'tensorflow'"):
        StyleTransferConfig(optimizer="lbfgs", preconditioner="fourier")
    with pytest.raises(ValueError, match="lbfgs_history must be at least 1"):
        StyleTransferConfig(lbfgs_history=0)
    for name in ("lbfgs_backend", "preconditioner", "coarse_start", "upsampling"):
        with pytest.raises(ValueError, match=f"Unknown {name}"):
            StyleTransferConfig(**{name: "sideways"})


def test_two_loop_recursion_falls_back_to_the_plain_graph_where_xla_fails(rng):
    transfer = TFLBFGSTransfer(None, tf.fill(SHAPE, 0.5), history_size=3)
    s = tf.constant(rng.normal(size=SHAPE), tf.float32)
    transfer.remember(s, 2.0 * s)
    gradient = tf.reshape(tf.constant(rng.normal(size=SHAPE), tf.float32), [-1])
    compiled = transfer.two_loop(gradient).numpy()
    assert transfer.two_loop_compiled

    def unsupported(*args):
        raise tf.errors.InvalidArgumentError(None, None, "XLA cannot compile this")

    transfer._two_loop = unsupported
    plain = transfer.two_loop(gradient).numpy()
    assert not transfer.two_loop_compiled
    np.testing.assert_allclose(plain, compiled, rtol=1e-5, atol=1e-6)
    transfer._two_loop = unsupported  # the plain graph failing is a real error
    with pytest.raises(tf.errors.InvalidArgumentError):
        transfer.two_loop(gradient)


@pytest.mark.parametrize("steps", [2, 5])
def test_a_scale_of_n_steps_needs_only_n_minus_1_pairs(steps, rng):
    """The pair the last step stores is never used: keeping steps - 1 pairs (what
    memory.at_scale gives, two image-sized vectors less) reaches the same image."""
    from tf_style.memory.estimate import at_scale

    target, weights = random_quadratic(rng)
    config = StyleTransferConfig(optimizer="lbfgs", lbfgs_history=30)
    assert at_scale(config, steps).lbfgs_history == steps - 1
    images = []
    for history in (steps, at_scale(config, steps).lbfgs_history):
        transfer = Quadratic(target, weights, history_size=history)
        transfer.run(steps, RunRecorder(steps))
        images.append(transfer.image.numpy())
    np.testing.assert_array_equal(images[0], images[1])


def test_the_compiled_helpers_are_traced_once_in_a_run(rng):
    """The two-loop recursion (XLA: 0.6-0.9 s to compile at 48 x 64 px on a 2-core
    CPU), the curvature and the store are traced at their first call only: a
    retrace would pay that again mid-run."""
    target, weights = random_quadratic(rng)
    transfer = Quadratic(
        target,
        weights,
        history_size=4,
        preconditioner=make_preconditioner("fourier", SHAPE[1:3]),
    )
    transfer.run(8, RunRecorder(8))
    assert transfer._count == 4  # the history filled and wrapped around
    compiled = (transfer._two_loop, transfer._curvature, transfer._store)
    assert [f.experimental_get_tracing_count() for f in compiled] == [1, 1, 1]
