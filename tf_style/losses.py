"""Style, content and total-variation losses (pure functions).

The tutorial's ``style_content_loss`` split into its terms, so the optimisers, the
progress display and the quality measures all report the same numbers. Every function
takes the extractor's output dictionaries (see
:class:`tf_style.vgg.model.StyleContentModel`) and returns a float32 scalar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import tensorflow as tf

from tf_style.config import TUTORIAL


@dataclass(frozen=True)
class LossTerm:
    """One term of the loss: its key, how reports name it, the setting weighting it."""

    name: str
    label: str
    setting: str | None


# The one table of loss terms; every history, report and plot follows its order.
TERMS: tuple[LossTerm, ...] = (
    LossTerm("total", "total (the loss)", None),
    LossTerm("style", "style distance", "style_weight"),
    LossTerm("content", "content distance", "content_weight"),
    LossTerm("variation", "total variation", "total_variation_weight"),
)
LOSS_TERMS: tuple[str, ...] = tuple(term.name for term in TERMS)


def mean_squared_distance(
    outputs: Mapping[str, tf.Tensor], targets: Mapping[str, tf.Tensor]
) -> tf.Tensor:
    """Mean over layers of each layer's mean squared error (unweighted).

    Raises:
        ValueError: outputs and targets name different layers.
    """
    if set(outputs) != set(targets):
        raise ValueError(
            f"Outputs have layers {sorted(outputs)} but targets have {sorted(targets)}."
        )
    per_layer = [
        tf.reduce_mean((outputs[name] - targets[name]) ** 2) for name in outputs
    ]
    return tf.add_n(per_layer) / len(per_layer)


# Per-layer style loss: the tutorial's mean of the squared Gram difference, or Gatys
# et al.'s E_l = sum (G - A)^2 / (4 N^2 M^2) with unnormalised Grams (G = F F^T).
# gram_matrix already divides by M (the locations), so the paper's E_l is the
# tutorial's mean over the N^2 entries divided by 4: the same shape, a quarter.
LOSS_NORMALIZATIONS: dict[str, float] = {"tutorial": 1.0, "paper": 0.25}


def style_loss(
    style_outputs: Mapping[str, tf.Tensor],
    style_targets: Mapping[str, tf.Tensor],
    style_weight: float,
    *,
    layer_weights: Mapping[str, float] | None = None,
    normalization: str = "tutorial",
) -> tf.Tensor:
    """``style_weight * sum_l w_l * mean((G_l - A_l)^2)`` over Gram matrices.

    Args:
        style_outputs, style_targets: ``{layer: Gram matrix}``.
        style_weight: the weight of the whole term.
        layer_weights: ``{layer: w_l}``, normalised to sum to 1; equal weights (the
            tutorial's mean over layers) when None.
        normalization: ``tutorial`` or ``paper`` (see :data:`LOSS_NORMALIZATIONS`).
    """
    if layer_weights is None:
        distance = mean_squared_distance(style_outputs, style_targets)
    else:
        distance = weighted_squared_distance(
            style_outputs, style_targets, layer_weights
        )
    return style_weight * LOSS_NORMALIZATIONS[normalization] * distance


def weighted_squared_distance(
    outputs: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    layer_weights: Mapping[str, float],
) -> tf.Tensor:
    """``sum_l w_l mean((outputs_l - targets_l)^2)`` with the weights summing to 1.

    Raises:
        ValueError: the weights name other layers, or none is positive.
    """
    if set(layer_weights) != set(outputs) or set(outputs) != set(targets):
        raise ValueError(
            f"Layer weights for {sorted(layer_weights)}, outputs for "
            f"{sorted(outputs)}, targets for {sorted(targets)}: they must agree."
        )
    total = sum(layer_weights.values())
    if not total > 0:
        raise ValueError(f"Layer weights must sum above 0, got {dict(layer_weights)}.")
    per_layer = [
        (weight / total) * tf.reduce_mean((outputs[name] - targets[name]) ** 2)
        for name, weight in layer_weights.items()
    ]
    return tf.add_n(per_layer)


def content_loss(
    content_outputs: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    content_weight: float,
) -> tf.Tensor:
    """``content_weight / num_content_layers * sum_l mean((F_l - P_l)^2)``."""
    return content_weight * mean_squared_distance(content_outputs, content_targets)


def high_pass_x_y(image: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The tutorial's ``high_pass_x_y``: differences between neighbouring pixels.

    Args:
        image: float32 ``[batch, H, W, C]``.

    Returns:
        ``(x_var, y_var)``: ``[batch, H, W-1, C]`` horizontal and ``[batch, H-1, W, C]``
        vertical deltas. ``tf.image.total_variation`` is the sum of their absolute
        values.
    """
    x_var = image[:, :, 1:, :] - image[:, :, :-1, :]
    y_var = image[:, 1:, :, :] - image[:, :-1, :, :]
    return x_var, y_var


def total_variation_loss(image: tf.Tensor, total_variation_weight: float) -> tf.Tensor:
    """``weight * tf.image.total_variation(image)``, summed over the batch.

    ``tf.image.total_variation`` sums the absolute differences of neighbouring pixels
    (an L1 penalty on the image's high frequencies), as the tutorial uses it.
    """
    return total_variation_weight * tf.reduce_sum(tf.image.total_variation(image))


def style_content_loss(
    outputs: Mapping[str, Mapping[str, tf.Tensor]],
    style_targets: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    *,
    style_weight: float = TUTORIAL.style_weight,
    content_weight: float = TUTORIAL.content_weight,
) -> tf.Tensor:
    """The tutorial's ``style_content_loss``: weighted style plus content loss."""
    return style_loss(outputs["style"], style_targets, style_weight) + content_loss(
        outputs["content"], content_targets, content_weight
    )
