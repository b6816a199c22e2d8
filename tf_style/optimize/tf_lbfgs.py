"""L-BFGS in TensorFlow: the two-loop recursion on the device, the box by projection.

scipy's L-BFGS-B (:mod:`~tf_style.optimize.lbfgs`) works in float64 on the host: every
evaluation copies the image and its gradient across, and its own bookkeeping costs
about 31 ms per iteration at history 10 and 156 ms at 100 (256 px). On a GPU the round
trip dominates. Here everything stays a float32 tensor where the network runs; only
the loss (a scalar) comes back, for the line search.

The method (Nocedal and Wright, "Numerical Optimization", algorithms 7.4 and 7.5):

* the direction is ``-H g`` from the two-loop recursion over the last ``history``
  pairs ``(s, y)``, started from ``gamma * H0`` where ``H0`` is the identity or a
  fixed filter (:mod:`~tf_style.optimize.preconditioner`);
* pixels held at 0 or 1 whose gradient pushes outwards are left out of the direction
  (the active set of projected gradient methods), and every trial point is projected
  onto [0, 1], so the iterates stay in the box as with L-BFGS-B;
* the step is 1 (a first step moves the largest pixel by ``first_step``), shortened
  or lengthened by the line search of :mod:`~tf_style.optimize.line_search`
  (Armijo's test, a quadratic fit, Wolfe's curvature test and the secant);
* a pair is kept only with positive curvature ``s . y``, so ``H`` stays positive
  definite;
* an adaptive ``H0`` (:class:`~tf_style.optimize.preconditioner.LocalScaling`) is
  refreshed from the gradient every :data:`ADAPT_EVERY` iterations;
* the two-loop recursion is compiled with XLA (:data:`TWO_LOOP_XLA`): at 256 px and
  history 30 it took 14 ms instead of 31 ms per iteration on a 2-core CPU, with the
  same direction to float32 rounding (relative difference 3e-7); where XLA cannot
  compile it, the plain graph runs instead.

One iteration normally costs one evaluation; ``evaluations`` counts them all.
"""

from __future__ import annotations

import math

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import clip_0_1
from tf_style.objective import StyleContentLoss, compiled_loss_and_gradient
from tf_style.optimize.line_search import (
    ARMIJO,
    CURVATURE,
    MAX_BACKTRACKS,
    MAX_EXPANSIONS,
    free_pixels,
    lengthening,
    shortening,
)
from tf_style.optimize.preconditioner import (
    LocalScaling,
    Preconditioner,
    make_preconditioner,
)
from tf_style.optimize.recorder import RunRecorder

# Iterations between refreshes of an adaptive H0 (a prototype measured 1, 3 and 5
# alike at 256 px; each refresh is one blur of the gradient).
ADAPT_EVERY = 5
TWO_LOOP_XLA = True  # compile the two-loop recursion with XLA (falls back if it fails)


class TFLBFGSTransfer:
    """One projected L-BFGS run in TensorFlow: iterate, history and compiled loss.

    Args:
        loss: the same :class:`StyleContentLoss` the Adam path uses.
        init_image: float32 ``[1, H, W, 3]``; clipped to [0, 1].
        history_size: correction pairs kept (``m``); torch's ``optim.LBFGS``
            default, used by neural-style and pastiche, is 100.
        preconditioner: ``H0``, or None for the identity.
        first_step: how far the largest pixel moves in the first iteration (and
            after a reset), in [0, 1] units.
        jit: compile the loss and gradient with XLA.

    Attributes:
        image: the current iterate, float32 ``[1, H, W, 3]`` in [0, 1].
        evaluations: loss-and-gradient evaluations so far.
        iterations: iterations so far.
        two_loop_compiled: whether the two-loop recursion runs under XLA.
    """

    def __init__(
        self,
        loss: StyleContentLoss,
        init_image: tf.Tensor,
        *,
        history_size: int = 10,
        preconditioner: Preconditioner | None = None,
        first_step: float = 0.05,
        jit: bool = False,
    ):
        if history_size < 1:
            raise ValueError(f"history_size must be at least 1, got {history_size}.")
        self.loss = loss
        self.image = clip_0_1(tf.cast(init_image, tf.float32))
        self.shape = tuple(self.image.shape)
        self.history_size = history_size
        self.preconditioner = preconditioner
        self.first_step = first_step
        self.evaluations = 0
        self.iterations = 0
        size = math.prod(self.shape)
        self._s = tf.Variable(tf.zeros([history_size, size]), trainable=False)
        self._y = tf.Variable(tf.zeros([history_size, size]), trainable=False)
        self._rho = tf.Variable(tf.zeros([history_size]), trainable=False)
        self._count, self._newest = 0, -1
        self._gamma = tf.constant(1.0)
        spec = tf.TensorSpec(self.shape, tf.float32)
        self._evaluate = compiled_loss_and_gradient(
            self.loss, jit=jit, input_signature=[spec]
        )
        self._two_loop = tf.function(self._two_loop_recursion, jit_compile=TWO_LOOP_XLA)
        self._curvature = tf.function(self._pair_curvature)
        self._store = tf.function(self._store_pair)
        self.two_loop_compiled = TWO_LOOP_XLA
        self._state: tuple[dict[str, float], tf.Tensor] | None = None

    @classmethod
    def from_config(
        cls, loss: StyleContentLoss, init_image: tf.Tensor, config: StyleTransferConfig
    ) -> TFLBFGSTransfer:
        """The optimiser at ``init_image`` with ``config``'s settings."""
        return cls(
            loss,
            init_image,
            history_size=config.lbfgs_history,
            preconditioner=make_preconditioner(
                config.preconditioner,
                init_image.shape[1:3],
                config.precondition_decay,
                config.precondition_local,
            ),
            jit=config.jit,
        )

    def evaluate(self, image: tf.Tensor) -> tuple[dict[str, float], tf.Tensor]:
        """Loss terms (floats) and gradient at ``image``; counts the evaluation."""
        self.evaluations += 1
        terms, gradient = self._evaluate(image)
        return {name: float(value) for name, value in terms.items()}, gradient

    def run(self, steps: int, recorder: RunRecorder) -> None:
        """Up to ``steps`` iterations into ``recorder``, one step each.

        A non-finite loss at the current iterate stops the run; at a trial point it
        only shortens the step. The run stops early, saying why, when no step along
        the direction or the gradient decreases the loss (float32's limit).
        """
        counted = self.evaluations
        if self._state is None:
            self._state = self.evaluate(self.image)
        for _ in range(steps):
            losses, gradient = self._state
            if not all(math.isfinite(value) for value in losses.values()):
                recorder.non_finite(losses)
                return
            if not self.step(losses["total"], gradient):
                recorder.message = (
                    f"L-BFGS stopped after {recorder.steps} steps: no decrease "
                    f"along the search direction (the loss is at float32's "
                    f"resolution)"
                )
                return
            recorder.record(self._state[0], self.image, self.evaluations - counted)
            counted = self.evaluations

    def step(self, loss: float, gradient: tf.Tensor) -> bool:
        """One iteration from ``image``; False when no step decreased the loss."""
        if (
            isinstance(self.preconditioner, LocalScaling)
            and self.iterations % ADAPT_EVERY == 0
        ):
            self.preconditioner.adapt(gradient)
        self.iterations += 1
        direction = self.direction(gradient)
        if float(tf.reduce_sum(direction * gradient)) >= 0:  # not a descent direction
            self.reset()
            direction = self.direction(gradient)
        accepted = self.line_search(loss, gradient, direction)
        if accepted is None and self._count:
            self.reset()  # the curvature model misled; retry along the gradient
            accepted = self.line_search(loss, gradient, self.direction(gradient))
        if accepted is None:
            return False
        image, state = accepted
        self.remember(image - self.image, state[1] - gradient)
        self.image, self._state = image, state
        return True

    def direction(self, gradient: tf.Tensor) -> tf.Tensor:
        """``-H g`` over the free pixels; the active ones stay where they are."""
        free = free_pixels(self.image, gradient)
        flat = tf.reshape(gradient * free, [-1])
        if self._count:
            step = self.two_loop(flat)
        else:
            step = tf.reshape(self._initial(tf.reshape(flat, self.shape)), [-1])
        direction = -tf.reshape(step, self.shape) * free
        if not self._count:  # first iteration: scale the largest move to first_step
            largest = float(tf.reduce_max(tf.abs(direction)))
            direction = direction * (self.first_step / max(largest, 1e-12))
        return direction

    def two_loop(self, flat_gradient: tf.Tensor) -> tf.Tensor:
        """``H g`` over the stored pairs, compiled; the plain graph where XLA fails.

        XLA is not on every platform or for every op (the FFT of the Fourier
        preconditioner on some devices); a failure to compile is not the user's
        problem, so the recursion is traced again without it, once.
        """
        args = (
            flat_gradient,
            tf.constant(self._count),
            tf.constant(self._newest),
            self._gamma,
        )
        try:
            return self._two_loop(*args)
        except tf.errors.OpError:
            if not self.two_loop_compiled:  # a real error: the plain graph failed
                raise
            self._two_loop = tf.function(self._two_loop_recursion)
            self.two_loop_compiled = False
            return self._two_loop(*args)

    def line_search(
        self, loss: float, gradient: tf.Tensor, direction: tf.Tensor
    ) -> tuple[tf.Tensor, tuple[dict[str, float], tf.Tensor]] | None:
        """A step along the projected path ``clip(x + t d)`` from t = 1.

        A trial that fails Armijo's test is followed by a shorter one (the minimum
        of the quadratic through the loss, the slope and the trial's loss, kept in
        :data:`~tf_style.optimize.line_search.SHORTEN` of the step). An accepted
        trial whose end slope is still steeper than :data:`CURVATURE` times the
        start's is followed by a longer one, while the loss keeps falling; the best
        accepted point is returned.

        Returns:
            The accepted point and its (losses, gradient), or None.
        """
        step, best, expansions = 1.0, None, 0
        for _ in range(MAX_BACKTRACKS + MAX_EXPANSIONS):
            trial = clip_0_1(self.image + step * direction)
            state = self.evaluate(trial)
            new_loss = state[0]["total"]
            move = trial - self.image
            slope = float(tf.reduce_sum(gradient * move))  # first-order change
            sufficient = math.isfinite(new_loss) and new_loss <= loss + ARMIJO * slope
            if sufficient and (best is None or new_loss < best[1][0]["total"]):
                end_slope = float(tf.reduce_sum(state[1] * move))
                if end_slope >= CURVATURE * slope or expansions == MAX_EXPANSIONS:
                    return trial, state
                best, expansions = (trial, state), expansions + 1
                step *= lengthening(slope, end_slope)
                continue
            if best is not None:  # lengthening overshot: keep the last good step
                return best
            step *= shortening(loss, slope, new_loss)
        return best

    def remember(self, s: tf.Tensor, y: tf.Tensor) -> None:
        """Keep the pair ``(s, y)`` when its curvature ``s . y`` is positive."""
        s, y = tf.reshape(s, [-1]), tf.reshape(y, [-1])
        curvature, squared = self._curvature(s, y).numpy()
        if not curvature > 1e-10 * squared:
            return
        self._newest = (self._newest + 1) % self.history_size
        self._count = min(self._count + 1, self.history_size)
        self._gamma = self._store(
            tf.constant(self._newest), s, y, tf.constant(curvature, tf.float32)
        )

    def _pair_curvature(self, s: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """``[s . y, y . y]``, in one call (one wait for the device)."""
        return tf.stack([tf.reduce_sum(s * y), tf.reduce_sum(y * y)])

    def _store_pair(
        self, slot: tf.Tensor, s: tf.Tensor, y: tf.Tensor, curvature: tf.Tensor
    ) -> tf.Tensor:
        """Write the pair, whose ``s . y`` is ``curvature``, into ``slot`` of the
        history; returns its ``gamma``.

        ``gamma = s . y / y . H0 y`` scales ``H0`` to the newest curvature (Nocedal
        and Wright, eq. 7.20). The rows are written in place: assigning a slice of
        the history variable copied all of it (the whole update took 37 ms an
        iteration at history 30 and 256 px on a 2-core CPU, 9 ms this way).
        """
        rows = slot[None]
        self._s.scatter_update(tf.IndexedSlices(s[None], rows))
        self._y.scatter_update(tf.IndexedSlices(y[None], rows))
        self._rho.scatter_update(tf.IndexedSlices((1.0 / curvature)[None], rows))
        preconditioned_y = tf.reshape(self._initial(tf.reshape(y, self.shape)), [-1])
        return curvature / tf.reduce_sum(y * preconditioned_y)

    def reset(self) -> None:
        """Forget the curvature pairs (the next step is a scaled gradient step)."""
        self._count, self._newest = 0, -1

    def _initial(self, vector: tf.Tensor) -> tf.Tensor:
        """``H0 vector``: the preconditioner, or the identity."""
        if self.preconditioner is None:
            return vector
        return self.preconditioner(vector)

    def _two_loop_recursion(
        self, gradient: tf.Tensor, count: tf.Tensor, newest: tf.Tensor, gamma: tf.Tensor
    ) -> tf.Tensor:
        """``H gradient`` from the ``count`` pairs ending at slot ``newest``."""
        m = self.history_size
        # One read of each buffer: indexing the variable itself inside the loop
        # reads (copies) the whole history at every index, measured 75 ms per
        # iteration at history 30 and 256 px.
        pairs_s, pairs_y, rho = (tf.convert_to_tensor(v) for v in self._buffers)
        q = gradient
        # Every slot is visited and the ones past `count` masked out, indices are
        # gathers: XLA takes a loop bound, a TensorArray size or a slice index that
        # is a tensor as a constant, and compiled again (0.25 s) for every value.
        alphas = tf.TensorArray(tf.float32, size=m)
        for j in tf.range(m):  # newest to oldest
            i = (newest - j) % m
            used = tf.cast(j < count, tf.float32)
            alpha = used * tf.gather(rho, i) * tf.reduce_sum(tf.gather(pairs_s, i) * q)
            q = q - alpha * tf.gather(pairs_y, i)
            alphas = alphas.write(j, alpha)
        r = gamma * tf.reshape(self._initial(tf.reshape(q, self.shape)), [-1])
        for j in tf.range(m - 1, -1, -1):  # oldest to newest
            i = (newest - j) % m
            used = tf.cast(j < count, tf.float32)
            beta = tf.gather(rho, i) * tf.reduce_sum(tf.gather(pairs_y, i) * r)
            r = r + used * tf.gather(pairs_s, i) * (alphas.read(j) - beta)
        return r

    @property
    def _buffers(self) -> tuple[tf.Variable, tf.Variable, tf.Variable]:
        return self._s, self._y, self._rho


__all__ = [
    "ADAPT_EVERY",
    "TWO_LOOP_XLA",
    "TFLBFGSTransfer",
    "free_pixels",
    "lengthening",
    "shortening",
]
