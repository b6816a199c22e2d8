"""tf_style: the TensorFlow tutorial's neural style transfer, as a tested package.

Gatys et al., "A Neural Algorithm of Artistic Style" (2015), as taught by
tensorflow.org's "Neural style transfer" tutorial, with VGG19 weights that also load
offline. Start with :func:`stylize`.

The public names below are imported on first use (PEP 562), not with the package:
the commands (``python -m tf_style.train``) must parse their options and quiet
TensorFlow's start-up logging *before* TensorFlow loads, so that a bad input is one
line on stderr. ``from tf_style import stylize`` works as usual.

TensorFlow's start-up log (the CUDA probe's lines on a machine without a GPU, CPU
feature notes, absl's "before InitializeLog" warning) is quiet, as in the commands:
``TF_CPP_MIN_LOG_LEVEL`` is set to 3 unless you set it, and the first public name
that loads TensorFlow imports it with stderr silenced (a submodule imported directly,
``from tf_style.images import load_image``, gets the level only: the lines TensorFlow
writes before its logging starts may show). To see the log, set
``TF_CPP_MIN_LOG_LEVEL=0`` before importing tf_style (or import TensorFlow first).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

from tf_style.quiet import stderr_silenced
from tf_style.version import __version__

# Before any TensorFlow import: its C++ log level is read once, when it loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# public name -> the module that defines it
_EXPORTS = {
    "CONTENT_LAYERS": "tf_style.config.layer_names",
    "STYLE_LAYERS": "tf_style.config.layer_names",
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
    "Region": "tf_style.regions",
    "StepReport": "tf_style.optimize.recorder",
    "StyleTransfer": "tf_style.optimize.adam",
    "StylizeResult": "tf_style.optimize.recorder",
    "clip_0_1": "tf_style.images.tensors",
    "bundled_image": "tf_style.images.bundled",
    "stylize": "tf_style.optimize.driver",
    "stylize_folder": "tf_style.batch",
    "stylize_video": "tf_style.batch",
    "load_network": "tf_style.fast",
    "ManyImagesConfig": "tf_style.config",
    "VideoConfig": "tf_style.config",
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
    value = getattr(_import_quietly(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def _import_quietly(module: str) -> Any:
    """``importlib.import_module(module)``, with file descriptor 2 pointed at
    /dev/null while TensorFlow may load (not yet loaded, and
    ``TF_CPP_MIN_LOG_LEVEL`` is not 0).

    Before absl's logging starts, TensorFlow's C++ code writes lines (absl, the
    CUDA probe, CPU features) straight to descriptor 2, whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says. Python's own errors come after, unsilenced.
    """
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        return importlib.import_module(module)
    with stderr_silenced():
        return importlib.import_module(module)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # what type checkers and IDEs see
    from tf_style.batch import stylize_folder, stylize_video
    from tf_style.config import ManyImagesConfig, StyleTransferConfig, VideoConfig
    from tf_style.evaluation.comparison import Comparison, run_comparison
    from tf_style.evaluation.metrics import QualityMeasures, QualityScores, score_image
    from tf_style.fast import (
        TUTORIAL_HUB_HANDLE,
        FastModelError,
        fast_stylize,
        load_fast_model,
        load_network,
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
    from tf_style.regions import Region
    from tf_style.vgg.model import StyleContentModel, gram_matrix, vgg_layers
    from tf_style.vgg.network import with_precision
    from tf_style.vgg.weights import WeightsNotFoundError, load_vgg19, weights_source
