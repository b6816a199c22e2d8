"""Compute precision of VGG19: float32, or bfloat16/float16 with float32 image and loss.

Only the network runs in low precision. The image being optimised, the Gram matrices
and every loss term stay float32 (:class:`tf_style.model.StyleContentModel` casts each
layer's output back before the Gram matrix), so the optimisers see the same float32
loss whatever the precision; Keras's "mixed" policies keep the weights in float32 and
cast them for each convolution.

Whether low precision is faster depends on the hardware: bfloat16 needs AVX512_BF16 or
AMX on x86 CPUs to run natively (``benchmarks/time_to_quality.py`` measures it).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tf_style.config import PRECISIONS
from tf_style.model import StyleContentModel
from tf_style.objective import StyleContentLoss
from tf_style.weights import remember_source

# Keras's mixed policies: float32 variables, low-precision computation.
KERAS_POLICIES: dict[str, str] = {
    "float32": "float32",
    "bfloat16": "mixed_bfloat16",
    "float16": "mixed_float16",
}

# The float16 loss is scaled to this before differentiating. Measured on the
# tutorial's loss: a scaled loss of 1 underflows at 256 px (gradient cosine to
# float32 -0.14), the unscaled ~5e9 overflows at 64 px; 1e2 to 1e6 give a cosine
# above 0.999 at 256 px.
FLOAT16_SCALED_LOSS = 2.0**14


def with_precision(
    extractor: StyleContentModel, precision: str = "float32"
) -> StyleContentModel:
    """The same extractor, computing VGG19 in ``precision``.

    Builds a copy of the extractor's network whose layers use Keras's mixed policy
    (the input layer stays float32), with the same weights; a global
    ``keras.mixed_precision.set_global_policy`` would change every model the
    process builds afterwards.

    Args:
        extractor: a float32 or mixed extractor; it is not modified.
        precision: one of ``float32``, ``bfloat16``, ``float16``.

    Returns:
        ``extractor`` itself when it already computes in ``precision``, else a new
        :class:`StyleContentModel` with the same layers and weights. Its outputs are
        float32 either way.

    Raises:
        ValueError: an unknown precision.
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}."
        )
    if extractor_precision(extractor) == precision:
        return extractor
    policy = KERAS_POLICIES[precision]

    def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
        return layer.__class__.from_config({**layer.get_config(), "dtype": policy})

    vgg = keras.models.clone_model(extractor.vgg, clone_function=clone_layer)
    vgg.set_weights(extractor.vgg.get_weights())
    remember_source(vgg, extractor.vgg)
    return StyleContentModel(extractor.style_layers, extractor.content_layers, vgg=vgg)


def loss_and_gradient(
    loss: StyleContentLoss, image: tf.Tensor
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
        image: float32 ``[1, H, W, 3]``, a variable or a watched tensor.

    Returns:
        ``(terms, gradient)``: the float32 terms of :class:`StyleContentLoss` and
        the float32 gradient of ``terms["total"]`` with respect to ``image``.
    """
    scaled = extractor_precision(loss.extractor) == "float16"
    with tf.GradientTape() as tape:
        tape.watch(image)
        terms = loss(image)
        total = terms["total"]
        if scaled:
            scale = FLOAT16_SCALED_LOSS / tf.maximum(tf.stop_gradient(total), 1e-30)
            total = total * scale
    gradient = tape.gradient(total, image)
    if scaled:
        gradient = gradient / scale
    return terms, gradient


def extractor_precision(extractor: StyleContentModel) -> str:
    """``float32``, ``bfloat16`` or ``float16``: its convolutions' compute dtype."""
    layers = extractor.vgg.layers
    conv = next(layer for layer in layers if isinstance(layer, keras.layers.Conv2D))
    return str(conv.compute_dtype)


__all__ = [
    "FLOAT16_SCALED_LOSS",
    "KERAS_POLICIES",
    "extractor_precision",
    "loss_and_gradient",
    "with_precision",
]
