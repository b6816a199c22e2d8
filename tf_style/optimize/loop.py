"""The loop over scales: one loss and one optimiser per scale, for one image or many.

:func:`run_batch` takes images prepared by :func:`tf_style.controls.prepare` (a batch
``[B, H, W, 3]``, B = 1 for one image) and optimises them coarse to fine;
:func:`make_transfer` picks the optimiser the config names, each satisfying
:class:`~tf_style.optimize.protocol.Transfer`, so the loop never asks which it holds.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.controls import RunImages
from tf_style.losses import TEMPORAL_WEIGHT, TemporalTarget
from tf_style.memory.estimate import at_scale, plan_scales
from tf_style.memory.free import memory_budget
from tf_style.memory.resident import peak_resident_bytes, reset_peak_resident
from tf_style.objective import StyleContentLoss
from tf_style.optimize.lbfgs import LBFGSTransfer
from tf_style.optimize.multiscale import (
    resize_by,
    resize_to,
    scale_sizes,
    upsample_result,
)
from tf_style.optimize.protocol import Transfer
from tf_style.optimize.recorder import (
    RunRecorder,
    StepReport,
    StopRun,
    StylizeResult,
    TileReport,
)
from tf_style.optimize.reuse import adam_transfer, keep, lbfgs_transfer
from tf_style.optimize.tf_lbfgs import TFLBFGSTransfer
from tf_style.vgg.model import StyleContentModel

# A scale this large (pixels, all images of the batch) first runs the collector.
# Below it what the last scale or run left is a few MB, and a full collection costs
# more than that is worth: 0.1-0.4 s, growing with what the process holds (0.42 s a
# run in a test process, where it was the largest cost of a 40 px, 2-step run).
COLLECT_FROM_PIXELS = 512 * 512


def run_scales(
    extractor: StyleContentModel,
    images: RunImages,
    config: StyleTransferConfig,
    callback: Callable[[StepReport], None] | None = None,
) -> StylizeResult:
    """:func:`run_batch` for one image's prepared :class:`RunImages`."""
    return run_batch(extractor, images, config, callback)[0]


def run_batch(
    extractor: StyleContentModel,
    images: RunImages,
    config: StyleTransferConfig,
    callback: Callable[[StepReport], None] | None = None,
    strategy: tf.distribute.Strategy | None = None,
    *,
    temporal_weight: float = TEMPORAL_WEIGHT,
) -> list[StylizeResult]:
    """Optimise at each of ``config.scales`` in turn, upsampling between them.

    At each scale the loss is rebuilt from the content and the style images resized
    by that scale (see :mod:`~tf_style.optimize.multiscale` for why the style image
    shrinks too), and the optimiser starts afresh (Adam's moments have the old
    size). A single scale of 1 is exactly the tutorial's loop. At the full size the
    run may end before its steps once ``config.min_decrease`` says more steps no
    longer pay (:mod:`~tf_style.optimize.stopping`; the result's message says so).

    Args:
        extractor: the feature extractor, already in the wanted precision.
        images: the prepared content, styles, start and mask
            (:func:`tf_style.controls.prepare`), a batch ``[B, H, W, 3]``.
        config: schedule, optimiser and loss weights.
        callback: see :func:`tf_style.stylize`.
        strategy: see :func:`tf_style.optimize.driver.stylize_batch`.
        temporal_weight: the weight of ``images.temporal``'s term (a video frame).

    Returns:
        A :class:`StylizeResult` per image at the content's size, over all scales.
        Ctrl-C ends the run with status ``interrupted`` and the images so far.
    """
    content = images.content
    batch = int(content.shape[0])
    recorder = RunRecorder(config.total_steps, callback, batch=batch)
    sizes = scale_sizes(content.shape[1:3], config.scales)
    image, transfer, loss = resize_to(images.start, sizes[0]), None, None
    plans = plan_scales(content.shape[1:3], config, run_budget(config), batch=batch)
    try:
        for number, (scale, size, steps, tiling) in enumerate(
            zip(config.scales, sizes, config.steps_per_scale, plans, strict=True)
        ):
            settings = at_scale(config, steps)
            if tiling is not None:
                where = partial(TileReport, number + 1, len(sizes), tuple(size))
                tiling = replace(tiling, callback=tile_callback(callback, where))
            recorder.scales.append(
                {
                    "size": list(size),
                    "steps": steps,
                    "tile_bytes": None if tiling is None else tiling.window_bytes,
                }
            )
            # The last scale's state: free it before the next. The optimiser and
            # its compiled functions refer to each other, so only the collector
            # frees them; until it ran they held about 1 GB at 2896 px.
            transfer = loss = None
            if batch * size[0] * size[1] >= COLLECT_FROM_PIXELS:
                gc.collect()
            measured = reset_peak_resident()  # each scale's own peak, host memory
            image = upsample_result(
                image,
                content,
                size,
                start=config.coarse_start,
                method=config.upsampling,
            )
            loss = StyleContentLoss.from_config(
                extractor,
                resize_to(content, size),
                [resize_by(style, scale) for style in images.styles],
                config,
                mask=None if images.mask is None else resize_to(images.mask, size),
                tiling=tiling,
                temporal=[
                    TemporalTarget(resize_to(t.image, size), resize_to(t.weights, size))
                    for t in images.temporal
                ],
                temporal_weight=temporal_weight,
                regions=[
                    replace(
                        region,
                        mask=resize_to(region.mask, size),
                        style=resize_by(region.style, scale),
                    )
                    for region in images.regions
                ],
            )
            transfer = make_transfer(loss, image, settings, strategy=strategy)
            image = None  # the optimiser holds its own copy: free this one
            started, evaluations = time.perf_counter(), recorder.evaluations
            if number == len(sizes) - 1:  # the full size: its loss is the one asked for
                recorder.stop_when_flat(config.min_decrease)
            try:
                transfer.run(steps, recorder)
            except StopRun:
                pass  # the recorder's message says why; the status stays completed
            recorder.scales[-1] |= {
                "seconds": round(time.perf_counter() - started, 3),
                "evaluations": recorder.evaluations - evaluations,
                "host_peak_bytes": peak_resident_bytes() if measured else None,
            }
            image = tf.convert_to_tensor(transfer.image)
            keep(transfer)  # its compiled step, for the next run of this shape
            if recorder.status != "completed":
                break
    except KeyboardInterrupt:
        recorder.interrupted()
        if transfer is not None:
            image = tf.convert_to_tensor(transfer.image)
    return recorder.results(resize_to(image, content.shape[1:3]))


def run_budget(config: StyleTransferConfig) -> int | None:
    """The memory the run may use (None: unknown), read once at its start."""
    if config.tiling == "off":
        return None
    return memory_budget(config, bool(tf.config.list_physical_devices("GPU")))


def tile_callback(
    callback: Callable | None, where: Callable[..., TileReport]
) -> Callable[[str, int, int, int], None] | None:
    r"""The tiles' progress as :class:`TileReport`\ s, for a callback that has a
    ``tile`` method (the commands' progress bar); None for one that has not."""
    report = getattr(callback, "tile", None)
    if report is None:
        return None

    def on_tile(phase: str, stage: int, tile: int, tiles: int, stages: int) -> None:
        report(where(phase, stage + 1, stages, tile + 1, tiles))

    return on_tile


# The class holding each optimiser's state (see tf_style.optimize.protocol).
OPTIMIZER_CLASSES: dict[tuple[str, str], type[Transfer]] = {
    ("lbfgs", "scipy"): LBFGSTransfer,
    ("lbfgs", "tensorflow"): TFLBFGSTransfer,
}


def make_transfer(
    loss: StyleContentLoss,
    init_image: tf.Tensor,
    config: StyleTransferConfig,
    *,
    strategy: tf.distribute.Strategy | None = None,
) -> Transfer:
    """The state of the optimiser ``config.optimizer`` names, at ``init_image``.

    Adam takes a batch (and a strategy); L-BFGS one image.
    """
    if config.optimizer == "adam":
        return adam_transfer(loss, init_image, config, strategy=strategy)
    if init_image.shape[0] != 1 or strategy is not None:
        raise ValueError("L-BFGS optimises one image at a time, without a strategy.")
    kind = OPTIMIZER_CLASSES[config.optimizer, config.lbfgs_backend]
    if kind is LBFGSTransfer:
        return lbfgs_transfer(loss, init_image, config)
    return kind.from_config(loss, init_image, config)


__all__ = ["OPTIMIZER_CLASSES", "make_transfer", "run_batch", "run_scales"]
