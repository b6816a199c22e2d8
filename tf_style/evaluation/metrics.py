"""Quality measures for any finished image, whichever method made it.

To compare the fast model with the optimisation fairly, both outputs are scored by the
same judge: the tutorial's own loss terms, computed by :class:`StyleContentLoss` with
the same VGG19, the same layers and the same weights. All are distances, so **lower is
better**:

* ``style``: the tutorial's weighted Gram-matrix loss against the style image,
  ``style_weight * mean over style layers of mean((G_l - A_l)^2)``. How far the
  image's textures and colours (feature correlations) are from the painting's.
* ``content``: the tutorial's content loss against the content image,
  ``content_weight * mean((F - P)^2)`` at ``block5_conv2``. How far the image's
  objects and layout are from the photo's. The content image itself scores 0.
* ``variation``: ``total_variation_weight * tf.image.total_variation(image)``, the
  summed absolute differences of neighbouring pixels. High-frequency noise; it grows
  with the number of pixels, so compare images of one size only.
* ``total``: their sum, the number the optimisation minimises.

A caveat worth teaching: the optimisation *minimises exactly these numbers*, so it is
expected to win on them; the fast model was trained on other layers, weights and
images. The measures say how close each image is to the tutorial's objective, not
which one a person prefers. Look at the pictures too.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import as_batch, clip_0_1, resize
from tf_style.losses import LOSS_TERMS
from tf_style.objective import StyleContentLoss
from tf_style.vgg.model import StyleContentModel, extractor_for

# The loss terms, the total last: reports read the parts, then their sum.
MEASURES: tuple[str, ...] = (*LOSS_TERMS[1:], LOSS_TERMS[0])


@dataclass(frozen=True)
class QualityScores:
    """The measures of one image; all distances, lower is better."""

    style: float
    content: float
    variation: float
    total: float

    def to_dict(self) -> dict[str, float]:
        """Plain floats, JSON-ready."""
        return asdict(self)


class QualityMeasures:
    """Scores images against one content and one style image (targets built once).

    Args:
        content_image: float32 ``[1, H, W, 3]`` in [0, 1]; scored images are resized
            to its size first (content is compared location by location).
        style_image: float32 ``[1, H', W', 3]`` in [0, 1], any size.
        config: the weights and layers; the tutorial's when None.
        extractor: a ready :class:`StyleContentModel` with ``config``'s layers (saves
            rebuilding VGG19); built from ``weights`` when None.
        weights: VGG19 weights file (see :func:`tf_style.vgg.weights.load_vgg19`).

    Example:
        >>> measures = QualityMeasures(content, style)
        >>> measures(content).content  # 0.0: the photo is its own content
    """

    def __init__(
        self,
        content_image: tf.Tensor,
        style_image: tf.Tensor,
        config: StyleTransferConfig | None = None,
        *,
        extractor: StyleContentModel | None = None,
        weights: str | os.PathLike | None = None,
    ):
        config = config or StyleTransferConfig()
        extractor = extractor_for(config, extractor=extractor, weights=weights)
        content_image = as_batch(content_image, "content_image")
        style_image = as_batch(style_image, "style_image")
        self.loss = StyleContentLoss.from_config(
            extractor, content_image, style_image, config
        )
        self.size = tuple(content_image.shape[1:3])

    def __call__(self, image: tf.Tensor) -> QualityScores:
        """Score ``image`` (float32 ``[1, h, w, 3]`` in [0, 1], any size).

        An image of another size is resized (bilinear) to the content's size; values
        are clipped to [0, 1] as every saved image would be.
        """
        image = as_batch(image, "image")
        if tuple(image.shape[1:3]) != self.size:
            image = resize(image, self.size, antialias=False)
        image = clip_0_1(image)
        terms = self.loss(image)
        return QualityScores(**{name: float(terms[name]) for name in MEASURES})


def score_image(
    image: tf.Tensor,
    content_image: tf.Tensor,
    style_image: tf.Tensor,
    config: StyleTransferConfig | None = None,
    *,
    extractor: StyleContentModel | None = None,
    weights: str | os.PathLike | None = None,
) -> QualityScores:
    """Score one image; for several, build :class:`QualityMeasures` once instead."""
    measures = QualityMeasures(
        content_image, style_image, config, extractor=extractor, weights=weights
    )
    return measures(image)


__all__ = ["MEASURES", "QualityMeasures", "QualityScores", "score_image"]
