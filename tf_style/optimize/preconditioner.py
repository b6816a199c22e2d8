"""Preconditioners: fixed image-space filters that L-BFGS starts its curvature from.

L-BFGS approximates the inverse Hessian from recent gradient changes, starting each
iteration from ``gamma * H0``. The textbook ``H0`` is the identity: every pixel and
every frequency moves at the same rate. For an image that is a poor guess. The style
loss pulls hardest on fine texture, so plain gradient steps sharpen edges quickly and
shift broad colour regions slowly; the total-variation term stiffens the high
frequencies further.

``FourierPreconditioner`` is ``H0 = C C^T (x) F^-1 diag(g^2) F``: a gain ``g(f)``
falling with spatial frequency, ``1 / max(f, f_min) ** decay`` (Lucid's ``fft_image``
parametrisation, Olah et al., distill.pub 2018, "Differentiable Image
Parameterizations"), and optionally ImageNet's colour correlation ``C`` (Lucid's
``color_correlation_svd_sqrt``). Using ``H0`` in L-BFGS is the same as optimising in
that parametrisation, but the objective, the box [0, 1] and the iterates stay in pixel
space. ``H0`` is symmetric and positive definite, as L-BFGS needs.

``LocalScaling`` adds what a filter over frequencies cannot: the curvature also varies
*across* the image. Where the photo is busy (fur, edges) the gradient is large and a
step of a given size changes the loss far more than in a flat sky. Scaling ``H0`` by
``D = (|g| blurred) ** -power`` (Adam's per-pixel idea, from the gradient L-BFGS
already has) lets flat regions move further; ``D^1/2 B D^1/2`` keeps ``H0`` symmetric
positive definite around any base ``B``. ``D`` is refreshed from the current gradient
every few iterations (:data:`tf_style.optimize.tf_lbfgs.ADAPT_EVERY`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from tf_style.config import PRECONDITIONERS

# Lucid's colour correlation square root (ImageNet RGB, from an SVD of the pixel
# covariance); C C^T is then proportional to the covariance of natural RGB pixels.
COLOR_CORRELATION_SQRT = np.array(
    [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32
)


def frequency_gain(size: Sequence[int], decay: float) -> np.ndarray:
    """``1 / max(f, 1 / max(H, W)) ** decay`` on ``rfft2``'s grid, mean square 1.

    ``f`` is the spatial frequency in cycles per pixel; the floor keeps the constant
    (f = 0) term finite, at the lowest frequency the image holds. Normalised so that
    the filter leaves a white-noise image's energy unchanged.
    """
    height, width = (int(side) for side in size)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    frequency = np.sqrt(fx**2 + fy**2)
    gain = 1.0 / np.maximum(frequency, 1.0 / max(height, width)) ** decay
    return (gain / np.sqrt(np.mean(gain**2))).astype(np.float32)


class FourierPreconditioner:
    """``H0 v``: ``v`` filtered by ``gain**2`` in frequency (and colour-correlated).

    Args:
        size: the image's (H, W).
        decay: the gain's power law; 0 is the identity, 1 is Lucid's default.
        color: also apply ImageNet's colour covariance ``C C^T``.
    """

    def __init__(self, size: Sequence[int], *, decay: float = 1.0, color: bool = False):
        self.size = tuple(int(side) for side in size)
        self.filter = tf.constant(frequency_gain(self.size, decay) ** 2)
        color_matrix = COLOR_CORRELATION_SQRT @ COLOR_CORRELATION_SQRT.T
        # Scaled to unit trace / 3, so the colour part alone keeps the step size.
        color_matrix *= 3.0 / np.trace(color_matrix)
        self.color = tf.constant(color_matrix) if color else None

    def __call__(self, vector: tf.Tensor) -> tf.Tensor:
        """``H0 vector`` for a float32 ``[B, H, W, 3]`` tensor."""
        channels_first = tf.transpose(vector, [0, 3, 1, 2])
        spectrum = tf.signal.rfft2d(channels_first)
        filtered = tf.signal.irfft2d(
            spectrum * tf.cast(self.filter, tf.complex64), fft_length=self.size
        )
        result = tf.transpose(filtered, [0, 2, 3, 1])
        if self.color is not None:
            result = tf.einsum("bhwc,dc->bhwd", result, self.color)
        return result


# LocalScaling: the gradient's magnitude is averaged over LOCAL_BLUR x LOCAL_BLUR
# pixels (9 and 17 gave the same evaluation counts at 256 px; 1, the raw per-pixel
# gradient, lost the gain), and LOCAL_FLOOR (of its mean) keeps flat regions' scale
# bounded: D is at most LOCAL_FLOOR ** -power times the mean.
LOCAL_BLUR = 9
LOCAL_FLOOR = 0.1

Preconditioner = Callable[[tf.Tensor], tf.Tensor]


class LocalScaling:
    """``H0 v = D^1/2 B(D^1/2 v)``: a base ``B`` scaled by a per-pixel ``D``.

    ``D`` starts as 1 (``H0 = B``) and is set by :meth:`adapt` from a gradient:
    ``(m + LOCAL_FLOOR) ** -power`` with ``m`` the gradient's magnitude, averaged
    over the channels and a ``LOCAL_BLUR`` window and divided by its mean; ``D`` is
    then scaled to a mean square of 1, so the step's size is ``gamma``'s to set.

    Args:
        size: the image's (H, W).
        power: how strongly large gradients shrink the step; 0 leaves ``B``.
        base: ``B``, or None for the identity.
        blur: the averaging window's side in pixels.
    """

    def __init__(
        self,
        size: Sequence[int],
        power: float,
        base: Preconditioner | None = None,
        *,
        blur: int = LOCAL_BLUR,
    ):
        self.size = tuple(int(side) for side in size)
        self.power = float(power)
        self.base = base
        self.blur = blur
        # A variable, so compiled callers (the two-loop recursion) see each update.
        self.root = tf.Variable(tf.ones([1, *self.size, 1]), trainable=False)

    def adapt(self, gradient: tf.Tensor) -> None:
        """Set ``D`` from ``gradient`` (float32 ``[1, H, W, 3]``)."""
        self.root.assign(local_scale_root(gradient, self.power, self.blur))

    def __call__(self, vector: tf.Tensor) -> tf.Tensor:
        """``H0 vector`` for a float32 ``[B, H, W, 3]`` tensor."""
        scaled = self.root * vector
        if self.base is not None:
            scaled = self.base(scaled)
        return self.root * scaled


def local_scale_root(
    gradient: tf.Tensor, power: float, blur: int = LOCAL_BLUR
) -> tf.Tensor:
    """``D^1/2`` of :class:`LocalScaling`, ``[1, H, W, 1]``, from ``gradient``."""
    magnitude = tf.reduce_mean(tf.abs(gradient), axis=-1, keepdims=True)
    magnitude = box_mean(magnitude, blur)
    magnitude = magnitude / tf.maximum(tf.reduce_mean(magnitude), 1e-30)
    scale = (magnitude + LOCAL_FLOOR) ** -power
    scale = scale / tf.sqrt(tf.reduce_mean(scale * scale))
    return tf.sqrt(scale)


def box_mean(image: tf.Tensor, size: int) -> tf.Tensor:
    """The mean of ``[1, H, W, C]`` over a ``size`` x ``size`` window cut at the border.

    The same values as ``tf.nn.avg_pool2d(image, size, 1, "SAME")`` (padding is not
    counted), as a column pass then a row pass: one 9x9 pool over a 256x170 image took
    46 ms on a 2-core CPU, the two passes 15 ms.
    """
    columns = tf.nn.avg_pool2d(image, (size, 1), 1, "SAME")
    return tf.nn.avg_pool2d(columns, (1, size), 1, "SAME")


def make_preconditioner(
    name: str, size: Sequence[int], decay: float = 1.0, local: float = 0.0
) -> Preconditioner | None:
    """The preconditioner ``name`` (one of :data:`PRECONDITIONERS`) at ``size``.

    Args:
        name: none, fourier or fourier-color.
        size: the image's (H, W).
        decay: the Fourier gain's power law.
        local: :class:`LocalScaling`'s power around it; 0 for none.

    Returns:
        None for ``"none"`` with no local scaling (the identity).
    """
    if name not in PRECONDITIONERS:
        raise ValueError(
            f"Unknown preconditioner {name!r}; choose one of "
            f"{', '.join(PRECONDITIONERS)}."
        )
    base = (
        None
        if name == "none"
        else FourierPreconditioner(size, decay=decay, color=name == "fourier-color")
    )
    if local > 0:
        return LocalScaling(size, local, base)
    return base


__all__ = [
    "COLOR_CORRELATION_SQRT",
    "LOCAL_BLUR",
    "LOCAL_FLOOR",
    "PRECONDITIONERS",
    "FourierPreconditioner",
    "LocalScaling",
    "Preconditioner",
    "box_mean",
    "frequency_gain",
    "local_scale_root",
    "make_preconditioner",
]
