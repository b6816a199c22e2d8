"""Training a feed-forward network with the package's one loss, on any tf.distribute.

:class:`NetworkTrainer` owns what a run changes: the network, Adam, the step counter
and the data iterator, all in one ``tf.train.Checkpoint``, so a run stopped at any
step (Ctrl-C included) resumes exactly where it was: same weights, same optimiser
moments, the next batch it would have seen. The loss is
:meth:`tf_style.objective.StyleContentLoss.scored`, the terms the optimisation
minimises, with each batch's own content features (and, for AdaIN, each image's own
style). Printing, progress bars and exit codes are the command's
(:mod:`tf_style.fit.command`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import tensorflow as tf

from tf_style.color import gray_rgb, luminance, recombine_luminance
from tf_style.config.layer_names import CONTENT_LAYERS, STYLE_LAYERS
from tf_style.fit.checkpoints import CheckpointError, checkpoint_folder, saving
from tf_style.fit.config import FitConfig
from tf_style.fit.networks import (
    ADAIN_ENCODER_LAYER,
    adain_decoder,
    adain_network,
    adaptive_instance_norm,
    johnson_network,
)
from tf_style.objective import StyleContentLoss
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import extractor_precision, with_precision
from tf_style.vgg.weights import load_vgg19


@dataclasses.dataclass
class StepLosses:
    """One step's loss terms, averaged over its images (floats)."""

    step: int
    losses: dict[str, float]


def grey(image: tf.Tensor) -> tf.Tensor:
    """The luminance of ``image`` as grey RGB: what a luminance-only network sees."""
    return gray_rgb(luminance(image))


def build_network(config: FitConfig, vgg: keras.Model) -> keras.Model:
    """A new network of ``config.architecture``, seeded by ``config.seed``."""
    keras.utils.set_random_seed(config.seed)
    if config.architecture == "johnson":
        return johnson_network(width=config.network_width)
    return adain_network(vgg=vgg, decoder=adain_decoder(config.network_width))


def build_extractor(config: FitConfig, vgg: keras.Model) -> StyleContentModel:
    """The tutorial's style layers; AdaIN's content layer is its encoder's output."""
    content = (
        CONTENT_LAYERS if config.architecture == "johnson" else (ADAIN_ENCODER_LAYER,)
    )
    return StyleContentModel(STYLE_LAYERS, content, vgg=vgg)


class NetworkTrainer:
    """One training run: network, optimiser, loss, data and checkpoint.

    Args:
        config: the run's settings.
        dataset: infinite batches of ``config.batch_size``: content crops
            (Johnson), or ``(content, style)`` pairs (AdaIN).
        style_image: float32 ``[1, H, W, 3]``: the style (Johnson), or the style the
            previews and the held-out loss use (AdaIN).
        photos: float32 ``[N, S, S, 3]`` held-back photos for previews and the
            held-out loss (never trained on).
        directory: where checkpoints go (``checkpoints/``).
        strategy: a ``tf.distribute`` strategy; the default (one device) when None.
        vgg: VGG19 to use; ``load_vgg19()`` when None.
    """

    def __init__(
        self,
        config: FitConfig,
        dataset: tf.data.Dataset,
        style_image: tf.Tensor,
        photos: tf.Tensor,
        directory: Path,
        *,
        strategy: tf.distribute.Strategy | None = None,
        vgg: keras.Model | None = None,
    ):
        self.config = config
        self.strategy = strategy or tf.distribute.get_strategy()
        self.photos = photos
        self.style_image = style_image
        with self.strategy.scope():
            vgg = load_vgg19() if vgg is None else vgg
            self.network = build_network(config, vgg)
            self.extractor = with_precision(
                build_extractor(config, vgg), config.mixed_precision
            )
            self.precision = extractor_precision(self.extractor)
            self.loss = self._held_out_loss(style_image, photos)
            self.trainable = self.network.trainable_variables
            self.optimizer = keras.optimizers.Adam(config.adam_learning_rate)
            self.optimizer.build(self.trainable)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.replicas = self.strategy.num_replicas_in_sync
        if config.batch_size % self.replicas:
            raise ValueError(
                f"batch_size {config.batch_size} does not split over "
                f"{self.replicas} devices: give a multiple of {self.replicas}."
            )
        # The host iterator is checkpointed (a distributed one cannot be); every
        # worker reads the same batches and each replica takes its slice.
        self.iterator = iter(dataset)
        self.checkpoint = tf.train.Checkpoint(
            network=self.network,
            optimizer=self.optimizer,
            step=self.step,
            iterator=self.iterator,
        )
        # Every worker of a multi-worker run saves (the save is collective); only
        # the first one where the user looks, the others beside it (TensorFlow's
        # multi-worker guide does the same).
        self.worker = worker_index(self.strategy)
        self.manager = tf.train.CheckpointManager(
            self.checkpoint,
            str(checkpoint_folder(Path(directory), self.worker)),
            max_to_keep=2,
        )
        self._train_step = tf.function(self._distributed_step)

    def _held_out_loss(self, style_image: tf.Tensor, photos: tf.Tensor):
        """The loss with the style's targets, scoring the held-back photos."""
        luminance_only = self.config.preserve_color == "luminance"
        return StyleContentLoss(
            self.extractor,
            grey(photos) if luminance_only else photos,
            grey(style_image) if luminance_only else style_image,
            style_weight=self.config.style_weight,
            content_weight=self.config.content_weight,
            total_variation_weight=self.config.total_variation_weight,
            style_layer_weights=self.config.style_layer_weights,
        )

    @property
    def steps_done(self) -> int:
        """Optimiser steps taken so far (resumed runs included)."""
        return int(self.step.numpy())

    def restore(self, prefix: Path) -> None:
        """Continue from the checkpoint ``prefix`` (``.../checkpoints/ckpt-N``,
        checked by :func:`~tf_style.fit.checkpoints.check_checkpoint`).

        Raises:
            CheckpointError: it does not fit this network, optimiser or data.
        """
        try:
            self.checkpoint.restore(str(prefix)).assert_consumed()
        except (tf.errors.OpError, AssertionError, ValueError) as error:
            raise CheckpointError(
                f"{prefix}: does not fit this run's network, optimiser or data "
                f"({str(error).splitlines()[0]}); give another --output."
            ) from None

    def save(self) -> Path:
        """A checkpoint of this step (weights, Adam, data position), all or
        nothing.

        Raises:
            OSError: it could not be written (nothing partial is left).
        """
        with saving(Path(self.manager.directory)):
            return Path(self.manager.save(checkpoint_number=self.steps_done))

    def train_step(self) -> StepLosses:
        """One optimiser step on the next batch; the step's mean loss terms."""
        terms = self._train_step(self._next_batch())
        return StepLosses(self.steps_done, {k: float(v) for k, v in terms.items()})

    def _next_batch(self):
        """The next global batch, one slice per replica."""
        batch = next(self.iterator)
        if self.replicas == 1:
            return batch
        share = self.config.batch_size // self.replicas

        def replica_slice(context):
            start = context.replica_id_in_sync_group * share
            return tf.nest.map_structure(lambda t: t[start : start + share], batch)

        return self.strategy.experimental_distribute_values_from_function(replica_slice)

    def _distributed_step(self, batch) -> dict[str, tf.Tensor]:
        per_replica = self.strategy.run(self._replica_step, args=(batch,))
        self.step.assign_add(1)
        reduce = tf.distribute.ReduceOp.SUM
        return {
            name: self.strategy.reduce(reduce, value, axis=None)
            for name, value in per_replica.items()
        }

    def _replica_step(self, batch) -> dict[str, tf.Tensor]:
        """Gradients of this replica's share of the global batch's mean loss (the
        optimiser sums them over replicas)."""
        with tf.GradientTape() as tape:
            terms = self.batch_terms(batch)
            total = tf.reduce_sum(terms["total"]) / self.config.batch_size
        gradients = tape.gradient(total, self.trainable)
        self.optimizer.apply_gradients(zip(gradients, self.trainable, strict=True))
        return {
            name: tf.reduce_sum(value) / self.config.batch_size
            for name, value in terms.items()
        }

    def batch_terms(self, batch) -> dict[str, tf.Tensor]:
        """Each image's loss terms (``[B]``) for one batch, network included."""
        if self.config.architecture == "adain":
            return self._adain_terms(*batch)
        output = self.network(batch, training=True)
        if self.config.preserve_color == "luminance":
            output, batch = grey(output), grey(batch)
        targets = self.extractor(batch)["content"]
        targets = {name: tf.stop_gradient(value) for name, value in targets.items()}
        return self.loss.scored(output, targets)

    def _adain_terms(self, content: tf.Tensor, style: tf.Tensor):
        """Huang and Belongie's objective with the package's loss: the decoded
        image's block4_conv1 against the AdaIN target, its Gram matrices against
        its own style's."""
        encoder = self.network.get_layer("adain_encoder")
        decoder = self.network.get_layer("adain_decoder")
        # One VGG19 pass over the styles gives both their Gram targets and the
        # encoder's features (the extractor's content layer is the encoder's).
        style_outputs = self.extractor(style)
        features = encoder(content)
        style_features = style_outputs["content"][ADAIN_ENCODER_LAYER]
        target = adaptive_instance_norm(
            features, tf.cast(style_features, features.dtype)
        )
        output = decoder(target, training=True)
        content_targets = {ADAIN_ENCODER_LAYER: tf.stop_gradient(target)}
        return self.loss.scored(output, content_targets, style_outputs["style"])

    def stylize_photos(self) -> tf.Tensor:
        """The held-back photos through the network as a user gets them (the
        photo's colours put back under luminance-only training)."""
        return stylize_with(self.network, self.config, self.photos, self.style_image)

    def held_out_losses(self, stylized: tf.Tensor) -> dict[str, float]:
        """Mean loss terms of the held-back photos' results (never trained on)."""
        scored = (
            grey(stylized) if self.config.preserve_color == "luminance" else stylized
        )
        count = int(self.photos.shape[0])
        return {k: float(v) / count for k, v in self.loss(scored).items()}


def worker_index(strategy: tf.distribute.Strategy) -> int:
    """This process's index among a multi-worker run's workers; 0 otherwise."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task = getattr(resolver, "task_id", None)
    return 0 if task is None else int(task)


def stylize_with(
    network: keras.Model, config: FitConfig, photos: tf.Tensor, style: tf.Tensor
) -> tf.Tensor:
    """``photos`` ``[N, S, S, 3]`` (sides multiples of 8) through ``network``."""
    if config.architecture == "adain":
        count = tf.shape(photos)[0]
        styles = tf.repeat(style, count, axis=0)
        return network([photos, styles, tf.ones([count])], training=False)
    output = network(photos, training=False)
    if config.preserve_color == "luminance":
        output = recombine_luminance(output, photos)
    return output


def inference_network(network: keras.Model, config: FitConfig) -> keras.Model:
    """The network users run: with the photo's colours put back where
    ``config.preserve_color`` is ``luminance``."""
    if config.preserve_color != "luminance":
        return network
    image = keras.Input((None, None, 3), name="content_image")
    output = keras.layers.Lambda(
        lambda pair: recombine_luminance(pair[0], pair[1]), name="photo_colours"
    )([network(image), image])
    return keras.Model(image, output, name=f"{network.name}_luminance")


__all__ = [
    "NetworkTrainer",
    "StepLosses",
    "build_extractor",
    "build_network",
    "grey",
    "inference_network",
    "stylize_with",
    "worker_index",
]
