"""Checks the commands make before any model is built, so no run's work is lost.

A run takes minutes to hours; a problem found only when its outputs are written (an
output path naming a folder, a file name too long for its temporary copy, a side file
that would replace an input image) or when its first step runs (a size that cannot fit
in memory, :mod:`~tf_style.commands.memory_check`) loses all of it. The outputs are
checked here, and fail as a :class:`tf_style.commands.cli.UsageError` (one line,
exit status 2). Nothing here leaves a file or a folder behind (a probe file proves a
folder writable and is removed at once): folders appear only when a file is written into
them, so a refused run leaves nothing behind. What a path is, and whether two paths
are one file, is :mod:`tf_style.paths.identity`'s to say.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tf_style.commands.cli import UsageError
from tf_style.paths.atomic import TEMPORARY_NAME_OVERHEAD
from tf_style.paths.identity import (
    PathError,
    ReadSet,
    check_name_lengths,
    kernel_path,
    name_limit,
)


def check_outputs(
    files: Iterable[Path], inputs: Iterable[Path], *, folders: Iterable[Path] = ()
) -> None:
    """Every file and folder a command will write, against every input it reads.

    Args:
        files: each file the command may write (image, curves, record, GIF, ...).
        inputs: each file it reads (content, style, initial image, weights, ...).
        folders: folders it fills with files of its own naming (frames).

    Raises:
        UsageError: an output is an existing folder, is an input (the same file by
            inode, however spelled), a folder holds an input or exists as a file, a
            name is too long for its temporary copy, or a location cannot be
            created or written.
    """
    reads = inputs if isinstance(inputs, ReadSet) else ReadSet(inputs)
    try:
        for path in files:
            kernel_path(path)  # a deleted working folder says so here
            check_output_file(path, reads)
        for folder in folders:
            check_output_folder(folder, reads)
    except PathError as error:  # a deleted working folder
        raise UsageError(str(error)) from None


def check_output_file(path: Path, reads: ReadSet) -> None:
    """One output file: not a folder, not an input, a writable place, a short name."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; name a file to write instead.")
    if path.exists() and not path.is_file():
        raise UsageError(
            f"{path}: is a FIFO, device or socket; name a regular file to write."
        )
    source = reads.holder(path)
    if source is not None:
        raise UsageError(f"{path}: refusing to overwrite the input image {source}.")
    check_writable_location(path.parent)
    check_name_length(path, extra=TEMPORARY_NAME_OVERHEAD)


def check_output_folder(folder: Path, reads: ReadSet) -> None:
    """A folder the command fills: not a file, and holding none of the inputs."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            f"{folder}: exists and is not a directory; it is needed for the frames. "
            "Move it or choose another --output."
        )
    source = reads.inside(folder)
    if source is not None:
        raise UsageError(
            f"{folder}: refusing to write frames into the folder that holds the "
            f"input {source}; move the input or choose another --output."
        )
    check_writable_location(folder)
    check_name_length(folder / "step_000000.png", extra=TEMPORARY_NAME_OVERHEAD)


def check_path_arguments(args: object) -> None:
    """Every path the command line names (a ``Path`` or a list of them) has names
    the file system can hold: a 256-byte name otherwise fails as a traceback
    wherever it is first touched.

    Raises:
        UsageError: naming the path.
    """
    for value in vars(args).values():
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, Path):
                try:
                    check_name_lengths(path)
                except PathError as error:
                    raise UsageError(str(error)) from None


def check_writable_location(folder: Path) -> None:
    """``folder`` exists and is writable, or could be created where it is missing.

    Raises:
        UsageError: a part of the path is a file, or the deepest existing folder
            cannot be written.
    """
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise UsageError(
            f"{folder}: cannot create output directory ({existing} is not a directory)."
        )
    verb = "is not writable" if existing == folder else "cannot be created"
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{folder}: output directory {verb} (permission denied).")
    reason = _cannot_create_in(existing)
    if reason:
        raise UsageError(f"{folder}: output directory {verb} ({reason}).")
    for part in _missing_parts(folder, existing):
        check_name_length(part, extra=0)


def _cannot_create_in(folder: Path) -> str | None:
    """Why no file can be made in ``folder`` (None: one can), found by making
    and removing one: ``/proc`` and read-only mounts pass ``os.access`` as root."""
    try:
        descriptor, probe = tempfile.mkstemp(prefix=".tf_style-probe-", dir=folder)
    except OSError as error:
        return error.strerror or str(error)
    os.close(descriptor)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def _missing_parts(folder: Path, existing: Path) -> list[Path]:
    parts, current = [], folder
    while current != existing and current.parent != current:
        parts.append(current)
        current = current.parent
    return parts


def check_name_length(path: Path, *, extra: int) -> None:
    """The file name (plus ``extra`` bytes) fits the file system's name limit.

    Raises:
        UsageError: the name is too long (``OSError`` 36 only after the run).
    """
    limit = name_limit(path.parent)
    length = len(os.fsencode(path.name)) + extra
    if length > limit:
        raise UsageError(
            f"{path}: file name too long ({length - extra} bytes; the file system "
            f"allows {limit - extra} for a file written through a temporary copy). "
            "Choose a shorter --output."
        )


def check_bit_depth(output: Path, bit_depth: int | None) -> None:
    """A bit depth the output's format can hold (JPEG has 8 bits), checked before
    the run rather than when the image is written.

    Raises:
        UsageError: ``--bit-depth 16`` with a JPEG output.
    """
    # Here, not at the top: this module loads before TensorFlow's logging is quiet.
    from tf_style.images.tensors import BIT_DEPTHS, SAVE_FORMATS

    depths = BIT_DEPTHS[SAVE_FORMATS[output.suffix.lower()]]
    if bit_depth is not None and bit_depth not in depths:
        raise UsageError(
            f"{output}: JPEG holds 8 bits per channel; write a .png or .tif for "
            f"--bit-depth {bit_depth}."
        )
