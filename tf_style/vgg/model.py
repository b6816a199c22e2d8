"""The feature extractor: vgg_layers, gram_matrix, StyleContentModel.

These reproduce the tutorial's cells "Build the model" and "Calculate style": a frozen
VGG19 cut at the chosen layers, Gram matrices of the style layers and raw features of
the content layers (Gatys et al., 2015, section 2).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.config.layer_names import CONTENT_LAYERS, STYLE_LAYERS, validate_layers
from tf_style.vgg.gram import gram_einsum
from tf_style.vgg.guided import Guides, guided_gram
from tf_style.vgg.weights import load_vgg19, weights_source


def vgg_layers(
    layer_names: Sequence[str], *, vgg: keras.Model | None = None
) -> keras.Model:
    """A frozen functional model from VGG19's input to the named layers' outputs.

    Args:
        layer_names: Keras VGG19 layer names, e.g. ``["block1_conv1", "block5_conv2"]``.
        vgg: a VGG19 to cut; by default ``load_vgg19()`` is called.

    Returns:
        A ``keras.Model`` whose outputs are a list, one ``[batch, h, w, c]`` tensor per
        name, in the order given. It expects Keras "caffe"-preprocessed input.
    """
    # A layer may serve both style and content (the Gram matrix and the features).
    validate_layers(tuple(layer_names), kind="requested", allow_repeats=True)
    vgg = load_vgg19() if vgg is None else vgg
    vgg.trainable = False
    outputs = [vgg.get_layer(name).output for name in layer_names]
    model = keras.Model(inputs=vgg.input, outputs=outputs, name="vgg_layers")
    model.trainable = False
    return model


def gram_matrix(input_tensor: tf.Tensor) -> tf.Tensor:
    """Channel-by-channel feature correlations, averaged over locations.

    ``G[b, c, d] = sum_ij F[b, i, j, c] * F[b, i, j, d] / (H * W)``: the einsum sums
    over the two spatial axes ``i, j`` and keeps the batch ``b`` and two channel axes.
    Normalised by the number of locations as the tutorial does; Gatys et al. scale
    the loss by 1/(4 N^2 M^2) instead.

    Args:
        input_tensor: features ``[batch, H, W, C]``.

    Returns:
        ``[batch, C, C]`` in the input's dtype.

    The einsum is :func:`~tf_style.vgg.gram.gram_einsum`, the tutorial's
    ``tf.linalg.einsum("bijc,bijd->bcd", F, F)`` with its gradient taken as one
    matrix product (the same values; an evaluation 1.06-1.09x quicker).
    """
    result = gram_einsum(input_tensor)
    input_shape = tf.shape(input_tensor)
    num_locations = tf.cast(input_shape[1] * input_shape[2], result.dtype)
    return result / num_locations


class StyleContentModel(keras.Model):
    """Images in [0, 1] to the style (Gram matrices) and content (features) targets.

    The tutorial's ``StyleContentModel``: ``call`` scales the image to [0, 255],
    applies VGG19's own preprocessing (RGB to BGR, minus the ImageNet mean: the network
    was trained that way) and returns
    ``{"style": {layer: [1, C, C]}, "content": {layer: [1, h, w, C]}}``, all float32.

    Args:
        style_layers: layers whose Gram matrices describe style.
        content_layers: layers whose features describe content.
        vgg: VGG19 to use; ``load_vgg19()`` by default.

    Example:
        >>> extractor = StyleContentModel(STYLE_LAYERS, CONTENT_LAYERS)
        >>> outputs = extractor(tf.random.uniform([1, 64, 64, 3]))
    """

    def __init__(
        self,
        style_layers: Sequence[str] = STYLE_LAYERS,
        content_layers: Sequence[str] = CONTENT_LAYERS,
        *,
        vgg: keras.Model | None = None,
    ):
        super().__init__()
        validate_layers(tuple(style_layers), kind="style")
        validate_layers(tuple(content_layers), kind="content")
        self.style_layers = list(style_layers)
        self.content_layers = list(content_layers)
        self.num_style_layers = len(style_layers)
        self.vgg = vgg_layers(self.style_layers + self.content_layers, vgg=vgg)
        self.vgg.trainable = False

    @property
    def weights_source(self) -> str:
        """Where VGG19's weights came from, in words (see ``load_vgg19``)."""
        return weights_source(self.vgg)

    def call(self, inputs: tf.Tensor) -> dict[str, dict[str, tf.Tensor]]:
        """Expects float input in [0, 1]: ``[batch, H, W, 3]``."""
        style_features, content = self.features(inputs)
        return {
            "content": content,
            "style": {
                name: gram_matrix(value) for name, value in style_features.items()
            },
        }

    def guided(
        self, inputs: tf.Tensor, guides: Guides
    ) -> dict[str, dict[str, tf.Tensor]]:
        """Like calling the model, with each region's guided Gram matrices
        (:mod:`tf_style.vgg.guided`): ``{"style": {layer: [B, R, C, C]}, ...}``."""
        style_features, content = self.features(inputs)
        return {
            "content": content,
            "style": {
                name: guided_gram(value, guides.maps[name], guides.areas[name])
                for name, value in style_features.items()
            },
        }

    def features(
        self, inputs: tf.Tensor
    ) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
        """The style layers' and content layers' feature maps, float32."""
        # VGG19 was trained on 0-255 BGR images minus the ImageNet mean.
        inputs = tf.cast(inputs, tf.float32) * 255.0
        preprocessed_input = keras.applications.vgg19.preprocess_input(inputs)
        outputs = [
            tf.cast(output, tf.float32) for output in self.vgg(preprocessed_input)
        ]
        style_outputs = outputs[: self.num_style_layers]
        content_outputs = outputs[self.num_style_layers :]
        return (
            dict(zip(self.style_layers, style_outputs, strict=True)),
            dict(zip(self.content_layers, content_outputs, strict=True)),
        )


def extractor_for(
    config: StyleTransferConfig,
    *,
    extractor: StyleContentModel | None = None,
    vgg: keras.Model | None = None,
    weights: str | os.PathLike | None = None,
) -> StyleContentModel:
    """The feature extractor a run with ``config`` needs: given, or built once.

    A given ``extractor`` must have ``config``'s layers: otherwise the run record
    would name layers the run did not use. To reuse one VGG19 across configs with
    different layers, pass ``vgg`` instead; the extractor is then cut from it.

    Args:
        config: the run's layers.
        extractor: a ready :class:`StyleContentModel` to reuse.
        vgg: a loaded VGG19 to cut the extractor from (saves reloading it).
        weights: VGG19 weights file when neither is given (see ``load_vgg19``).

    Raises:
        ValueError: ``extractor``'s layers differ from ``config``'s.
    """
    if extractor is not None:
        wanted = (tuple(config.style_layers), tuple(config.content_layers))
        has = (tuple(extractor.style_layers), tuple(extractor.content_layers))
        if has != wanted:
            raise ValueError(
                f"The extractor has style layers {list(has[0])} and content layers "
                f"{list(has[1])}, but the config asks for {list(wanted[0])} and "
                f"{list(wanted[1])}. Pass vgg= instead of extractor= to build the "
                "config's extractor from the same VGG19."
            )
        return extractor
    return StyleContentModel(
        config.style_layers,
        config.content_layers,
        vgg=load_vgg19(weights) if vgg is None else vgg,
    )
