"""A run's training source, named once: a folder, a glob, one file or a TFDS split.

The fit command checks its sources before building any model and then trains on
them. Listing a folder reads every file's header (:func:`list_images` leaves out
what cannot be decoded), which for a COCO-sized folder takes minutes and warns about
the same files each time: so a source is resolved once, into a
:class:`PhotoSource`, and the check and the training share it.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

from tf_style.fit.data import training_dataset
from tf_style.fit.photos import list_images, split_held_out
from tf_style.fit.tfds import (
    TFDS_PREFIX,
    parse_tfds_source,
    tfds_dataset,
    tfds_examples,
)
from tf_style.paths.identity import file_id, kernel_path


@dataclass(frozen=True)
class PhotoSource:
    """A source as the user wrote it, and its image files (none for TFDS)."""

    text: str
    files: tuple[Path, ...] = ()

    @property
    def is_tfds(self) -> bool:
        return self.text.startswith(TFDS_PREFIX)


def resolve_source(source: str | os.PathLike | PhotoSource) -> PhotoSource:
    """List a folder, glob or file; check that a TFDS split is prepared.

    Raises:
        ValueError: the source names no usable images (see :func:`list_images`),
            or a TFDS split that is not installed or prepared.
    """
    if isinstance(source, PhotoSource):
        return source
    text = os.fspath(source)
    if text.startswith(TFDS_PREFIX):
        name, split = parse_tfds_source(text)
        tfds_examples(name, split=split, data_dir=None, seed=0)
        return PhotoSource(text)
    return PhotoSource(text, tuple(list_images(text)))


def listing_root(text: str) -> str:
    """The folder a source's files are listed under: the folder itself, a file's
    folder, or a glob's leading parts without wildcards (``ph`` for ``ph/**/*.png``).
    """
    if os.path.isdir(text):
        return text
    if os.path.isfile(text):
        return os.path.dirname(text) or "."
    fixed = []
    for part in Path(text).parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def read_folders(source: PhotoSource) -> list[Path]:
    """Every folder whose files ``source`` may read, now or when listed again.

    A folder is walked without following links to folders, so it is the one
    folder (as the kernel resolves it). A glob may reach anything under its
    leading fixed folder, and its wildcards follow links to folders: each such
    link's target (within the pattern's depth, any depth for ``**``) is a folder
    it reads too. One file, or a TFDS split, reads no folder.
    """
    if source.is_tfds:
        return []
    if os.path.isdir(source.text):
        return [kernel_path(source.text)]
    if os.path.isfile(source.text) and not glob.has_magic(source.text):
        return []
    root = listing_root(source.text)
    folders = os.path.dirname(source.text)
    if not glob.has_magic(folders) or not os.path.isdir(root):
        return [kernel_path(root)]  # its files are the root's own
    depth = (
        None if "**" in folders else len(Path(folders).parts) - len(Path(root).parts)
    )
    return _folders_reached(root, depth)


def _folders_reached(root: str, depth: int | None) -> list[Path]:
    """``root`` and the targets of the links to folders found under it (and under
    them), each once; ``depth`` folders down at most (None: all)."""
    found, seen, waiting = [], set(), [(root, 0)]
    while waiting:
        folder, level = waiting.pop()
        identity = file_id(folder)
        if identity is None or identity in seen:
            continue
        seen.add(identity)
        found.append(kernel_path(folder))
        for parent, folders, _ in os.walk(folder):
            down = level + len(Path(parent).relative_to(folder).parts)
            if depth is not None and down >= depth:
                folders.clear()
                continue
            waiting += [
                (os.path.join(parent, name), down + 1)
                for name in folders
                if os.path.islink(os.path.join(parent, name))
            ]
    return found


def dataset_from_source(
    source: str | os.PathLike | PhotoSource,
    *,
    image_size: int,
    batch_size: int,
    seed: int | None = None,
    held_out: int = 0,
) -> tuple[tf.data.Dataset, list[Path]]:
    """The training batches a command's ``source`` argument names.

    Args:
        source: a folder, glob or image file (see :func:`list_images`), or
            ``tfds:NAME[:SPLIT]`` for a prepared TensorFlow Datasets split
            (``tfds:coco/2017``; the split defaults to ``train``); or a
            :class:`PhotoSource` already resolved (not listed again).
        image_size: side of the square crops, in pixels.
        batch_size: crops per batch.
        seed: the same seed gives the same batches; None draws one.
        held_out: photos of a folder source to hold back (:func:`split_held_out`:
            the same folder always holds back the same photos, whatever the seed).

    Returns:
        ``(batches, held_out_paths)``. A TFDS source holds nothing back (its
        held-out paths are ``[]``): the caller brings its own preview photos.

    Raises:
        ValueError: the source names no usable images, or a size is too small.
    """
    text = source.text if isinstance(source, PhotoSource) else os.fspath(source)
    if text.startswith(TFDS_PREFIX):
        name, split = parse_tfds_source(text)
        batches = tfds_dataset(
            name,
            split=split,
            image_size=image_size,
            batch_size=batch_size,
            seed=seed,
        )
        return batches, []
    files = list(resolve_source(source).files)
    training, held_out_paths = split_held_out(files, held_out)
    batches = training_dataset(
        training, image_size=image_size, batch_size=batch_size, seed=seed
    )
    return batches, held_out_paths


__all__ = [
    "PhotoSource",
    "dataset_from_source",
    "listing_root",
    "read_folders",
    "resolve_source",
]
