"""Style, content and total-variation losses (pure functions).

The tutorial's ``style_content_loss`` split into its terms, so the optimisers, the
progress display and the quality measures all report the same numbers. Every function
takes the extractor's output dictionaries (see
:class:`tf_style.model.StyleContentModel`) and returns a float32 scalar.
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


def style_loss(
    style_outputs: Mapping[str, tf.Tensor],
    style_targets: Mapping[str, tf.Tensor],
    style_weight: float,
) -> tf.Tensor:
    """``style_weight / num_layers * sum_l mean((G_l - A_l)^2)`` over Gram matrices."""
    return style_weight * mean_squared_distance(style_outputs, style_targets)


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
