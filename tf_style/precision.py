"""Compute precision of VGG19: float32, or bfloat16/float16 with float32 image and loss.

Only the network runs in low precision. The image being optimised, the Gram matrices
and every loss term stay float32 (:class:`tf_style.model.StyleContentModel` casts each
layer's output back before the Gram matrix), so the optimisers see the same float32
loss whatever the precision (float16's loss scaling is in
:func:`tf_style.objective.loss_and_gradient`); Keras's "mixed" policies keep the
weights in float32 and cast them for each convolution.

Whether low precision is faster depends on the hardware: bfloat16 needs AVX512_BF16 or
AMX on x86 CPUs to run natively (``benchmarks/time_to_quality.py`` measures it).
"""

from __future__ import annotations

import keras

from tf_style.config import PRECISIONS
from tf_style.model import StyleContentModel
from tf_style.weights import remember_source

# Keras's mixed policies: float32 variables, low-precision computation.
KERAS_POLICIES: dict[str, str] = {
    "float32": "float32",
    "bfloat16": "mixed_bfloat16",
    "float16": "mixed_float16",
}


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


def extractor_precision(extractor: StyleContentModel) -> str:
    """``float32``, ``bfloat16`` or ``float16``: its convolutions' compute dtype."""
    layers = extractor.vgg.layers
    conv = next(layer for layer in layers if isinstance(layer, keras.layers.Conv2D))
    return str(conv.compute_dtype)


__all__ = [
    "KERAS_POLICIES",
    "extractor_precision",
    "with_precision",
]
