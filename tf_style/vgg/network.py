"""Compute precision of VGG19: float32, or bfloat16/float16 with float32 image and loss.

Only the network runs in low precision. The image being optimised, the Gram matrices
and every loss term stay float32 (:class:`~tf_style.vgg.model.StyleContentModel` casts
each layer's output back before the Gram matrix), so the optimisers see the same float32
loss whatever the precision (float16's loss scaling is in
:func:`tf_style.objective.loss_and_gradient`); Keras's "mixed" policies keep the
weights in float32 and cast them for each convolution.

Whether low precision is faster depends on the hardware: on x86 CPUs bfloat16 ran
about 3x faster with AMX, 1.3-2x on a Zen 5 EPYC with AVX512_BF16 alone, and slower
on an AVX512_BF16 Xeon without AMX (0.66x), so ``auto`` measures it
(:func:`tf_style.precision.auto_precision`) and :func:`resolve_precision` turns it into
the precision a run uses.
"""

from __future__ import annotations

import keras

from tf_style.config import POOLING, PRECISIONS, TUTORIAL
from tf_style.precision import auto_precision
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.weights import remember_source

# Keras's mixed policies: float32 variables, low-precision computation.
KERAS_POLICIES: dict[str, str] = {
    "float32": "float32",
    "bfloat16": "mixed_bfloat16",
    "float16": "mixed_float16",
}


def resolve_precision(precision: str) -> str:
    """The precision a run computes in: ``precision``, with ``auto`` measured.

    Raises:
        ValueError: an unknown precision.
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"Unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}."
        )
    return auto_precision().precision if precision == "auto" else precision


def precision_reason(precision: str) -> str:
    """Why a run computes in the precision it does, for its record."""
    if precision == "auto":
        return f"auto: {auto_precision().reason}"
    return f"named in the settings ({precision})"


def with_precision(
    extractor: StyleContentModel, precision: str = "float32"
) -> StyleContentModel:
    """The same extractor, VGG19 computing in ``precision`` (see ``with_network``)."""
    return with_network(extractor, precision=precision)


def with_network(
    extractor: StyleContentModel,
    *,
    precision: str = TUTORIAL.mixed_precision,
    pooling: str = TUTORIAL.pooling,
) -> StyleContentModel:
    """The same extractor with VGG19 in ``precision`` and with ``pooling``.

    Builds a copy of the extractor's network, with the same weights, whose layers
    use Keras's mixed policy (the input layer stays float32; a global
    ``keras.mixed_precision.set_global_policy`` would change every model the
    process builds afterwards) and whose max-poolings become average-poolings for
    ``pooling="avg"`` (Gatys et al.: "replacing the max-pooling operation by average
    pooling improves the gradient flow and one obtains slightly more appealing
    results"). Average pooling is not rescaled: the Gram targets are computed by the
    same network, so the loss compares like with like.

    Args:
        extractor: the extractor to copy; it is not modified.
        precision: one of ``float32``, ``bfloat16``, ``float16`` or ``auto``
            (see :func:`resolve_precision`).
        pooling: ``max`` (Keras's VGG19) or ``avg``.

    Returns:
        ``extractor`` itself when it already has both, else a new
        :class:`StyleContentModel` with the same layers and weights. Its outputs are
        float32 either way.

    Raises:
        ValueError: an unknown precision or pooling.
    """
    precision = resolve_precision(precision)
    if pooling not in POOLING:
        raise ValueError(
            f"Unknown pooling {pooling!r}; choose one of {', '.join(POOLING)}."
        )
    if (extractor_precision(extractor), extractor_pooling(extractor)) == (
        precision,
        pooling,
    ):
        return extractor
    policy = KERAS_POLICIES[precision]

    def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = {**layer.get_config(), "dtype": policy}
        if isinstance(layer, POOLING_LAYERS):
            return POOLING_LAYERS[pooling == "avg"].from_config(config)
        return layer.__class__.from_config(config)

    vgg = keras.models.clone_model(extractor.vgg, clone_function=clone_layer)
    vgg.set_weights(extractor.vgg.get_weights())
    remember_source(vgg, extractor.vgg)
    return StyleContentModel(extractor.style_layers, extractor.content_layers, vgg=vgg)


# Indexed by "is it average pooling": the two layer types a pooling can become.
POOLING_LAYERS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)


def extractor_pooling(extractor: StyleContentModel) -> str:
    """``max`` or ``avg``: the kind of pooling in the extractor's network."""
    pools = [
        layer for layer in extractor.vgg.layers if isinstance(layer, POOLING_LAYERS)
    ]
    if any(isinstance(layer, keras.layers.AveragePooling2D) for layer in pools):
        return "avg"
    return "max"


def extractor_precision(extractor: StyleContentModel) -> str:
    """``float32``, ``bfloat16`` or ``float16``: its convolutions' compute dtype."""
    layers = extractor.vgg.layers
    conv = next(layer for layer in layers if isinstance(layer, keras.layers.Conv2D))
    return str(conv.compute_dtype)


__all__ = [
    "extractor_pooling",
    "with_network",
    "KERAS_POLICIES",
    "extractor_precision",
    "precision_reason",
    "resolve_precision",
    "with_precision",
]
