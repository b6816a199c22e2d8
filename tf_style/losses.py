"""Style, content and total-variation losses (pure functions).

The tutorial's ``style_content_loss`` split into its terms, so the optimisers, the
progress display and the quality measures all report the same numbers. Every function
takes the extractor's output dictionaries (see
:class:`tf_style.vgg.model.StyleContentModel`) and returns a float32 scalar, the sum
over the batch, or with ``per_image=True`` one value per image (``[B]``): images of a
batch never mix, so a batch of images is the same optimisation as each alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import tensorflow as tf

from tf_style.config import TUTORIAL
from tf_style.config.choices import TEMPORAL_WEIGHT


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
    LossTerm("temporal", "temporal consistency", "--temporal-weight"),
)
# The terms every run has; the temporal term only runs with temporal targets (video).
LOSS_TERMS: tuple[str, ...] = tuple(term.name for term in TERMS[:4])
OPTIONAL_TERMS: tuple[str, ...] = ("temporal",)


def present_terms(losses: Mapping[str, object]) -> tuple[str, ...]:
    """The terms ``losses`` reports, in the table's order."""
    return (*LOSS_TERMS, *(term for term in OPTIONAL_TERMS if term in losses))


@dataclass(frozen=True)
class TemporalTarget:
    """An earlier frame's result moved onto this frame, and where to trust it.

    Attributes:
        image: float32 ``[B, H, W, 3]``: the earlier output warped by the flow.
        weights: float32 ``[B, H, W, 1]`` in [0, 1]: Ruder et al.'s ``c`` (0 at
            disocclusions and motion boundaries).
    """

    image: tf.Tensor
    weights: tf.Tensor


@dataclass(frozen=True)
class StyleRegion:
    """A region as the loss takes it: tensors at the run's sizes.

    Attributes:
        mask: float32 ``[1, H, W, 1]`` in [0, 1], the content's size.
        style: float32 ``[1 or B, h, w, 3]`` in [0, 1].
        weight: the region's weight.
        style_mask: float32 ``[1, h', w', 1]`` in [0, 1], resized to the style.
    """

    mask: tf.Tensor
    style: tf.Tensor
    weight: float = 1.0
    style_mask: tf.Tensor | None = None


def per_image_distance(
    outputs: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    layer_weights: Mapping[str, float] | None = None,
) -> tf.Tensor:
    """``sum_l w_l mean((outputs_l - targets_l)^2)`` for each image: ``[B]``.

    The mean runs over each image's own values (every axis but the first), so the
    images of a batch never mix: image ``b``'s term, and its gradient, are what they
    would be alone. Targets of batch 1 (a style's Gram matrices) broadcast. The
    weights are normalised to sum to 1; equal (the tutorial's mean over layers)
    when None.

    Raises:
        ValueError: outputs, targets and weights name different layers, or no
            weight is positive.
    """
    if set(outputs) != set(targets):
        raise ValueError(
            f"Outputs have layers {sorted(outputs)} but targets have {sorted(targets)}."
        )
    means = {}
    for name in outputs:
        error = (outputs[name] - targets[name]) ** 2
        means[name] = tf.reduce_mean(error, axis=_image_axes(error))
    return layer_weighted_sum(means, layer_weights)


def layer_weighted_sum(
    per_layer: Mapping[str, tf.Tensor], layer_weights: Mapping[str, float] | None
) -> tf.Tensor:
    """``sum_l w_l per_layer_l`` with the weights normalised to sum to 1 (equal when
    None): how the layers' distances make one term, untiled or summed over tiles.

    Raises:
        ValueError: the weights name other layers, or none is positive.
    """
    if layer_weights is None:
        layer_weights = dict.fromkeys(per_layer, 1.0)
    if set(layer_weights) != set(per_layer):
        raise ValueError(
            f"Layer weights for {sorted(layer_weights)}, outputs and targets for "
            f"{sorted(per_layer)}: they must agree."
        )
    total = sum(layer_weights.values())
    if not total > 0:
        raise ValueError(f"Layer weights must sum above 0, got {dict(layer_weights)}.")
    return tf.add_n(
        [(weight / total) * per_layer[name] for name, weight in layer_weights.items()]
    )


def per_region_distance(
    outputs: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    layer_weights: Mapping[str, float] | None,
    region_weights: tf.Tensor | Sequence[float],
) -> tf.Tensor:
    """``sum_l w_l sum_r v_r mean_cd((G_lr - A_lr)^2)`` for each image: ``[B]``.

    Outputs and targets are ``[B or 1, R, C, C]``; the mean runs over each
    region's own Gram matrix, so a region's term is what a one-style run's would
    be for that region alone.
    """
    if set(outputs) != set(targets):
        raise ValueError(
            f"Outputs have layers {sorted(outputs)} but targets have {sorted(targets)}."
        )
    weights = tf.convert_to_tensor(region_weights, tf.float32)
    means = {}
    for name in outputs:
        error = (outputs[name] - targets[name]) ** 2
        means[name] = tf.reduce_sum(tf.reduce_mean(error, axis=[2, 3]) * weights, -1)
    return layer_weighted_sum(means, layer_weights)


def _image_axes(tensor: tf.Tensor) -> list[int]:
    return list(range(1, tensor.shape.rank))


def mean_squared_distance(
    outputs: Mapping[str, tf.Tensor], targets: Mapping[str, tf.Tensor]
) -> tf.Tensor:
    """Mean over layers of each layer's mean squared error, summed over images.

    For one image, the tutorial's ``tf.add_n([tf.reduce_mean(...)]) / n``.
    """
    return tf.reduce_sum(per_image_distance(outputs, targets))


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
    per_image: bool = False,
    region_weights: tf.Tensor | Sequence[float] | None = None,
) -> tf.Tensor:
    """``style_weight * sum_l w_l * mean((G_l - A_l)^2)`` over Gram matrices.

    Args:
        style_outputs, style_targets: ``{layer: Gram matrix}``.
        style_weight: the weight of the whole term.
        layer_weights: ``{layer: w_l}``, normalised to sum to 1; equal weights (the
            tutorial's mean over layers) when None.
        normalization: ``tutorial`` or ``paper`` (see :data:`LOSS_NORMALIZATIONS`).
        per_image: return each image's term (``[B]``) rather than their sum.
        region_weights: ``[R]``: the Gram matrices are regions' guided ones,
            ``[B, R, C, C]`` (:mod:`tf_style.vgg.guided`), and the term is
            ``sum_r v_r`` times each region's one-style term. Regions add, not
            average: one region of weight 1 covering the image is today's term.
    """
    if region_weights is None:
        distance = per_image_distance(style_outputs, style_targets, layer_weights)
    else:
        distance = per_region_distance(
            style_outputs, style_targets, layer_weights, region_weights
        )
    term = style_weight * LOSS_NORMALIZATIONS[normalization] * distance
    return term if per_image else tf.reduce_sum(term)


def weighted_squared_distance(
    outputs: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    layer_weights: Mapping[str, float],
) -> tf.Tensor:
    """``sum_l w_l mean((outputs_l - targets_l)^2)`` with the weights summing to 1,
    summed over images.

    Raises:
        ValueError: the weights name other layers, or none is positive.
    """
    return tf.reduce_sum(per_image_distance(outputs, targets, layer_weights))


def content_loss(
    content_outputs: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    content_weight: float,
    *,
    per_image: bool = False,
) -> tf.Tensor:
    """``content_weight / num_content_layers * sum_l mean((F_l - P_l)^2)``."""
    term = content_weight * per_image_distance(content_outputs, content_targets)
    return term if per_image else tf.reduce_sum(term)


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


def total_variation_loss(
    image: tf.Tensor, total_variation_weight: float, *, per_image: bool = False
) -> tf.Tensor:
    """``weight * tf.image.total_variation(image)``, summed over the batch.

    ``tf.image.total_variation`` sums the absolute differences of neighbouring pixels
    (an L1 penalty on the image's high frequencies), as the tutorial uses it; it is
    ``[B]`` already, one value per image (``per_image``).
    """
    term = total_variation_weight * tf.image.total_variation(image)
    return term if per_image else tf.reduce_sum(term)


def temporal_loss(
    image: tf.Tensor,
    targets: Sequence[TemporalTarget],
    temporal_weight: float,
    *,
    per_image: bool = False,
) -> tf.Tensor:
    """Ruder et al. 2016's temporal term: ``weight * sum_j mean(c_j (x - w_j)^2)``.

    ``w_j`` is an earlier result warped onto this frame and ``c_j`` its reliability;
    the mean runs over pixels and channels (their ``1 / D``). One target is the
    short-term term; several (frames further back) the long-term one. Elementwise,
    like the total variation, so tiles never need it: it is taken on the whole image.
    """
    axes = _image_axes(image)
    term = tf.add_n(
        [
            tf.reduce_mean(target.weights * (image - target.image) ** 2, axis=axes)
            for target in targets
        ]
    )
    term = temporal_weight * term
    return term if per_image else tf.reduce_sum(term)


def with_total(
    terms: dict[str, tf.Tensor],
    image: tf.Tensor,
    temporal: Sequence[TemporalTarget] = (),
    temporal_weight: float = TEMPORAL_WEIGHT,
) -> dict[str, tf.Tensor]:
    """``terms`` (style, content, variation) with the temporal term where there are
    targets, and their ``total``: the last step of every evaluation, whole or tiled."""
    if temporal:
        terms["temporal"] = temporal_loss(
            image, temporal, temporal_weight, per_image=True
        )
    terms["total"] = tf.add_n(list(terms.values()))
    return terms


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
