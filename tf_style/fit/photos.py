"""Which files a training source names: listed, checked, some held back.

A folder (recursive), a glob or one file; each file's header is checked with Pillow
(cheap: no pixels are decoded) so that a file TensorFlow cannot decode is skipped
with one warning before training starts, not an error an hour into it. A few photos
are held back for previews and the held-out loss: never trained on.
"""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import PIL.Image

from tf_style.images.decode import DECODE_ERRORS

# What tf.image.decode_image reads, by suffix and by Pillow's name for the format
# (MPO is the multi-picture JPEG many cameras write). TIFF, which the rest of
# tf_style reads through Pillow, is not among them.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"})
DECODABLE_FORMATS = frozenset({"JPEG", "MPO", "PNG", "BMP", "GIF", "WEBP"})
MIN_IMAGE_SIZE = 16
NAMED_IN_WARNING = 3  # unreadable files a warning names before "and N more"


class UnreadableImagesWarning(UserWarning):
    """Some files of a training source were skipped: TensorFlow cannot decode them."""


def list_images(source: str | os.PathLike) -> list[Path]:
    """The image files a training source names, checked and sorted.

    Args:
        source: a folder (searched recursively, hidden files and folders skipped),
            a glob pattern such as ``"photos/**/*.jpg"``, or one image file.

    Returns:
        The paths, sorted so a folder always yields the same list. Files whose
        header Pillow cannot read, or whose format TensorFlow cannot decode, are
        left out with one :class:`UnreadableImagesWarning`.

    Raises:
        ValueError: nothing exists or matches at ``source``, or no file is readable.
    """
    candidates = _candidates(source)
    if not candidates:
        suffixes = " ".join(sorted(IMAGE_SUFFIXES))
        raise ValueError(
            f"No training images at '{os.fspath(source)}': expected a folder of "
            f"images, a glob pattern or an image file ({suffixes})."
        )
    readable, unreadable = [], []
    for path in candidates:
        (readable if _is_decodable(path) else unreadable).append(path)
    if unreadable:
        warnings.warn(
            _skipped_message(source, unreadable, len(candidates)),
            UnreadableImagesWarning,
            stacklevel=2,
        )
    if not readable:
        raise ValueError(
            f"None of the {len(candidates)} files at '{os.fspath(source)}' is an "
            "image TensorFlow can decode (JPEG, PNG, BMP, GIF or WebP)."
        )
    return readable


def _candidates(source: str | os.PathLike) -> list[Path]:
    """The files ``source`` names, by suffix only: nothing is opened yet."""
    text = os.fspath(source)
    path = Path(text)
    if path.is_dir():
        return _folder_images(path)
    if path.is_file():
        return [path]
    matches = (Path(match) for match in glob.glob(text, recursive=True))
    return sorted(match for match in matches if match.is_file() and _suffix_ok(match))


def _folder_images(folder: Path) -> list[Path]:
    """Image files under ``folder``, skipping hidden ones (``.git``, ``.DS_Store``)."""
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [
            Path(root, name)
            for name in files
            if not name.startswith(".") and _suffix_ok(Path(name))
        ]
    return sorted(found)


def _suffix_ok(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def _is_decodable(path: Path) -> bool:
    """Whether the header names a format TensorFlow decodes (no pixels are read).

    A bad file found here costs a warning; found inside the pipeline, it would stop
    training hours in.
    """
    try:
        with warnings.catch_warnings():
            # Size alone does not make a training photo unreadable.
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(path) as opened:
                image_format = opened.format
                opened.verify()
    except (*DECODE_ERRORS, PIL.Image.DecompressionBombError):
        return False
    return image_format in DECODABLE_FORMATS


def _skipped_message(source: str | os.PathLike, skipped: list[Path], total: int) -> str:
    named = ", ".join(str(path) for path in skipped[:NAMED_IN_WARNING])
    more = len(skipped) - NAMED_IN_WARNING
    rest = f" and {more} more" if more > 0 else ""
    return (
        f"Skipped {len(skipped)} of {total} files at '{os.fspath(source)}' that are "
        f"not images TensorFlow can decode: {named}{rest}."
    )


def split_held_out(paths: Sequence[Path], count: int) -> tuple[list[Path], list[Path]]:
    """Hold ``count`` photos back for previews and evaluation; never train on them.

    The held-back photos are evenly spaced over the sorted paths, so the same folder
    always holds back the same photos and they are spread over it rather than taken
    from one end (often one shoot). At least one photo is always left to train on.

    Args:
        paths: the training source's images, e.g. from :func:`list_images`.
        count: how many to hold back; fewer when there are not ``count + 1`` paths.

    Returns:
        ``(training, held_out)``, both sorted.

    Raises:
        ValueError: ``count`` is negative.
    """
    if count < 0:
        raise ValueError(f"Cannot hold back {count} photos: count must be 0 or more.")
    ordered = sorted(Path(path) for path in paths)
    count = min(count, max(0, len(ordered) - 1))
    # The middle of each of `count` equal stretches: distinct, because each
    # stretch is longer than one path when count < len(ordered).
    chosen = {(2 * i + 1) * len(ordered) // (2 * count) for i in range(count)}
    training = [path for i, path in enumerate(ordered) if i not in chosen]
    held_out = [path for i, path in enumerate(ordered) if i in chosen]
    return training, held_out


__all__ = [
    "DECODABLE_FORMATS",
    "IMAGE_SUFFIXES",
    "MIN_IMAGE_SIZE",
    "UnreadableImagesWarning",
    "list_images",
    "split_held_out",
]
