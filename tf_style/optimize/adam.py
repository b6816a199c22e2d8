"""Adam, the tutorial's optimiser: the image variable, ``train_step`` and the loop.

``StyleTransfer`` owns everything that has state during one run, so a second run is a
new object and nobody has to "re-initialise the optimizer" as the tutorial must. Its
``run(steps, recorder)`` is the interface every optimiser offers
(:class:`tf_style.optimize.protocol.Transfer`).

The image variable may hold a batch ``[B, H, W, 3]``: Adam is element-wise and the
loss is a sum of per-image losses, so every image gets exactly the update it would
get alone, and many images are one run. Under a ``tf.distribute`` strategy
(``MirroredStrategy`` over local devices, ``MultiWorkerMirroredStrategy`` over
machines) each replica runs VGG19 forward and backward on its share of the batch
only; the full-size gradients (zero outside each share) are summed across replicas,
and every worker applies the same update to its copy, so the copies never diverge.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import clip_0_1
from tf_style.losses import LOSS_TERMS
from tf_style.objective import AUTOGRAPH, StyleContentLoss, loss_and_gradient
from tf_style.optimize.recorder import RunRecorder


class StyleTransfer:
    """The tutorial's loop state: image variable, Adam, targets and ``train_step``.

    Args:
        loss: the loss against fixed targets (built once).
        init_image: starting image(s), float32 ``[B, H, W, 3]`` in [0, 1]; the
            tutorial starts from the content image.
        config: optimiser settings (``learning_rate``, ``beta_1``, ``epsilon``).
        strategy: a ``tf.distribute.Strategy`` sharing the batch, or None.
    """

    def __init__(
        self,
        loss: StyleContentLoss,
        init_image: tf.Tensor,
        config: StyleTransferConfig,
        *,
        strategy: tf.distribute.Strategy | None = None,
    ):
        self.loss = loss
        self.strategy = strategy
        self.batch = int(init_image.shape[0])
        self.image = tf.Variable(clip_0_1(tf.cast(init_image, tf.float32)))
        self.optimizer = keras.optimizers.Adam(
            learning_rate=config.learning_rate,
            beta_1=config.beta_1,
            epsilon=config.epsilon,
        )
        # Adam's moments made now, not by the first apply_gradients inside the
        # tf.function: variables created in a first call make TensorFlow trace the
        # step a second time (about 0.6 s of a 256 px run's first step, measured).
        self.optimizer.build([self.image])
        if loss.tiling is not None and strategy is not None:
            raise ValueError(
                "a tiled loss runs on one device; tile or share the batch, not both."
            )
        # A tiled loss walks its tiles from Python (see compiled_loss_and_gradient).
        self._step = (
            self._train_step
            if loss.tiling is not None
            else tf.function(
                self._train_step, jit_compile=config.jit, autograph=AUTOGRAPH
            )
        )

    @classmethod
    def from_config(
        cls,
        loss: StyleContentLoss,
        init_image: tf.Tensor,
        config: StyleTransferConfig,
        *,
        strategy: tf.distribute.Strategy | None = None,
    ) -> StyleTransfer:
        """The optimiser at ``init_image`` with ``config``'s settings."""
        return cls(loss, init_image, config, strategy=strategy)

    def train_step(self) -> dict[str, tf.Tensor]:
        """One Adam step; returns the loss terms *before* it (summed over a batch).

        The tutorial's ``train_step``, compiled with ``tf.function`` (and XLA with
        ``config.jit``); a tiled loss's step runs its tiles one by one.
        """
        return {name: tf.reduce_sum(term) for name, term in self._step().items()}

    def _train_step(self) -> dict[str, tf.Tensor]:
        """One Adam step on the image(s); returns each image's loss terms (``[B]``)
        *before* the step."""
        if self.strategy is None:
            terms, grad = loss_and_gradient(self.loss, self.image, per_image=True)
        else:
            terms, grad = self._distributed_terms_and_gradient()
        self.optimizer.apply_gradients([(grad, self.image)])
        self.image.assign(clip_0_1(self.image))
        return terms

    def _distributed_terms_and_gradient(self) -> tuple[dict, tf.Tensor]:
        images = tf.convert_to_tensor(self.image)
        per_replica = self.strategy.run(self._replica_share, args=(images,))
        # One reduction per tensor: the collective ops of
        # MultiWorkerMirroredStrategy do not take a nested structure.
        return tf.nest.map_structure(
            lambda value: self.strategy.reduce(
                tf.distribute.ReduceOp.SUM, value, axis=None
            ),
            per_replica,
        )

    def _replica_share(self, images: tf.Tensor) -> tuple[dict, tf.Tensor]:
        """Terms (``[B]``, zero outside the share) and gradient of this replica's
        share of the batch."""
        context = tf.distribute.get_replica_context()
        share = -(-self.batch // context.num_replicas_in_sync)
        start = tf.minimum(context.replica_id_in_sync_group * share, self.batch)
        end = tf.minimum(start + share, self.batch)
        # A batch smaller than the replicas (a folder's group of one photo on two
        # workers) leaves some with no share: they only join the sums. They must
        # not run VGG19 on an empty batch: oneDNN's fused convolution (on by
        # default on Intel CPUs) returns it with the input's 3 channels, and the
        # next convolution fails ("3 vs 64" at block1_conv2).
        return tf.cond(
            start < end,
            lambda: self._share_terms_and_gradient(images, start, end),
            lambda: self._no_share(images),
        )

    def _share_terms_and_gradient(
        self, images: tf.Tensor, start: tf.Tensor, end: tf.Tensor
    ) -> tuple[dict, tf.Tensor]:
        """Terms and gradient of images ``start:end`` (a share that is not empty)."""
        with tf.GradientTape() as tape:
            tape.watch(images)
            terms = self.loss.terms(images[start:end], start, end)
            total = tf.reduce_sum(terms["total"])
        gradient = tape.gradient(total, images)
        padding = [[start, self.batch - end]]
        return {k: tf.pad(v, padding) for k, v in terms.items()}, gradient

    def _no_share(self, images: tf.Tensor) -> tuple[dict, tf.Tensor]:
        """The zero terms and gradient of a replica with no share of the batch."""
        names = (*LOSS_TERMS, *(["temporal"] if self.loss.temporal else []))
        zeros = tf.zeros([self.batch])
        return {name: zeros for name in names}, tf.zeros_like(images)

    def run(self, steps: int, recorder: RunRecorder) -> None:
        """``steps`` Adam steps; each records the loss *before* its update, as Keras.

        A non-finite loss (of any image) restores the image(s) from before the step
        and stops the run.
        """
        for _ in range(steps):
            last_image = tf.identity(self.image)
            losses = {k: v.numpy() for k, v in self._step().items()}
            if not all(np.isfinite(v).all() for v in losses.values()):
                self.image.assign(last_image)
                recorder.non_finite(losses)
                return
            recorder.record(losses, self.image)


__all__ = ["StyleTransfer", "clip_0_1"]
