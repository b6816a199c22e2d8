"""tf_style: the TensorFlow tutorial's neural style transfer, as a tested package.

Gatys et al., "A Neural Algorithm of Artistic Style" (2015), as taught by
tensorflow.org's "Neural style transfer" tutorial, with VGG19 weights that also load
offline. Start with :func:`stylize`.

The public names below are imported on first use (PEP 562), not with the package:
the commands (``python -m tf_style.train``) must parse their options and quiet
TensorFlow's start-up logging *before* TensorFlow loads, so that a bad input is one
line on stderr. ``from tf_style import stylize`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tf_style.version import __version__

# public name -> the module that defines it
_EXPORTS = {
    "CONTENT_LAYERS": "tf_style.config.layers",
    "STYLE_LAYERS": "tf_style.config.layers",
    "StyleTransferConfig": "tf_style.config",
    "TUTORIAL_HUB_HANDLE": "tf_style.fast",
    "FastModelError": "tf_style.fast",
    "fast_stylize": "tf_style.fast",
    "load_fast_model": "tf_style.fast",
    "ImageError": "tf_style.images.tensors",
    "load_image": "tf_style.images.tensors",
    "save_image": "tf_style.images.tensors",
    "tensor_to_image": "tf_style.images.tensors",
    "LBFGSTransfer": "tf_style.optimize.lbfgs",
    "TFLBFGSTransfer": "tf_style.optimize.tf_lbfgs",
    "preset": "tf_style.presets",
    "QualityMeasures": "tf_style.evaluation.metrics",
    "QualityScores": "tf_style.evaluation.metrics",
    "score_image": "tf_style.evaluation.metrics",
    "StyleContentModel": "tf_style.vgg.model",
    "gram_matrix": "tf_style.vgg.model",
    "vgg_layers": "tf_style.vgg.model",
    "StyleContentLoss": "tf_style.objective",
    "StepReport": "tf_style.optimize.recorder",
    "StyleTransfer": "tf_style.optimize.adam",
    "StylizeResult": "tf_style.optimize.recorder",
    "clip_0_1": "tf_style.images.tensors",
    "bundled_image": "tf_style.images.bundled",
    "stylize": "tf_style.optimize.driver",
    "with_precision": "tf_style.vgg.network",
    "WeightsNotFoundError": "tf_style.vgg.weights",
    "load_vgg19": "tf_style.vgg.weights",
    "weights_source": "tf_style.vgg.weights",
    "Comparison": "tf_style.evaluation.comparison",
    "run_comparison": "tf_style.evaluation.comparison",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tf_style' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # what type checkers and IDEs see
    from tf_style.config import StyleTransferConfig
    from tf_style.evaluation.comparison import Comparison, run_comparison
    from tf_style.evaluation.metrics import QualityMeasures, QualityScores, score_image
    from tf_style.fast import (
        TUTORIAL_HUB_HANDLE,
        FastModelError,
        fast_stylize,
        load_fast_model,
    )
    from tf_style.images.bundled import bundled_image
    from tf_style.images.tensors import (
        ImageError,
        clip_0_1,
        load_image,
        save_image,
        tensor_to_image,
    )
    from tf_style.objective import StyleContentLoss
    from tf_style.optimize import stylize
    from tf_style.optimize.adam import StyleTransfer
    from tf_style.optimize.lbfgs import LBFGSTransfer
    from tf_style.optimize.recorder import StepReport, StylizeResult
    from tf_style.optimize.tf_lbfgs import TFLBFGSTransfer
    from tf_style.presets import preset
    from tf_style.vgg.model import StyleContentModel, gram_matrix, vgg_layers
    from tf_style.vgg.network import with_precision
    from tf_style.vgg.weights import WeightsNotFoundError, load_vgg19, weights_source
