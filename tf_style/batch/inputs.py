"""Which files a many-image run takes: a folder's images, a glob's matches.

Pure path logic, no TensorFlow: the command decides the mode and plans its outputs
(:mod:`tf_style.batch.plan`) before anything heavy starts.
"""

from __future__ import annotations

import glob
from pathlib import Path

from tf_style.images.tensors import SAVE_FORMATS

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def collect_inputs(spec: Path | str) -> list[Path]:
    """The image files of a folder (by suffix), or the files a glob matches; sorted."""
    spec = Path(spec)
    if spec.is_dir():
        files = [p for p in spec.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    else:
        # Not only regular files: a FIFO or a dangling link the glob names is an
        # input that fails (and is said), as in a folder, not one dropped unsaid.
        files = [Path(p) for p in glob.glob(str(spec)) if not Path(p).is_dir()]
    return sorted(files)


def is_many(spec: Path | str | None, output: Path | None) -> bool:
    """Whether ``--content`` and ``--output`` ask for the many-image mode.

    ``--content`` must name a folder or a glob, and ``--output`` a folder (a path
    without an image suffix): a folder given alone stays the single-image
    command's "is a directory" error, as before.
    """
    if spec is None or output is None or output.suffix.lower() in SAVE_FORMATS:
        return False
    return Path(spec).is_dir() or any(c in str(spec) for c in "*?[")


__all__ = ["IMAGE_SUFFIXES", "collect_inputs", "is_many"]
