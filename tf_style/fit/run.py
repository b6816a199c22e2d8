"""fit(): data in, a trained and exported network out, resumable at any step.

Reads like the run: load the style and the photos, build the trainer, continue
from the last checkpoint, step (logging, previewing, checkpointing as it goes), then
export. Everything a run writes goes under its ``directory``::

    fit.json            settings, losses per logged step, held-out losses, seconds
    checkpoints/        the newest two checkpoints (weights, Adam, data position)
    logs/               TensorBoard: loss terms, held-out loss, preview images
    previews/           step_000200.png ...: the held-back photos, then the network's
    saved_model/        the TF-Hub calling convention (tf_style.fit.export)
    tflite/             network_float16.tflite, network_int8.tflite
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import keras
import tensorflow as tf

from tf_style.artifacts import write_json
from tf_style.fit.config import FitConfig, read_fit_config, resume_conflicts
from tf_style.fit.data import load_photos
from tf_style.fit.sources import PhotoSource, dataset_from_source, resolve_source
from tf_style.fit.training import (
    NetworkTrainer,
    StepLosses,
    inference_network,
)
from tf_style.images import clip_0_1, load_image, save_image
from tf_style.vgg.network import precision_reason


class ResumeConflict(ValueError):
    """The directory holds a run with other settings; resuming would mix them."""


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

    Raises:
        ResumeConflict: ``directory`` holds a run with other fixed settings.
        ValueError: no photos, or a style that cannot be read.

    A ``KeyboardInterrupt`` saves a checkpoint of the last finished step and the
    record before it propagates.
    """
    directory = Path(directory)
    check_resumable(directory, config)
    # First: a folder that cannot be made is an OSError now, not a TensorFlow error
    # from the log writer after VGG19 is built.
    directory.mkdir(parents=True, exist_ok=True)
    content = resolve_source(content)
    if config.architecture == "adain":
        style = resolve_source(style)
    trainer, record = _prepare(config, style, content, directory, strategy, vgg)
    started = time.perf_counter() - record["seconds"]
    try:
        while trainer.steps_done < config.steps:
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
        _checkpoint(trainer, record, directory)
        raise
    _checkpoint(trainer, record, directory)
    result = FitResult(directory, trainer.steps_done, record)
    if export and trainer.worker == 0:
        result.exported = export_trained(trainer, record, directory)
    return result


def check_resumable(directory: Path, config: FitConfig) -> None:
    """Refuse to continue a run made with other fixed settings."""
    saved = read_fit_config(directory)
    if saved is None:
        return
    conflicts = resume_conflicts(saved, config)
    if conflicts:
        raise ResumeConflict(
            f"{directory} holds a run with other settings ({'; '.join(conflicts)}): "
            "give the same settings to continue it, or another --output."
        )


def _prepare(config, style, content, directory, strategy, vgg):
    """The trainer, restored from the last checkpoint where there is one."""
    # tf.data's shuffle seeds combine with the global seed: fix it first, so the
    # same config gives the same batches in any process.
    keras.utils.set_random_seed(config.seed)
    dataset, held_out = _dataset(config, style, content)
    style_image = _preview_style(config, style)
    photos = _photos(config, held_out, dataset)
    trainer = NetworkTrainer(
        config, dataset, style_image, photos, directory, strategy=strategy, vgg=vgg
    )
    resumed = trainer.restore()
    record = _read_record(directory) if resumed else None
    if record is None:
        record = {
            "config": config.to_json(),
            "style": style.text if isinstance(style, PhotoSource) else str(style),
            "content": content.text,
            "held_out": [str(path) for path in held_out],
            "replicas": trainer.strategy.num_replicas_in_sync,
            "precision": trainer.precision,
            "precision_reason": precision_reason(config.mixed_precision),
            "seconds": 0.0,
            "history": [],
            "held_out_losses": [],
        }
    record["config"] = config.to_json()  # steps may have grown
    trainer.log = (
        tf.summary.create_file_writer(str(directory / "logs"))
        if trainer.worker == 0
        else tf.summary.create_noop_writer()
    )
    return trainer, record


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


def _preview_style(config: FitConfig, style) -> tf.Tensor:
    """The style image at ``style_scale * image_size`` (the first of a folder)."""
    path = style.files[0] if isinstance(style, PhotoSource) else Path(style)
    return load_image(path, round(config.style_scale * config.image_size))


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
    if trainer.worker != 0:
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
    directory.mkdir(parents=True, exist_ok=True)
    record["checkpoint"] = str(trainer.save())
    record["steps_done"] = trainer.steps_done
    if trainer.worker == 0:
        write_json(record, directory / "fit.json")


def _read_record(directory: Path) -> dict | None:
    path = directory / "fit.json"
    return json.loads(path.read_text()) if path.is_file() else None


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
    "check_resumable",
    "export_trained",
    "fit",
    "preview_grid",
]
