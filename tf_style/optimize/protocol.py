"""The written interface every optimiser offers, so the loop never asks which it is.

Adam (:class:`~tf_style.optimize.adam.StyleTransfer`), scipy's L-BFGS-B
(:class:`~tf_style.optimize.lbfgs.LBFGSTransfer`) and L-BFGS in TensorFlow
(:class:`~tf_style.optimize.tf_lbfgs.TFLBFGSTransfer`) are each built from the loss,
the starting image and the config, run a number of steps into a
:class:`~tf_style.optimize.recorder.RunRecorder`, and hold the image they reached.
``tests/test_optimize.py`` checks that each satisfies :class:`Transfer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tf_style.config import StyleTransferConfig
    from tf_style.objective import StyleContentLoss
    from tf_style.optimize.recorder import RunRecorder


@runtime_checkable
class Transfer(Protocol):
    """An optimiser's state during one run (one scale of it)."""

    image: Any  # float32 [B, H, W, 3] in [0, 1]: a tensor or variable

    @classmethod
    def from_config(
        cls,
        loss: StyleContentLoss,
        init_image: Any,
        config: StyleTransferConfig,
    ) -> Transfer:
        """The optimiser at ``init_image`` with ``config``'s settings."""
        ...

    def run(self, steps: int, recorder: RunRecorder) -> None:
        """Up to ``steps`` steps, each recorded (or a stop said) in ``recorder``."""
        ...


__all__ = ["Transfer"]
