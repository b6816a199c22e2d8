"""Per-image loss terms of a batch: each image's loss is its own.

:class:`tf_style.objective.StyleContentLoss` is written for a batch of one: its
``tf.reduce_mean`` runs over the whole tensor, so for a batch it would average the
images' errors (and the gradient each image gets would shrink with the batch size).
Here every reduction keeps the batch axis: Gram matrices per batch element, content
error averaged over each image's own features, total variation per image. The terms
are ``[B]`` vectors; the optimiser differentiates their sum, and since no term mixes
images, image ``b``'s gradient is exactly the gradient it would get alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.losses import LOSS_NORMALIZATIONS
from tf_style.objective import blended_style_targets
from tf_style.vgg.model import StyleContentModel


def per_image_distance(
    outputs: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    layer_weights: Mapping[str, float] | None = None,
) -> tf.Tensor:
    """``sum_l w_l mean_b((outputs_l - targets_l)^2)``, one value per image: ``[B]``.

    The batched counterpart of :func:`tf_style.losses.mean_squared_distance` (equal
    weights) and ``weighted_squared_distance``. Targets of batch 1 broadcast.
    """
    names = list(outputs)
    if layer_weights is None:
        weights = {name: 1.0 / len(names) for name in names}
    else:
        total = sum(layer_weights.values())
        weights = {name: w / total for name, w in layer_weights.items()}
    per_layer = []
    for name in names:
        error = (outputs[name] - targets[name]) ** 2
        axes = list(range(1, error.shape.rank))
        per_layer.append(weights[name] * tf.reduce_mean(error, axis=axes))
    return tf.add_n(per_layer)


def per_image_terms(
    outputs: Mapping[str, Mapping[str, tf.Tensor]],
    images: tf.Tensor,
    style_targets: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    *,
    style_weight: float,
    content_weight: float,
    total_variation_weight: float,
    layer_weights: Mapping[str, float] | None = None,
    normalization: str = "tutorial",
) -> dict[str, tf.Tensor]:
    """The loss terms of every image of a batch, each ``[B]`` float32.

    Args:
        outputs: the extractor's output for ``images``.
        images: float32 ``[B, H, W, 3]`` in [0, 1].
        style_targets: ``{layer: [1, C, C]}`` (shared by all images).
        content_targets: ``{layer: [B, h, w, C]}``, one per image.

    Returns:
        ``{"total", "style", "content", "variation"}``, weighted, ``[B]`` each.
    """
    style = per_image_distance(outputs["style"], style_targets, layer_weights)
    terms = {
        "style": style_weight * LOSS_NORMALIZATIONS[normalization] * style,
        "content": content_weight
        * per_image_distance(outputs["content"], content_targets),
        "variation": total_variation_weight * tf.image.total_variation(images),
    }
    terms["total"] = terms["style"] + terms["content"] + terms["variation"]
    return terms


class BatchStyleContentLoss:
    """Per-image loss terms of ``[B, H, W, 3]`` images against their own contents.

    Args:
        extractor: the feature extractor.
        content_images: float32 ``[B, H, W, 3]`` in [0, 1]: image ``b`` is scored
            against content ``b``.
        style_image: one style image ``[1, H', W', 3]`` or several to blend; the
            same style for every image.
        config: weights, blend, layer weights and normalisation, as for
            :meth:`tf_style.objective.StyleContentLoss.from_config`. Masks are a
            single-image control and are not offered here.

    Example:
        >>> loss = BatchStyleContentLoss(extractor, contents, style, config)
        >>> loss(contents)["total"]  # shape [B]
    """

    def __init__(
        self,
        extractor: StyleContentModel,
        content_images: tf.Tensor,
        style_image: tf.Tensor | Sequence[tf.Tensor],
        config: StyleTransferConfig,
    ):
        self.extractor = extractor
        self.content_image = content_images
        self.style_targets = blended_style_targets(
            extractor, style_image, config.style_blend
        )
        self.content_targets = extractor(content_images)["content"]
        self.config = config
        self.layer_weights = (
            dict(zip(extractor.style_layers, config.style_layer_weights, strict=True))
            if config.style_layer_weights
            else None
        )

    def __call__(self, images: tf.Tensor, start=0, end=None) -> dict[str, tf.Tensor]:
        """Loss terms of ``images``, each ``[B]``.

        ``images`` are contents ``start:end`` (all by default): a replica of a
        distributed run scores only its share of the batch.
        """
        return per_image_terms(
            self.extractor(images),
            images,
            self.style_targets,
            {k: v[start:end] for k, v in self.content_targets.items()},
            style_weight=self.config.style_weight,
            content_weight=self.config.content_weight,
            total_variation_weight=self.config.total_variation_weight,
            layer_weights=self.layer_weights,
            normalization=self.config.loss_normalization,
        )


__all__ = ["BatchStyleContentLoss", "per_image_distance", "per_image_terms"]
