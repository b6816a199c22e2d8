"""StyleContentLoss: the one loss that Adam, L-BFGS and the quality measures share.

It holds what stays fixed during a run: the feature extractor, the style targets
(Gram matrices of the style image) and the content targets (features of the content
image), computed once, not per step as a naive loop would. :func:`loss_and_gradient`
is the tutorial's ``GradientTape`` block that both optimisers call.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import tensorflow as tf

from tf_style.config import TUTORIAL, StyleTransferConfig
from tf_style.losses import (
    TEMPORAL_WEIGHT,
    StyleRegion,
    TemporalTarget,
    content_loss,
    style_loss,
    total_variation_loss,
    with_total,
)
from tf_style.style_targets import blended_style_targets, region_targets
from tf_style.tiles.evaluate import loss_terms, tiled_loss_and_gradient
from tf_style.tiles.passes import tiled_features
from tf_style.tiles.tiling import Tiling
from tf_style.vgg.guided import Guides
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import extractor_precision


class StyleContentLoss:
    """Loss terms of any image against fixed style and content targets.

    Args:
        extractor: the feature extractor.
        content_image: float32 ``[B, H, W, 3]`` in [0, 1] (B = 1: one image, as in
            the tutorial); images scored later must have this shape (content
            features are compared location by location), image ``b`` against
            content ``b``.
        style_image: float32 ``[1, H', W', 3]`` in [0, 1], any size, shared by every
            image; or ``[B, H', W', 3]``, one per image (a style colour-matched to
            each content); or a sequence of either, whose Gram matrices are blended
            by ``style_blend``.
        style_weight, content_weight, total_variation_weight: the tutorial's weights.
        style_blend: one weight per style image, normalised to sum to 1 (equal when
            empty).
        style_layer_weights: one weight per style layer (normalised); the
            tutorial's mean over layers when empty.
        loss_normalization: ``tutorial`` or ``paper`` (see
            :data:`tf_style.losses.LOSS_NORMALIZATIONS`).
        mask: float32 ``[1 or B, H, W, 1]`` in [0, 1], the content's size: where the
            style applies (1) and where the content is kept (0). Every image is
            composited with the content through it before it is scored, so the
            gradient outside the mask is zero and the result keeps the content there.
        tiling: evaluate VGG19 tile by tile (:mod:`tf_style.tiles`), for images
            whose whole activations would not fit in memory; the same terms and
            gradient, exactly. None: the whole image at once.
        temporal: earlier frames' results warped onto this one (a video's
            frame, :mod:`tf_style.video`); adds the ``temporal`` term.
        temporal_weight: its weight.
        regions: several styles, each where its mask says (:mod:`tf_style.regions`):
            the style term becomes the sum of the regions' guided terms, with
            ``style_image`` (may then be empty) painting what no mask covers.

    Example:
        >>> loss = StyleContentLoss(extractor, content, style)
        >>> terms = loss(content)  # {"total", "style", "content", "variation"}
    """

    def __init__(
        self,
        extractor: StyleContentModel,
        content_image: tf.Tensor,
        style_image: tf.Tensor | Sequence[tf.Tensor],
        *,
        style_weight: float = TUTORIAL.style_weight,
        content_weight: float = TUTORIAL.content_weight,
        total_variation_weight: float = TUTORIAL.total_variation_weight,
        style_blend: Sequence[float] = (),
        style_layer_weights: Sequence[float] = (),
        loss_normalization: str = TUTORIAL.loss_normalization,
        mask: tf.Tensor | None = None,
        tiling: Tiling | None = None,
        temporal: Sequence[TemporalTarget] = (),
        temporal_weight: float = TEMPORAL_WEIGHT,
        regions: Sequence[StyleRegion] = (),
    ):
        self.extractor = extractor
        self.tiling = tiling
        self.content_image = content_image
        self.content_shape = tuple(content_image.shape)
        self.batch = int(content_image.shape[0])
        has_style = isinstance(style_image, tf.Tensor) or bool(style_image)
        grams_of = None if tiling is None else partial(tiled_grams, extractor, tiling)
        self.style_targets = (
            blended_style_targets(
                extractor, style_image, style_blend, grams_of=grams_of
            )
            if has_style or not regions
            else None
        )
        self.guides, self.region_weights = None, None
        if regions:
            guided = region_targets(
                extractor,
                tuple(content_image.shape[1:3]),
                regions,
                self.style_targets,
                grams_of=grams_of,
            )
            self.style_targets = guided.style_targets
            self.guides, self.region_weights = guided.guides, guided.weights
        self.content_targets = (
            extractor(content_image)["content"]
            if tiling is None
            else tiled_features(extractor, content_image, tiling).contents
        )
        self.style_weight = float(style_weight)
        self.content_weight = float(content_weight)
        self.total_variation_weight = float(total_variation_weight)
        self.layer_weights = (
            dict(zip(extractor.style_layers, style_layer_weights, strict=True))
            if style_layer_weights
            else None
        )
        self.loss_normalization = loss_normalization
        self.mask = mask
        self.temporal = tuple(temporal)
        self.temporal_weight = float(temporal_weight)

    @classmethod
    def from_config(
        cls,
        extractor: StyleContentModel,
        content_image: tf.Tensor,
        style_image: tf.Tensor | Sequence[tf.Tensor],
        config: StyleTransferConfig,
        *,
        mask: tf.Tensor | None = None,
        tiling: Tiling | None = None,
        temporal: Sequence[TemporalTarget] = (),
        temporal_weight: float = TEMPORAL_WEIGHT,
        regions: Sequence[StyleRegion] = (),
    ) -> StyleContentLoss:
        """Build with the weights, blend and normalisation of ``config``."""
        return cls(
            extractor,
            content_image,
            style_image,
            style_weight=config.style_weight,
            content_weight=config.content_weight,
            total_variation_weight=config.total_variation_weight,
            style_blend=config.style_blend,
            style_layer_weights=config.style_layer_weights,
            loss_normalization=config.loss_normalization,
            mask=mask,
            tiling=tiling,
            temporal=temporal,
            temporal_weight=temporal_weight,
            regions=regions,
        )

    def compose(self, image: tf.Tensor, start=0, end=None) -> tf.Tensor:
        """``image`` inside the mask, the content outside (``image`` when no mask)."""
        if self.mask is None:
            return image
        mask = self.mask if self.mask.shape[0] == 1 else self.mask[start:end]
        return mask * image + (1.0 - mask) * self.content_image[start:end]

    def __call__(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        """Loss terms of ``image`` (float32 ``[B, H, W, 3]``, the content's size).

        Returns:
            ``{"total", "style", "content", "variation"}``, weighted float32 scalars
            summed over the batch (one image: its terms); ``total`` is their sum.
        """
        return {name: tf.reduce_sum(term) for name, term in self.terms(image).items()}

    def terms(
        self, image: tf.Tensor, start: int | tf.Tensor = 0, end=None
    ) -> dict[str, tf.Tensor]:
        """Each image's loss terms, ``[B]`` each: image ``b`` against content ``b``.

        ``image`` holds images ``start:end`` of the batch (all by default): a
        replica of a distributed run scores only its share.
        """
        contents = {k: v[start:end] for k, v in self.content_targets.items()}
        styles = {  # shared (batch 1) or per image (colour-matched styles)
            k: v if v.shape[0] == 1 else v[start:end]
            for k, v in self.style_targets.items()
        }
        image = tf.convert_to_tensor(image, tf.float32)  # an array, as from a file
        if self.tiling is not None:
            if (start, end) != (0, None):
                raise ValueError("a tiled loss scores the whole batch at once.")
            composed = self.compose(image)
            first = tiled_features(
                self.extractor,
                composed,
                self.tiling,
                content_targets=self.content_targets,
                guides=self.guides,
            )
            return loss_terms(self, first, composed)
        image = self.compose(image, start, end)
        temporal = [
            TemporalTarget(t.image[start:end], t.weights[start:end])
            for t in self.temporal
        ]
        return self.scored(image, contents, styles, temporal)

    def scored(
        self,
        image: tf.Tensor,
        content_targets: dict[str, tf.Tensor],
        style_targets: dict[str, tf.Tensor] | None = None,
        temporal: Sequence[TemporalTarget] = (),
    ) -> dict[str, tf.Tensor]:
        """Each image's terms (``[B]``) against the targets given, with this loss's
        weights, layer weights and normalisation.

        :meth:`terms` calls it with the run's fixed targets; a network in training
        (:mod:`tf_style.fit`) calls it with each batch's own content features (and,
        for an arbitrary-style network, each image's own style's Gram matrices), so
        optimisation and training share one loss.

        Args:
            image: float32 ``[B, H, W, 3]`` in [0, 1], already composed.
            content_targets: ``{layer: [B, h, w, C]}`` (or batch 1, shared).
            style_targets: ``{layer: [1 or B, C, C]}``; this loss's when None.
            temporal: earlier frames warped onto these images.
        """
        outputs = (
            self.extractor(image)
            if self.guides is None
            else self.extractor.guided(image, self.guides)
        )
        terms = {
            "style": style_loss(
                outputs["style"],
                self.style_targets if style_targets is None else style_targets,
                self.style_weight,
                layer_weights=self.layer_weights,
                normalization=self.loss_normalization,
                per_image=True,
                region_weights=self.region_weights,
            ),
            "content": content_loss(
                outputs["content"], content_targets, self.content_weight, per_image=True
            ),
            "variation": total_variation_loss(
                image, self.total_variation_weight, per_image=True
            ),
        }
        return with_total(terms, image, temporal, self.temporal_weight)


def tiled_grams(
    extractor: StyleContentModel,
    tiling: Tiling,
    image: tf.Tensor,
    guides: Guides | None,
) -> dict[str, tf.Tensor]:
    """An image's Gram matrices tile by tile (a style image as large as a print)."""
    return tiled_features(extractor, image, tiling, guides=guides).grams


# The float16 loss is scaled to this before differentiating. Measured on the
# tutorial's loss: a scaled loss of 1 underflows at 256 px (gradient cosine to
# float32 -0.14), the unscaled ~5e9 overflows at 64 px; 1e2 to 1e6 give a cosine
# above 0.999 at 256 px.
FLOAT16_SCALED_LOSS = 2.0**14


# AutoGraph for the compiled loss and step: they hold no tensor control flow, yet it
# rewrote every function they call, ~2 s of a process's first run (first_step.py).
AUTOGRAPH = False


def compiled_loss_and_gradient(
    loss: StyleContentLoss,
    *,
    jit: bool = False,
    input_signature: list[tf.TensorSpec] | None = None,
):
    """:func:`loss_and_gradient` of ``loss`` as one compiled ``tf.function``.

    A tiled loss is returned uncompiled: its passes walk the tiles from Python
    (their count and shapes change with the image), each tile's ops running as
    TensorFlow calls them.
    """

    def evaluate(image: tf.Tensor) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
        return loss_and_gradient(loss, image)

    if getattr(loss, "tiling", None) is not None:  # a stand-in loss may be None
        return evaluate
    return tf.function(
        evaluate, input_signature=input_signature, jit_compile=jit, autograph=AUTOGRAPH
    )


def loss_and_gradient(
    loss: StyleContentLoss, image: tf.Tensor, *, per_image: bool = False
) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """Loss terms of ``image`` and the gradient of their total, in any precision.

    The tutorial's ``GradientTape`` block, shared by Adam and L-BFGS. float16 needs
    one change: its range ends at 65504 and the tutorial's loss is around 1e9, so
    back-propagation overflows to inf. Scaling the loss to ``FLOAT16_SCALED_LOSS``
    (the scale held constant) before differentiating, then dividing the float32
    gradient by the scale, is loss scaling with a scale chosen afresh each step:
    exact in real arithmetic, and the backward pass stays inside float16's range.
    float32 and bfloat16 (float32's range) run the tutorial's code unchanged.

    Args:
        loss: the loss; its extractor's precision decides the scaling.
        image: float32 ``[B, H, W, 3]``, a variable or a watched tensor.
        per_image: return each image's terms (``[B]``) rather than their sums.

    Returns:
        ``(terms, gradient)``: the float32 terms of :class:`StyleContentLoss` and
        the float32 gradient of the batch's total with respect to ``image`` (each
        image's gradient is its own loss's: no term mixes images).
    """
    scaled = extractor_precision(loss.extractor) == "float16"
    if loss.tiling is not None:
        terms, gradient = tiled_loss_and_gradient(
            loss, image, scaled_to=FLOAT16_SCALED_LOSS if scaled else None
        )
        if not per_image:
            terms = {name: tf.reduce_sum(term) for name, term in terms.items()}
        return terms, gradient
    with tf.GradientTape() as tape:
        tape.watch(image)
        terms = loss.terms(image)
        total = tf.reduce_sum(terms["total"])
        if scaled:
            scale = FLOAT16_SCALED_LOSS / tf.maximum(tf.stop_gradient(total), 1e-30)
            total = total * scale
    gradient = tape.gradient(total, image)
    if scaled:
        gradient = gradient / scale
    if not per_image:
        terms = {name: tf.reduce_sum(term) for name, term in terms.items()}
    return terms, gradient
