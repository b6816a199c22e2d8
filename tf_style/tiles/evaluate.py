"""The tiled loss: its terms and exact gradient from the two passes over tiles.

Pass 1 (:func:`~tf_style.tiles.passes.tiled_features`) leaves small sums of the
whole image: each style layer's Gram matrix and each content layer's squared
distance. The loss terms follow from them exactly as
:class:`tf_style.objective.StyleContentLoss` computes them, and so do their
derivatives, the *seeds* of pass 2: ``D_l = dL/dG_l`` (a C x C matrix per style
layer) and ``c_l = dL/dS_l`` (a number per content layer). Pass 2
(:func:`~tf_style.tiles.passes.backward`) turns them into the gradient; the total
variation, a cheap elementwise sum, is differentiated on the whole image.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np
import tensorflow as tf

from tf_style.losses import (
    TemporalTarget,
    layer_weighted_sum,
    style_loss,
    temporal_loss,
    total_variation_loss,
    with_total,
)
from tf_style.tiles.passes import Pass, backward, tiled_features
from tf_style.tiles.tiling import Tiling
from tf_style.vgg.guided import Guides
from tf_style.vgg.model import StyleContentModel


class TiledObjective(Protocol):
    """What the tiled evaluation reads of :class:`tf_style.objective.StyleContentLoss`
    (described here, not imported: that class builds on this module)."""

    extractor: StyleContentModel
    tiling: Tiling
    style_targets: Mapping[str, tf.Tensor]
    content_targets: Mapping[str, np.ndarray]
    style_weight: float
    content_weight: float
    total_variation_weight: float
    layer_weights: Mapping[str, float] | None
    loss_normalization: str
    temporal: Sequence[TemporalTarget]
    temporal_weight: float
    guides: Guides | None  # the regions' (None: one style everywhere)
    region_weights: tf.Tensor | None

    def compose(self, image: tf.Tensor) -> tf.Tensor: ...


def content_distance(
    sums: Mapping[str, tf.Tensor],
    sizes: Mapping[str, tuple[int, int, int]],
    content_weight: float,
) -> tf.Tensor:
    """The content term from the whole image's sums: the tutorial's mean, per image."""
    means = {
        name: value / float(math.prod(sizes[name])) for name, value in sums.items()
    }
    return content_weight * layer_weighted_sum(means, None)


def loss_terms(
    loss: TiledObjective, first: Pass, composed: tf.Tensor
) -> dict[str, tf.Tensor]:
    """Each image's terms (``[B]``) from pass 1's sums, as the untiled loss's."""
    terms = {
        "style": style_loss(
            first.grams,
            loss.style_targets,
            loss.style_weight,
            layer_weights=loss.layer_weights,
            normalization=loss.loss_normalization,
            per_image=True,
            region_weights=loss.region_weights,
        ),
        "content": content_distance(first.sums, first.sizes, loss.content_weight),
        "variation": total_variation_loss(
            composed, loss.total_variation_weight, per_image=True
        ),
    }
    return with_total(terms, composed, loss.temporal, loss.temporal_weight)


def tiled_loss_and_gradient(
    loss: TiledObjective, image: tf.Tensor, *, scaled_to: float | None = None
) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """Each image's loss terms (``[B]``) and the exact gradient of their total.

    Args:
        loss: a :class:`~tf_style.objective.StyleContentLoss` with ``tiling`` set.
        image: float32 ``[B, H, W, 3]`` in [0, 1].
        scaled_to: back-propagate the network's loss scaled to this and divide
            the gradient by the scale (float16's loss scaling; None: unscaled).
    """
    image = tf.convert_to_tensor(image, tf.float32)
    with tf.GradientTape() as compose_tape:
        compose_tape.watch(image)
        composed = loss.compose(image)
    first = tiled_features(
        loss.extractor,
        composed,
        loss.tiling,
        content_targets=loss.content_targets,
        keep=True,
        guides=loss.guides,
    )
    terms, seeds = loss_seeds(loss, first, composed, scaled_to)
    style_seeds, content_seeds, scale = seeds
    network = backward(
        loss.extractor,
        first,
        loss.tiling,
        style_seeds,
        content_seeds,
        loss.content_targets,
        loss.guides,
    )
    # In place, and the elementwise terms' gradient only now, after pass 2 has
    # freed its maps: at print size each image-sized array costs ~130 MB.
    if scaled_to is not None:
        network /= float(scale)
    add_variation_gradient(network, composed, loss.total_variation_weight)
    if loss.temporal:
        network += temporal_gradient(loss, composed).numpy()
    if composed is image:  # no mask: the composition is the identity
        return terms, tf.constant(network)
    return terms, compose_tape.gradient(composed, image, output_gradients=network)


def loss_seeds(
    loss: TiledObjective,
    first: Pass,
    composed: tf.Tensor,
    scaled_to: float | None,
) -> tuple[dict[str, tf.Tensor], tuple]:
    """The terms and the seeds of pass 2.

    The seeds are the derivatives of the network's terms with respect to pass 1's
    sums: ``dL/dG_l`` per style layer, ``dL/dS_l`` per content layer, times
    ``scale`` (float16's loss scaling, else 1), returned third.
    """
    grams, sums = dict(first.grams), dict(first.sums)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([grams, sums])
        terms = loss_terms(loss, replace(first, grams=grams, sums=sums), composed)
        network_total = tf.reduce_sum(terms["style"] + terms["content"])
    scale = (
        1.0
        if scaled_to is None
        else scaled_to / tf.maximum(tf.stop_gradient(network_total), 1e-30)
    )
    style = {k: v * scale for k, v in tape.gradient(network_total, grams).items()}
    content = {k: v * scale for k, v in tape.gradient(network_total, sums).items()}
    return terms, (style, content, scale)


# Rows of the image whose total-variation gradient is taken at once (bounds the
# temporaries to a strip instead of several image-sized arrays).
VARIATION_ROWS = 256


def add_variation_gradient(
    gradient: np.ndarray, image: tf.Tensor | np.ndarray, weight: float
) -> None:
    """Add the gradient of ``weight * tf.image.total_variation(image)`` to
    ``gradient`` in place, a strip of rows at a time.

    The same numbers TensorFlow's gradient gives (``weight * sign`` of each
    neighbour difference, added to one pixel and taken from the other), without
    its image-sized temporaries: through a tape the term cost about five image
    copies of memory at print size, more than any other step of an evaluation.
    """
    image = np.asarray(image, np.float32)
    height = image.shape[1]
    for top in range(0, height, VARIATION_ROWS):
        rows = slice(top, min(top + VARIATION_ROWS, height))
        across = np.sign(image[:, rows, 1:] - image[:, rows, :-1]) * weight
        gradient[:, rows, 1:] += across
        gradient[:, rows, :-1] -= across
        below = slice(top + 1, min(top + VARIATION_ROWS, height - 1) + 1)
        if below.start >= below.stop:
            continue
        down = np.sign(image[:, below] - image[:, below.start - 1 : below.stop - 1])
        down *= weight
        gradient[:, below] += down
        gradient[:, below.start - 1 : below.stop - 1] -= down


def temporal_gradient(loss: TiledObjective, composed: tf.Tensor) -> tf.Tensor:
    """The gradient of a video frame's temporal term, taken on the whole image (an
    elementwise sum over pixels: tiles never need it)."""
    with tf.GradientTape() as tape:
        tape.watch(composed)
        term = temporal_loss(composed, loss.temporal, loss.temporal_weight)
    return tape.gradient(term, composed)


__all__ = [
    "VARIATION_ROWS",
    "TiledObjective",
    "add_variation_gradient",
    "content_distance",
    "loss_seeds",
    "loss_terms",
    "temporal_gradient",
    "tiled_loss_and_gradient",
]
