"""tf_style: the TensorFlow tutorial's neural style transfer, as a tested package.

Gatys et al., "A Neural Algorithm of Artistic Style" (2015), as taught by
tensorflow.org's "Neural style transfer" tutorial, with VGG19 weights that also load
offline. Start with :func:`stylize`.
"""

from tf_style.config import CONTENT_LAYERS, STYLE_LAYERS, StyleTransferConfig
from tf_style.hub import (
    TUTORIAL_HUB_HANDLE,
    FastModelError,
    fast_stylize,
    load_fast_model,
)
from tf_style.images import ImageError, load_image, save_image, tensor_to_image
from tf_style.lbfgs import LBFGSTransfer
from tf_style.metrics import QualityMeasures, QualityScores, score_image
from tf_style.model import StyleContentModel, gram_matrix, vgg_layers
from tf_style.objective import StyleContentLoss
from tf_style.optimize import (
    StepReport,
    StyleTransfer,
    StylizeResult,
    clip_0_1,
    stylize,
)
from tf_style.precision import with_precision
from tf_style.weights import WeightsNotFoundError, load_vgg19

__version__ = "0.1.0"

# tf_style.compare is imported on first use: importing it here would make
# ``python -m tf_style.compare`` find the module loaded twice (runpy warns).
_LAZY = {"Comparison": "tf_style.compare", "run_comparison": "tf_style.compare"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tf_style' has no attribute {name!r}")


__all__ = [
    "TUTORIAL_HUB_HANDLE",
    "Comparison",
    "FastModelError",
    "QualityMeasures",
    "QualityScores",
    "fast_stylize",
    "load_fast_model",
    "run_comparison",
    "score_image",
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "ImageError",
    "LBFGSTransfer",
    "StepReport",
    "StyleContentLoss",
    "StyleContentModel",
    "StyleTransfer",
    "StyleTransferConfig",
    "StylizeResult",
    "WeightsNotFoundError",
    "clip_0_1",
    "gram_matrix",
    "load_image",
    "load_vgg19",
    "save_image",
    "stylize",
    "tensor_to_image",
    "vgg_layers",
    "with_precision",
]
