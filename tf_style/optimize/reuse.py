"""A compiled step kept between runs of the same shape and settings.

Tracing the tutorial's ``train_step`` (or L-BFGS's loss and gradient) and its
first call cost about 1.5 s in every run, whatever its length: at 48 px that was
half of a three-step run (3.2 -> 1.6 s measured), and a folder of photos of one
size, the studio's "Go on" and a notebook's next cell each paid it again, for a
graph that differs from the last one only in its targets and its start. Here the
last run's compiled function is kept, with the loss whose variables it reads; the
next run with the same network, shape and settings puts its own targets into
those variables (and, for Adam, its start into the image and Adam's state back to
new) and runs the same function. Each run thus computes exactly what a fresh one
computes (tests/test_reuse.py).

Only a function whose graph reads nothing but variables is kept (its captured
inputs are all resource handles): a target left as a captured tensor would
otherwise be the last run's. A video's frames share one (their warped earlier
results and weights are variables too). Tiled, distributed, masked and regional
losses, TensorFlow's L-BFGS, and functions run eagerly are not kept; their runs
build their own as before. A run takes the kept function out while it runs, so
two runs never share one; one is kept at a time, and none for runs over
``MAX_KEPT_PIXELS``.
"""

from __future__ import annotations

import threading

import keras
import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.images.tensors import clip_0_1
from tf_style.losses import TemporalTarget
from tf_style.objective import StyleContentLoss
from tf_style.optimize.adam import StyleTransfer
from tf_style.optimize.lbfgs import LBFGSTransfer

# Runs larger than this (pixels, all images) are not kept: their image and Adam's
# moments would stay in memory after the run (4 copies of the image).
MAX_KEPT_PIXELS = 1024 * 1024

_lock = threading.Lock()
_kept: dict[str, object] = {}  # "key" and "transfer" of the last run kept


def reusable(loss: StyleContentLoss, strategy) -> bool:
    """Whether a run of ``loss`` may keep its step: its graph can read all that
    changes between runs from variables."""
    return (
        strategy is None
        and loss.tiling is None
        and loss.mask is None
        and loss.guides is None
        and not tf.config.functions_run_eagerly()
    )


def step_key(
    kind: str,
    loss: StyleContentLoss,
    init_image: tf.Tensor,
    config: StyleTransferConfig,
) -> tuple:
    """What the compiled function of optimiser ``kind`` depends on besides its
    targets and start."""
    shapes = tuple(
        (name, tuple(t.shape), t.dtype.name)
        for targets in (loss.content_targets, loss.style_targets)
        for name, t in targets.items()
    )
    temporal = tuple(
        (tuple(t.image.shape), tuple(t.weights.shape)) for t in loss.temporal
    )
    adam = (config.learning_rate, config.beta_1, config.epsilon)
    return (
        kind,
        network_identity(loss.extractor),
        tuple(init_image.shape),
        shapes,
        loss.style_weight,
        loss.content_weight,
        loss.total_variation_weight,
        None if loss.layer_weights is None else tuple(loss.layer_weights.items()),
        loss.loss_normalization,
        temporal,
        loss.temporal_weight,
        adam if kind == "adam" else None,
        config.jit,
        keras.mixed_precision.global_policy().name,
    )


def network_identity(extractor) -> tuple:
    """What an extractor computes: its layers, each layer's kind and precision, and
    the very variables that hold its weights.

    Two extractors cut from one loaded VGG19 for the same layers compute the same
    features, so a command or a ``stylize`` call that builds its own extractor
    still finds the step kept by the last one. The kept loss holds its extractor's
    variables, so their ids cannot be another variable's while it is kept; a
    network copied to another precision or pooling has new variables and layers.
    """
    return (
        tuple(extractor.style_layers),
        tuple(extractor.content_layers),
        tuple(
            (layer.name, type(layer).__name__, str(layer.compute_dtype))
            for layer in extractor.vgg.layers
        ),
        tuple(id(variable) for variable in extractor.vgg.weights),
    )


def adam_transfer(
    loss: StyleContentLoss,
    init_image: tf.Tensor,
    config: StyleTransferConfig,
    *,
    strategy: tf.distribute.Strategy | None = None,
) -> StyleTransfer:
    """Adam at ``init_image`` for ``loss``: the kept step when one fits, else a new
    one (whose targets are then variables, so that it can be kept after)."""
    if not reusable(loss, strategy):
        return StyleTransfer.from_config(loss, init_image, config, strategy=strategy)
    key = step_key("adam", loss, init_image, config)
    kept = _take(key, loss)
    if kept is not None:
        _retarget(kept.loss, loss)
        kept.image.assign(clip_0_1(tf.cast(init_image, tf.float32)))
        for variable, value in zip(
            kept.optimizer.variables, kept.initial_state, strict=True
        ):
            variable.assign(value)
        return kept
    _targets_as_variables(loss)
    transfer = StyleTransfer.from_config(loss, init_image, config)
    transfer.initial_state = [tf.identity(v) for v in transfer.optimizer.variables]
    return _marked(transfer, key, transfer._step)


def lbfgs_transfer(
    loss: StyleContentLoss, init_image: tf.Tensor, config: StyleTransferConfig
) -> LBFGSTransfer:
    """scipy's L-BFGS-B at ``init_image`` for ``loss``, with the kept compiled loss
    and gradient when one fits."""
    if not reusable(loss, None):
        return LBFGSTransfer.from_config(loss, init_image, config)
    key = step_key("lbfgs", loss, init_image, config)
    kept = _take(key, loss)
    if kept is not None:
        _retarget(kept.loss, loss)
        transfer = LBFGSTransfer.from_config(
            kept.loss, init_image, config, compiled=kept.loss_and_gradient
        )
    else:
        _targets_as_variables(loss)
        transfer = LBFGSTransfer.from_config(loss, init_image, config)
    return _marked(transfer, key, transfer.loss_and_gradient)


def keep(transfer) -> None:
    """Keep ``transfer``'s compiled function for the next run of the same key, if
    its graph reads only variables (else forget it)."""
    key = getattr(transfer, "reuse_key", None)
    if key is None or _pixels(transfer.image) > MAX_KEPT_PIXELS:
        return
    if not _reads_only_variables(transfer.reuse_function):
        return
    with _lock:
        _kept.clear()
        _kept.update(key=key, transfer=transfer)


def forget() -> None:
    """Drop the kept function (its memory is freed by the next collection)."""
    with _lock:
        _kept.clear()


def _take(key: tuple, loss: StyleContentLoss):
    """The kept transfer for ``key`` (now the caller's alone), or None."""
    with _lock:
        kept = _kept.pop("transfer", None) if _kept.get("key") == key else None
        _kept.clear()
    return kept


def _marked(transfer, key: tuple, function) -> object:
    transfer.reuse_key, transfer.reuse_function = key, function
    return transfer


def _retarget(kept: StyleContentLoss, loss: StyleContentLoss) -> None:
    """``kept``'s target variables hold ``loss``'s targets."""
    for name, value in loss.content_targets.items():
        kept.content_targets[name].assign(value)
    for name, value in loss.style_targets.items():
        kept.style_targets[name].assign(value)
    for target, new in zip(kept.temporal, loss.temporal, strict=True):
        target.image.assign(new.image)
        target.weights.assign(new.weights)
    kept.content_image = loss.content_image  # read by no function kept here


def _targets_as_variables(loss: StyleContentLoss) -> None:
    loss.content_targets = {
        name: tf.Variable(value, trainable=False)
        for name, value in loss.content_targets.items()
    }
    loss.style_targets = {
        name: tf.Variable(value, trainable=False)
        for name, value in loss.style_targets.items()
    }
    loss.temporal = tuple(
        TemporalTarget(
            tf.Variable(t.image, trainable=False),
            tf.Variable(t.weights, trainable=False),
        )
        for t in loss.temporal
    )


def _reads_only_variables(step) -> bool:
    if not isinstance(step, tf.types.experimental.PolymorphicFunction):
        return False
    if step.experimental_get_tracing_count() != 1:  # never ran, or traced twice
        return False
    concrete = step.get_concrete_function()
    return all(t.dtype == tf.resource for t in concrete.captured_inputs)


def _pixels(image: tf.Variable) -> int:
    batch, height, width = image.shape[:3]
    return int(batch) * int(height) * int(width)


__all__ = [
    "MAX_KEPT_PIXELS",
    "adam_transfer",
    "forget",
    "keep",
    "lbfgs_transfer",
    "network_identity",
    "reusable",
]
