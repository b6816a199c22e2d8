"""A run's checkpoint folder, read as a contract and written all or nothing.

The record (:mod:`tf_style.fit.record`) names the step its losses belong to; the
checkpoint of that step is the one a continued run restores, so the record and the
weights always agree. Before any model is built, that checkpoint is checked as far
as it can be without one: TensorFlow's index file (``checkpoints/checkpoint``) is
read capped and parsed strictly (it may only name this folder's ``ckpt-N``), the
checkpoint's files are regular files, every tensor is read back whole (a truncated
or corrupt file fails here, with its name) and its step is the record's.

Saving goes through :func:`saving`: a save that fails (a full disk, an I/O error)
leaves no ``ckpt-N_temp`` folder or partial file behind, and says so as an
``OSError``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import tensorflow as tf

from tf_style.fit.record import RecordError, read_capped
from tf_style.paths.identity import PathError, regular_file

INDEX_NAME = "checkpoint"  # TensorFlow's name for a checkpoint folder's index
PREFIX = "ckpt"  # tf.train.CheckpointManager's default checkpoint_name
MAX_INDEX_BYTES = 1 << 20  # the index names two checkpoints: a few hundred bytes
MAX_TENSOR_INDEX_BYTES = 64 << 20  # ckpt-N.index: some 60 bytes per variable
STEP_KEY = "step/.ATTRIBUTES/VARIABLE_VALUE"  # NetworkTrainer's step counter
# The index as tf.train.CheckpointManager writes it: names relative to the folder.
_INDEX_LINE = re.compile(
    rf'(model_checkpoint_path|all_model_checkpoint_paths): "{PREFIX}-\d+"'
    r"|(all_model_checkpoint_timestamps|last_preserved_timestamp): [0-9.eE+-]+"
)


class CheckpointError(ValueError):
    """The run's checkpoints cannot be continued: missing, damaged or another run's."""


def checkpoint_folder(directory: Path, worker: int = 0) -> Path:
    """Where a worker keeps its checkpoints: the first under ``checkpoints``, the
    others beside it (TensorFlow's multi-worker guide does the same)."""
    name = "checkpoints" if worker == 0 else f"checkpoints_worker{worker}"
    return Path(directory) / name


def check_checkpoint(folder: Path, step: int | None) -> Path | None:
    """The checkpoint a continued run restores, checked; None for a new run.

    Args:
        folder: the worker's checkpoint folder.
        step: the record's ``steps_done``; None when there is no record.

    Raises:
        CheckpointError: checkpoints without a record, no checkpoint of the
            record's step, or a damaged one (the file and the reason named).
    """
    listed = _read_index(folder / INDEX_NAME)
    if step is None:
        if listed or _checkpoint_files(folder):
            raise CheckpointError(
                f"{folder} holds checkpoints but the run has no record (fit.json): "
                "not a run this command can continue; delete the folder to start "
                "over, or give another --output."
            )
        return None
    prefix = folder / f"{PREFIX}-{step}"
    files = _checkpoint_files(folder, step)
    if f"{prefix.name}.index" not in files:
        raise CheckpointError(
            f"{prefix}: the checkpoint of step {step}, which the record names, is "
            "missing; delete the run's folder to start over, or give another --output."
        )
    for name in files:
        _regular(folder / name)
    read_all_tensors(prefix, step)
    return prefix


def _read_index(path: Path) -> list[str]:
    """The checkpoint names in TensorFlow's index, checked line by line."""
    try:
        data = read_capped(path, MAX_INDEX_BYTES, "checkpoint index")
    except RecordError as error:
        raise CheckpointError(str(error)) from None
    if data is None:
        return []
    try:
        lines = data.decode("ascii").splitlines()
    except UnicodeDecodeError:
        raise CheckpointError(f"{path}: not a checkpoint index (not text).") from None
    for number, line in enumerate(lines, 1):
        if line.strip() and not _INDEX_LINE.fullmatch(line.strip()):
            raise CheckpointError(
                f"{path}: line {number} is not one tf-style-fit writes (an index may "
                f"only name this folder's {PREFIX}-N checkpoints)."
            )
    return re.findall(rf'"({PREFIX}-\d+)"', data.decode("ascii"))


def _checkpoint_files(folder: Path, step: int | None = None) -> list[str]:
    """The names of the checkpoint files in ``folder`` (of one step, if given)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise CheckpointError(f"{folder}: cannot be read ({error.strerror}).") from None
    stem = f"{PREFIX}-{step}." if step is not None else f"{PREFIX}-"
    return sorted(name for name in names if name.startswith(stem))


def _regular(path: Path) -> None:
    """A checkpoint file must be a regular file: TensorFlow would block on a FIFO."""
    try:
        info = regular_file(path, "checkpoint file")
    except PathError as error:
        raise CheckpointError(str(error)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise CheckpointError(f"{path}: cannot be read ({reason}).") from None
    if path.suffix == ".index" and info.st_size > MAX_TENSOR_INDEX_BYTES:
        raise CheckpointError(f"{path}: {info.st_size} bytes; not a checkpoint index.")


def read_all_tensors(prefix: Path, step: int) -> None:
    """Read every tensor of the checkpoint (their checksums are checked) and its
    step counter, which must be ``step``.

    Raises:
        CheckpointError: a truncated or corrupt file, or another step.
    """
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        dtypes = reader.get_variable_to_dtype_map()
        names = sorted(dtypes)
        tf.raw_ops.RestoreV2(
            prefix=str(prefix),
            tensor_names=names,
            shape_and_slices=[""] * len(names),
            dtypes=[dtypes[name] for name in names],
        )
        saved_step = int(reader.get_tensor(STEP_KEY)) if STEP_KEY in dtypes else None
    # TensorFlow raises OpError subclasses, and IndexError or ValueError for some
    # truncations.
    except (tf.errors.OpError, IndexError, ValueError, TypeError) as error:
        raise CheckpointError(
            f"{prefix}: the checkpoint is damaged (truncated or corrupt: "
            f"{error_line(error)}); delete the run's folder to start over, or give "
            "another --output."
        ) from None
    if saved_step != step:
        raise CheckpointError(
            f"{prefix}: holds step {saved_step}, but the record says {step}: not "
            "this run's checkpoint; delete the run's folder to start over, or give "
            "another --output."
        )


def error_line(error: Exception) -> str:
    """An error's first line, without TensorFlow's ``{{function_node ...}}``."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    message = re.sub(r"\{\{[^}]*\}\}\s*", "", message.splitlines()[0])
    return re.sub(r"\s*\[Op:\w+\]", "", message).strip()


@contextlib.contextmanager
def saving(folder: Path) -> Iterator[None]:
    """A checkpoint save, all or nothing: however it stops, what it added to
    ``folder`` (TensorFlow's ``ckpt-N_temp`` folder, a partial file) is removed.

    Raises:
        OSError: the save failed (TensorFlow's I/O errors included): its
            ``filename`` is the folder, its ``strerror`` the reason.
    """
    before = set(_entries(folder))
    try:
        yield
    except BaseException as error:
        for name in set(_entries(folder)) - before:
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if isinstance(error, (OSError, tf.errors.OpError)):
            number = getattr(error, "errno", None)
            raise OSError(number, error_line(error), str(folder)) from error
        raise


def _entries(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


__all__ = [
    "CheckpointError",
    "INDEX_NAME",
    "check_checkpoint",
    "checkpoint_folder",
    "error_line",
    "read_all_tensors",
    "saving",
]
