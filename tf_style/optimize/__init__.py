"""Optimising the image: the loop over scales, the optimisers and what they report.

* :mod:`~tf_style.optimize.driver`: :func:`stylize` (load, build, loop over the
  scales, report) and :func:`run_scales`;
* :mod:`~tf_style.optimize.adam`: the tutorial's ``StyleTransfer``, ``train_step``
  (``clip_0_1`` lives in :mod:`tf_style.images`, exported here too);
* :mod:`~tf_style.optimize.lbfgs`: L-BFGS-B, the paper's optimiser, through scipy;
* :mod:`~tf_style.optimize.tf_lbfgs`: L-BFGS in TensorFlow, with a preconditioner
  from :mod:`~tf_style.optimize.preconditioner`;
* :mod:`~tf_style.optimize.multiscale`: the sizes of a coarse-to-fine run;
* :mod:`~tf_style.optimize.recorder`: ``StepReport``, ``StylizeResult`` and the
  ``RunRecorder`` both optimisers report to through ``run(steps, recorder)``.
"""

from tf_style.images import clip_0_1
from tf_style.optimize.adam import StyleTransfer
from tf_style.optimize.driver import as_image, make_transfer, run_scales, stylize
from tf_style.optimize.lbfgs import LBFGSTransfer
from tf_style.optimize.recorder import RunRecorder, StepReport, StylizeResult

__all__ = [
    "LBFGSTransfer",
    "RunRecorder",
    "StepReport",
    "StyleTransfer",
    "StylizeResult",
    "as_image",
    "clip_0_1",
    "make_transfer",
    "run_scales",
    "stylize",
]
