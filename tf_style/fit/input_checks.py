"""Every check of a training run that needs no model, made before one is built.

:func:`check_fit` lists the sources, loads the style, reads the record and checks
the checkpoint it names; :func:`~tf_style.fit.run.fit` then trains from the
:class:`FitPlan` it returns. A refused run has built nothing and written nothing,
not even its folder. What is refused, each as one ``ValueError``:

* an output folder inside a folder a source reads (its previews would become
  training images), compared by where the kernel puts the paths, never as text;
* a record that would outgrow what :mod:`tf_style.fit.record` reads back;
* a style image that cannot be read;
* a damaged record or checkpoint (:mod:`~tf_style.fit.record`,
  :mod:`~tf_style.fit.checkpoints`);
* continuing a run with other fixed settings, another style or other photos
  (:class:`ResumeConflict`, naming what changed).

The memory a step needs is the command's to check (:mod:`tf_style.fit.memory_estimate`
estimates it), as ``tf-style-train`` checks its own.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import tensorflow as tf

from tf_style.fit.checkpoints import check_checkpoint, checkpoint_folder
from tf_style.fit.config import FitConfig, resume_conflicts
from tf_style.fit.fingerprints import identity_changes, run_identity
from tf_style.fit.record import (
    MAX_RECORD_BYTES,
    RECORD_NAME,
    ROW_BYTES,
    read_record,
    record_bytes,
)
from tf_style.fit.sources import PhotoSource, read_folders, resolve_source
from tf_style.images.tensors import load_image
from tf_style.paths.identity import is_inside


class ResumeConflict(ValueError):
    """The directory holds a run with other settings; resuming would mix them."""


@dataclasses.dataclass(frozen=True)
class FitPlan:
    """A checked run: what :func:`~tf_style.fit.run.fit` trains from.

    Attributes:
        config: the run's settings.
        style: the style image (Johnson) or the listed style source (AdaIN).
        content: the listed photos.
        directory: the run's folder (it may not exist yet).
        identity: the style's and the photos' fingerprints
            (:mod:`~tf_style.fit.fingerprints`).
        record: the record of the run being continued; None for a new run.
        checkpoint: the checked checkpoint the record names; None for a new run.
        style_image: float32 ``[1, H, W, 3]``: the style (the first of a folder)
            at ``style_scale * image_size``.
    """

    config: FitConfig
    style: Path | PhotoSource
    content: PhotoSource
    directory: Path
    identity: dict
    record: dict | None
    checkpoint: Path | None
    style_image: tf.Tensor


def check_fit(
    config: FitConfig,
    *,
    style: str | os.PathLike | PhotoSource,
    content: str | os.PathLike | PhotoSource,
    directory: str | os.PathLike,
    worker: int = 0,
) -> FitPlan:
    """Check a run before any model is built; nothing is written.

    Args:
        config: the run's settings.
        style, content, directory: as :func:`~tf_style.fit.run.fit` takes them.
        worker: this process's index in a multi-worker run (its checkpoints').

    Raises:
        ResumeConflict: ``directory`` holds a run with other fixed settings, style
            or photos.
        ValueError: a source, the style image, the record or the checkpoint
            cannot be used (:class:`~tf_style.fit.record.RecordError`,
            :class:`~tf_style.fit.checkpoints.CheckpointError`,
            :class:`~tf_style.images.tensors.ImageError` among them).
    """
    directory = Path(directory)
    content = resolve_source(content)
    if config.architecture == "adain":
        style = resolve_source(style)
    else:
        style = Path(style)
    check_outside_sources(directory, {"--content": content, "--style": style})
    check_record_room(config)
    style_image = load_style(config, style)
    identity = run_identity(style, content)
    record = read_record(directory)
    if record is not None:
        check_same_run(directory, record, config, identity)
    steps = None if record is None else record["steps_done"]
    checkpoint = check_checkpoint(checkpoint_folder(directory, worker), steps)
    return FitPlan(
        config, style, content, directory, identity, record, checkpoint, style_image
    )


def check_outside_sources(directory: Path, sources: dict) -> None:
    """The run's folder, and so all it writes, lies outside every folder a source
    reads, and holds none of the files a source lists.

    Args:
        directory: the run's folder (it may not exist yet).
        sources: the sources by the option that names them: a
            :class:`PhotoSource`, or one image file.

    Raises:
        ValueError: naming the folder and the option.
    """
    written = directory / RECORD_NAME  # what the run writes lies where this does
    for role, source in sources.items():
        if not isinstance(source, PhotoSource):
            if is_inside(source, directory):  # a preview could replace it
                raise ValueError(
                    f"{directory}: holds the {role} image {source}, which the run's "
                    "files could replace. Give --output a folder that does not."
                )
            continue
        for folder in read_folders(source):
            if is_inside(written, folder):
                raise ValueError(
                    f"{directory}: inside {folder}, which {role} reads: its previews "
                    "would become training images. Give --output a folder outside "
                    "it."
                )
        if directory.exists():  # a listed link into it, say
            folders = {Path(os.path.realpath(f)).parent for f in source.files}
            inside = next((f for f in folders if is_inside(f / "x", directory)), None)
            if inside is not None:
                raise ValueError(
                    f"{directory}: {role} lists files in {inside}, inside it: the "
                    "run's own files would become training images. Give --output "
                    "a folder outside the sources."
                )


def check_record_room(config: FitConfig) -> None:
    """The record of ``config``'s run stays small enough to be read back."""
    if record_bytes(config) <= MAX_RECORD_BYTES:
        return
    rows = config.steps // config.log_every + config.steps // config.preview_every
    room = (MAX_RECORD_BYTES - record_bytes(config) + rows * ROW_BYTES) // ROW_BYTES
    every = -(-2 * config.steps // max(room, 1))  # log and preview each that often
    raise ValueError(
        f"log_every {config.log_every} and preview_every {config.preview_every} "
        f"over {config.steps} steps would write more rows than fit.json holds "
        f"({MAX_RECORD_BYTES >> 20} MiB); give log_every and preview_every of "
        f"at least {every}."
    )


def load_style(config: FitConfig, style: Path | PhotoSource) -> tf.Tensor:
    """The style image (the first of a folder) at ``style_scale * image_size``.

    Raises:
        ImageError: the file cannot be read (too large, truncated, not an image).
    """
    path = style.files[0] if isinstance(style, PhotoSource) else style
    return load_image(path, round(config.style_scale * config.image_size))


def check_same_run(
    directory: Path, record: dict, config: FitConfig, identity: dict
) -> None:
    """``config``, the style and the photos are those of the run in ``directory``.

    Raises:
        ResumeConflict: one line naming each difference.
    """
    saved = FitConfig.from_json(record["config"])
    conflicts = resume_conflicts(saved, config)
    conflicts += identity_changes(record["run"], identity)
    if conflicts:
        raise ResumeConflict(
            f"{directory} holds a run with other settings ({'; '.join(conflicts)}): "
            "give the same settings to continue it, or another --output."
        )


__all__ = [
    "FitPlan",
    "ResumeConflict",
    "check_fit",
    "check_outside_sources",
    "check_record_room",
    "check_same_run",
    "load_style",
]
