"""Adam, the tutorial's optimiser: the image variable, ``train_step`` and the loop.

``StyleTransfer`` owns everything that has state during one run, so a second run is a
new object and nobody has to "re-initialise the optimizer" as the tutorial must. Its
``run(steps, recorder)`` is the interface every optimiser offers
(:class:`tf_style.optimize.lbfgs.LBFGSTransfer` has the same).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.images import clip_0_1
from tf_style.objective import StyleContentLoss, loss_and_gradient
from tf_style.optimize.recorder import RunRecorder


class StyleTransfer:
    """The tutorial's loop state: image variable, Adam, targets and ``train_step``.

    Args:
        loss: the loss against fixed targets (built once).
        init_image: starting image, float32 ``[1, H, W, 3]`` in [0, 1]; the tutorial
            starts from the content image.
        config: optimiser settings (``learning_rate``, ``beta_1``, ``epsilon``).
    """

    def __init__(
        self, loss: StyleContentLoss, init_image: tf.Tensor, config: StyleTransferConfig
    ):
        self.loss = loss
        self.image = tf.Variable(clip_0_1(tf.cast(init_image, tf.float32)))
        self.optimizer = keras.optimizers.Adam(
            learning_rate=config.learning_rate,
            beta_1=config.beta_1,
            epsilon=config.epsilon,
        )
        self.train_step = tf.function(self._train_step, jit_compile=config.jit)

    @classmethod
    def from_config(
        cls, loss: StyleContentLoss, init_image: tf.Tensor, config: StyleTransferConfig
    ) -> StyleTransfer:
        """The optimiser at ``init_image`` with ``config``'s settings."""
        return cls(loss, init_image, config)

    def _train_step(self) -> dict[str, tf.Tensor]:
        """One Adam step on the image; returns the loss terms *before* the step."""
        terms, grad = loss_and_gradient(self.loss, self.image)  # GradientTape inside
        self.optimizer.apply_gradients([(grad, self.image)])
        self.image.assign(clip_0_1(self.image))
        return terms

    def run(self, steps: int, recorder: RunRecorder) -> None:
        """``steps`` Adam steps; each records the loss *before* its update, as Keras.

        A non-finite loss restores the image from before the step and stops the run.
        """
        for _ in range(steps):
            last_image = tf.identity(self.image)
            losses = {k: float(v) for k, v in self.train_step().items()}
            if not all(math.isfinite(v) for v in losses.values()):
                self.image.assign(last_image)
                recorder.non_finite(losses)
                return
            recorder.record(losses, self.image)


__all__ = ["StyleTransfer", "clip_0_1"]
