"""VGG19's layer names, kept at their old import path: they live in
:mod:`tf_style.config.layer_names`, beside the settings that name them."""

from tf_style.config.layer_names import (
    CONTENT_LAYERS,
    STYLE_LAYERS,
    VGG19_CONV_LAYERS,
    validate_layers,
)

__all__ = ["CONTENT_LAYERS", "STYLE_LAYERS", "VGG19_CONV_LAYERS", "validate_layers"]
