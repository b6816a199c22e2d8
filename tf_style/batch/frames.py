"""Frame sequences: a folder's numbered frames in order.

How frames depend on each other, and how steady the result is, is
:mod:`tf_style.video`'s.
"""

from __future__ import annotations

import re
from pathlib import Path

from tf_style.batch.inputs import IMAGE_SUFFIXES


def numbered_frames(folder: Path) -> list[Path]:
    """The images of ``folder`` in frame order (by the last number in the name)."""

    def number(path: Path) -> tuple[int, str]:
        digits = re.findall(r"\d+", path.stem)
        return (int(digits[-1]) if digits else -1, path.name)

    files = [p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=number)


__all__ = ["numbered_frames"]
