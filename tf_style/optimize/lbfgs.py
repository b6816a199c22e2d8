"""L-BFGS, the optimiser of Gatys et al., through scipy's L-BFGS-B.

Gatys et al. (2016, "Image Style Transfer Using Convolutional Neural Networks")
optimise the image with L-BFGS; the TensorFlow tutorial uses Adam because it fits a
Keras training loop. L-BFGS builds a curvature model from recent gradients and needs
far fewer evaluations of the network to reach a given loss. scipy's L-BFGS-B also takes
box constraints, so the pixels stay in [0, 1] by construction instead of being clipped
after each step as the tutorial must.

:meth:`LBFGSTransfer.run` reports each iteration to a
:class:`tf_style.optimize.recorder.RunRecorder`, the interface Adam's
:class:`tf_style.optimize.adam.StyleTransfer` offers too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf
from threadpoolctl import threadpool_limits

from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import clip_0_1
from tf_style.objective import StyleContentLoss, compiled_loss_and_gradient
from tf_style.optimize.recorder import RunRecorder

if TYPE_CHECKING:
    import scipy.optimize


class NonFiniteLoss(ArithmeticError):
    """The loss at a point the line search tried was NaN or infinite.

    L-BFGS-B cannot recover from a non-finite value, so the run stops at once; the
    transfer's ``image`` is still the last accepted iterate.
    """

    def __init__(self, losses: dict[str, float]):
        super().__init__(f"non-finite loss: {losses}")
        self.losses = losses


class LBFGSTransfer:
    """State of one L-BFGS run: the compiled loss and gradient, the current iterate.

    The loss and its gradient come from ONE compiled ``tf.function`` of float32
    tensors; scipy works in float64, so :meth:`evaluate` converts at the boundary.

    Args:
        loss: the same :class:`StyleContentLoss` the Adam path uses.
        init_image: starting image, float32 ``[1, H, W, 3]``; clipped to [0, 1]
            because L-BFGS-B needs a feasible start.
        jit: compile the loss and gradient with XLA.
        history_size: correction pairs kept (scipy's ``maxcor``, L-BFGS's ``m``).

    Attributes:
        image: the last accepted iterate, float32 ``[1, H, W, 3]`` in [0, 1].

    Example:
        >>> transfer = LBFGSTransfer(loss, content_image)
        >>> transfer.minimize(100, on_iteration=print)
    """

    def __init__(
        self,
        loss: StyleContentLoss,
        init_image: tf.Tensor,
        *,
        jit: bool = False,
        history_size: int = 10,
        compiled: Callable | None = None,
    ):
        if history_size < 1:
            raise ValueError(f"history_size must be at least 1, got {history_size}.")
        self.loss = loss
        self.image = clip_0_1(tf.cast(init_image, tf.float32))
        self.shape = tuple(self.image.shape)
        self.history_size = history_size
        self._last: tuple[np.ndarray | None, dict[str, float]] = (None, {})
        self.evaluations = 0
        spec = tf.TensorSpec(self.shape, tf.float32)
        self.loss_and_gradient = compiled or compiled_loss_and_gradient(
            loss, jit=jit, input_signature=[spec]
        )

    @classmethod
    def from_config(
        cls,
        loss: StyleContentLoss,
        init_image: tf.Tensor,
        config: StyleTransferConfig,
        *,
        compiled: Callable | None = None,
    ) -> LBFGSTransfer:
        """The optimiser at ``init_image`` with ``config``'s settings; ``compiled``:
        ``loss``'s loss and gradient compiled by an earlier run
        (:mod:`tf_style.optimize.reuse`)."""
        return cls(
            loss,
            init_image,
            jit=config.jit,
            history_size=config.lbfgs_history,
            compiled=compiled,
        )

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """scipy's objective: flat float64 pixels to (loss, flat float64 gradient).

        Raises:
            NonFiniteLoss: a loss term is NaN or infinite at ``x``.
        """
        image = tf.constant(x.reshape(self.shape), dtype=tf.float32)
        self.evaluations += 1
        terms, gradient = self.loss_and_gradient(image)
        losses = {name: float(value) for name, value in terms.items()}
        if not all(math.isfinite(value) for value in losses.values()):
            raise NonFiniteLoss(losses)
        self._last = (x.copy(), losses)
        return losses["total"], gradient.numpy().astype(np.float64).ravel()

    def run(self, steps: int, recorder: RunRecorder) -> None:
        """Up to ``steps`` iterations into ``recorder``; says why scipy stopped early.

        A non-finite loss stops the run with ``image`` the last accepted iterate.
        """
        first, counted = recorder.steps, self.evaluations

        def record(losses: dict[str, float]) -> None:
            nonlocal counted
            recorder.record(losses, self.image, self.evaluations - counted)
            counted = self.evaluations

        try:
            reason = self.minimize(steps, record)
        except NonFiniteLoss as error:
            recorder.non_finite(error.losses)
            return
        done = recorder.steps - first
        if done < steps:  # e.g. the line search found no decrease (float32 noise)
            recorder.message = (
                f"L-BFGS-B stopped after {done} of {steps} steps: {reason}"
            )

    def minimize(
        self, iterations: int, on_iteration: Callable[[dict[str, float]], None]
    ) -> str:
        """Run up to ``iterations`` L-BFGS-B iterations within the box [0, 1].

        Args:
            iterations: the most iterations to run (scipy's ``maxiter``).
            on_iteration: called after each iteration with the loss terms of the new
                iterate, once ``image`` holds it. Exceptions it raises (such as
                ``KeyboardInterrupt``) stop the run and propagate.

        Returns:
            scipy's reason for stopping, e.g. that the iteration limit was reached.

        Raises:
            NonFiniteLoss: see :meth:`evaluate`; ``image`` keeps the last iterate.
        """

        def accept(intermediate_result: scipy.optimize.OptimizeResult) -> None:
            x = intermediate_result.x
            last_x, losses = self._last
            if last_x is None or not np.array_equal(x, last_x):
                losses = self._losses_at(x)  # rare: the accepted point is not the last
            self.image = tf.constant(x.reshape(self.shape), dtype=tf.float32)
            on_iteration(losses)

        # One BLAS thread: after each L-BFGS-B call OpenBLAS's idle threads spin and
        # take cores from TensorFlow; measured 15% slower evaluations on 2 cores.
        with threadpool_limits(limits=1, user_api="blas"):
            result = self._run_scipy(iterations, accept)
        return str(result.message)

    def _run_scipy(
        self, iterations: int, callback: Callable
    ) -> scipy.optimize.OptimizeResult:
        # Imported here: scipy.optimize is 0.5 s of a process's start, and only
        # this optimiser's runs need it.
        import scipy.optimize

        return scipy.optimize.minimize(
            self.evaluate,
            self.image.numpy().astype(np.float64).ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=scipy.optimize.Bounds(0.0, 1.0),
            callback=callback,
            # No tolerance stops: run the iterations asked for, as Adam does.
            options={
                "maxiter": iterations,
                "maxfun": 20 * iterations,
                "maxcor": self.history_size,
                "ftol": 0.0,
                "gtol": 0.0,
            },
        )

    def _losses_at(self, x: np.ndarray) -> dict[str, float]:
        self.evaluate(x)
        return self._last[1]


__all__ = ["LBFGSTransfer", "NonFiniteLoss"]
