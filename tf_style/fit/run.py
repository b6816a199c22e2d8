"""fit(): data in, a trained and exported network out, resumable at any step.

Reads like the run: check everything that needs no model
(:func:`~tf_style.fit.input_checks.check_fit`), build the trainer, continue from the
checkpoint the record names, step (logging, previewing, checkpointing as it goes),
then export. Everything a run writes goes under its ``directory``::

    fit.json            settings, style and photo fingerprints, losses per logged
                        step, held-out losses, seconds (tf_style.fit.record)
    checkpoints/        the newest two checkpoints (weights, Adam, data position)
    logs/               TensorBoard: loss terms, held-out loss, preview images
    previews/           step_000200.png ...: the held-back photos, then the network's
    saved_model/        the TF-Hub calling convention (tf_style.fit.export)
    tflite/             network_float16.tflite, network_int8.tflite
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import keras
import tensorflow as tf

from tf_style.fit.config import FitConfig
from tf_style.fit.data import load_photos
from tf_style.fit.input_checks import FitPlan, ResumeConflict, check_fit
from tf_style.fit.interrupts import between_steps
from tf_style.fit.record import RECORD_VERSION, write_record
from tf_style.fit.sources import PhotoSource, dataset_from_source
from tf_style.fit.training import (
    NetworkTrainer,
    StepLosses,
    inference_network,
    worker_index,
)
from tf_style.images.tensors import clip_0_1, save_image
from tf_style.vgg.network import precision_reason


@dataclasses.dataclass
class FitResult:
    """What a finished (or stopped) run leaves: its folder, steps and record."""

    directory: Path
    steps: int
    record: dict
    exported: dict[str, Path] = dataclasses.field(default_factory=dict)


def fit(
    config: FitConfig,
    *,
    style: str | Path | PhotoSource,
    content: str | PhotoSource,
    directory: str | Path,
    strategy: tf.distribute.Strategy | None = None,
    on_step: Callable[[StepLosses], None] | None = None,
    export: bool = True,
    time_limit: float | None = None,
    vgg=None,
    plan: FitPlan | None = None,
) -> FitResult:
    """Train ``config.architecture`` on the photos of ``content`` and export it.

    Args:
        config: the run's settings.
        style: the style image (Johnson), or a folder or glob of styles (AdaIN).
        content: a folder or glob of photos, or ``tfds:NAME[:SPLIT]``. Either
            source may come resolved (:func:`~tf_style.fit.sources.resolve_source`,
            as the command does when it checks them): it is not listed again.
        directory: the run's folder; a run already there is continued.
        strategy: ``tf.distribute`` strategy (one device when None).
        on_step: called after every step with its losses (a progress bar).
        export: write the SavedModel and TFLite files at the end.
        time_limit: seconds of training (resumed runs' included) after which the
            run ends at the step it is in, as if ``config.steps`` were reached;
            the record says so.
        vgg: VGG19 to use (tests pass one); ``load_vgg19()`` when None.
        plan: :func:`~tf_style.fit.input_checks.check_fit`'s answer for these
            arguments, when the caller has checked them (the command does, before
            its progress bar); checked here when None.

    Raises:
        ResumeConflict: ``directory`` holds a run with other fixed settings, another
            style or other photos.
        ValueError: no photos, a style that cannot be read, a damaged record or
            checkpoint: all found before any model is built or folder made.
        OSError: a file could not be written (a checkpoint that failed leaves no
            partial files).

    A ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM where it raises one) waits for the
    step under way and its record (:mod:`tf_style.fit.interrupts`); the run's last
    step is then checkpointed with its record, and the interrupt propagates.
    """
    strategy = strategy or tf.distribute.get_strategy()
    if plan is None:
        plan = check_fit(
            config,
            style=style,
            content=content,
            directory=directory,
            worker=worker_index(strategy),
        )
    directory = plan.directory
    # Before VGG19 is built: a folder that cannot be made is an OSError now.
    directory.mkdir(parents=True, exist_ok=True)
    trainer, record = _prepare(plan, strategy, vgg)
    _train(trainer, record, directory, on_step, time_limit)
    result = FitResult(directory, trainer.steps_done, record)
    if export and trainer.worker == 0:
        result.exported = export_trained(trainer, record, directory)
    return result


def _train(trainer, record: dict, directory: Path, on_step, time_limit) -> None:
    """Steps to ``config.steps`` (or the time limit), each with its record and, when
    due, its checkpoint; a Ctrl-C takes effect between two steps."""
    config, first = trainer.config, trainer.steps_done
    started = time.perf_counter() - record["seconds"]
    with between_steps() as interrupts:
        try:
            while trainer.steps_done < config.steps:
                interrupts.check()
                if time_limit is not None and record["seconds"] >= time_limit:
                    record["stopped"] = f"time limit of {time_limit:.0f} s"
                    _preview(trainer, record, directory, trainer.steps_done)
                    break
                losses = trainer.train_step()
                record["seconds"] = time.perf_counter() - started
                _after_step(trainer, losses, record, directory)
                if on_step is not None:
                    on_step(losses)
        except KeyboardInterrupt:
            if trainer.steps_done > first:  # else the folder holds it already
                _checkpoint(trainer, record, directory)
            raise
        _checkpoint(trainer, record, directory)


def _prepare(plan: FitPlan, strategy, vgg):
    """The trainer, restored from the checkpoint the record names, and the record."""
    config, directory = plan.config, plan.directory
    # tf.data's shuffle seeds combine with the global seed: fix it first, so the
    # same config gives the same batches in any process.
    keras.utils.set_random_seed(config.seed)
    dataset, held_out = _dataset(config, plan.style, plan.content)
    photos = _photos(config, held_out, dataset)
    trainer = NetworkTrainer(
        config,
        dataset,
        plan.style_image,
        photos,
        directory,
        strategy=strategy,
        vgg=vgg,
    )
    if plan.checkpoint is not None:
        trainer.restore(plan.checkpoint)
    record = plan.record or {
        "version": RECORD_VERSION,
        "run": plan.identity,
        "held_out": [str(path) for path in held_out],
        "replicas": trainer.strategy.num_replicas_in_sync,
        "precision": trainer.precision,
        "precision_reason": precision_reason(config.mixed_precision),
        "seconds": 0.0,
        "history": [],
        "held_out_losses": [],
    }
    record["config"] = config.to_json()  # steps may have grown
    # The same bytes under another name (a moved folder) name the run from now on.
    record["style"] = _source_text(plan.style)
    record["content"] = plan.content.text
    trainer.log = (
        tf.summary.create_file_writer(str(directory / "logs"))
        if trainer.worker == 0
        else tf.summary.create_noop_writer()
    )
    return trainer, record


def _source_text(source: Path | PhotoSource) -> str:
    return source.text if isinstance(source, PhotoSource) else str(source)


def _dataset(config: FitConfig, style, content: PhotoSource):
    """Content crops (Johnson) or (content, style) pairs (AdaIN), and the held-out
    photos; styles are crops of the style folder at the same size."""
    contents, held_out = dataset_from_source(
        content,
        image_size=config.image_size,
        batch_size=config.batch_size,
        seed=config.seed,
        held_out=config.held_out,
    )
    if config.architecture == "johnson":
        return contents, held_out
    styles, _ = dataset_from_source(
        style,
        image_size=config.image_size,
        batch_size=config.batch_size,
        seed=config.seed + 1,
    )
    return tf.data.Dataset.zip((contents, styles)), held_out


def _photos(config: FitConfig, held_out: list[Path], dataset) -> tf.Tensor:
    """The held-back photos; the first batch's photos when none could be kept."""
    if held_out:
        return load_photos(held_out, config.image_size)
    first = next(iter(dataset))
    return first[0] if config.architecture == "adain" else first


def _after_step(trainer, losses: StepLosses, record: dict, directory: Path) -> None:
    """Log, preview and checkpoint on the steps the config names."""
    config, step = trainer.config, losses.step
    if step % config.log_every == 0 or step == config.steps:
        record["history"].append(
            {"step": step, "seconds": record["seconds"], **losses.losses}
        )
        with trainer.log.as_default(step=step):  # a no-op writer off worker 0
            for name, value in losses.losses.items():
                tf.summary.scalar(f"loss/{name}", value)
    if step % config.preview_every == 0 or step == config.steps:
        _preview(trainer, record, directory, step)
    if step % config.checkpoint_every == 0:
        _checkpoint(trainer, record, directory)


def _preview(trainer, record: dict, directory: Path, step: int) -> None:
    """The held-back photos above their results, saved and logged; their loss."""
    previewed = record["held_out_losses"]
    if trainer.worker != 0 or (previewed and previewed[-1]["step"] == step):
        return
    stylized = trainer.stylize_photos()
    held_out = trainer.held_out_losses(stylized)
    record["held_out_losses"].append(
        {"step": step, "seconds": record["seconds"], **held_out}
    )
    grid = preview_grid(trainer.photos, stylized)
    save_image(grid, directory / "previews" / f"step_{step:06d}.png")
    with trainer.log.as_default(step=step):
        tf.summary.image("preview", grid)
        for name, value in held_out.items():
            tf.summary.scalar(f"held_out/{name}", value)


def preview_grid(photos: tf.Tensor, stylized: tf.Tensor) -> tf.Tensor:
    """``[1, 2S, N*S, 3]``: the photos in a row, their results beneath."""
    top = tf.concat(tf.unstack(photos), axis=1)
    bottom = tf.concat(tf.unstack(tf.cast(stylized, tf.float32)), axis=1)
    return clip_0_1(tf.concat([top, bottom], axis=0)[None])


def _checkpoint(trainer, record: dict, directory: Path) -> None:
    """The checkpoint, then the record that names it (both or the older pair);
    the record is the first worker's to write."""
    record["checkpoint"] = str(trainer.save())
    record["steps_done"] = trainer.steps_done
    if trainer.worker == 0:
        write_record(record, directory)


def export_trained(trainer, record: dict, directory: Path) -> dict[str, Path]:
    """The SavedModel and TFLite files of the trained network."""
    from tf_style.fit.export import export_network

    network = inference_network(trainer.network, trainer.config)
    metadata = {
        "architecture": trainer.config.architecture,
        "style": record["style"],
        "steps": trainer.steps_done,
        "config": trainer.config.to_json(),
    }
    return export_network(
        network, trainer.config.architecture, directory, metadata=metadata
    )


__all__ = [
    "FitResult",
    "ResumeConflict",
    "FitPlan",
    "check_fit",
    "export_trained",
    "fit",
    "preview_grid",
]
