"""VGG19's layer names: the tutorial's choices and the only names accepted.

Keras's names (``block4_conv1``), never Caffe's (``relu4_2``): the tutorial's, and
those of the weights files.
"""

from __future__ import annotations

CONTENT_LAYERS: tuple[str, ...] = ("block5_conv2",)
STYLE_LAYERS: tuple[str, ...] = (
    "block1_conv1",
    "block2_conv1",
    "block3_conv1",
    "block4_conv1",
    "block5_conv1",
)
# Every convolution of Keras's VGG19; the only names a layer option accepts.
VGG19_CONV_LAYERS: tuple[str, ...] = tuple(
    f"block{block}_conv{conv}"
    for block, convs in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4))
    for conv in range(1, convs + 1)
)


def validate_layers(
    layers: tuple[str, ...], *, kind: str, allow_repeats: bool = False
) -> None:
    """Check layer names against Keras's VGG19 convolutions.

    Raises:
        ValueError: no layer given, a name VGG19 does not have, or (unless
            ``allow_repeats``) a name given twice.
    """
    if isinstance(layers, str):
        raise TypeError(
            f"{kind}_layers must be a sequence of layer names, not the string "
            f"{layers!r}; write ({layers!r},)."
        )
    _check(len(layers) >= 1, f"At least one {kind} layer is needed.")
    repeated = (
        [] if allow_repeats else sorted({n for n in layers if layers.count(n) > 1})
    )
    _check(
        not repeated,
        f"{kind} layer {', '.join(repeated)} is given more than once; name each "
        "layer once (a repeated layer would silently count twice in the loss).",
    )
    for name in layers:
        _check(
            name in VGG19_CONV_LAYERS,
            f"Unknown {kind} layer {name!r}. tf_style uses Keras VGG19 layer names "
            f"such as 'block4_conv1'; valid names: {', '.join(VGG19_CONV_LAYERS)}.",
        )


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


__all__ = ["CONTENT_LAYERS", "STYLE_LAYERS", "VGG19_CONV_LAYERS", "validate_layers"]
