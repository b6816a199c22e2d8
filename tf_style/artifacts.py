"""What a run leaves on disk besides the image: JSON record, frames, animated GIF.

Every file is written atomically (temporary file, then rename), so an interrupted
write never leaves a half-written record or image.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import tensorflow as tf

from tf_style.images.tensors import save_image
from tf_style.paths.atomic import atomic_write
from tf_style.version import __version__


def write_json(record: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``record`` as indented JSON, atomically; NaN and infinity as null.

    JSON has no NaN: Python would write a bare ``NaN`` that other readers reject.
    """
    path = Path(path)
    text = json.dumps(_finite(record), indent=2, default=_jsonable, allow_nan=False)
    text += "\n"
    with atomic_write(path) as handle:
        handle.write(text.encode("utf-8"))
    return path


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth) replaced by None."""
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def library_versions() -> dict[str, str]:
    """Versions that decide numerical results, for the run record."""
    import keras

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "tf_style": __version__,
        "platform": platform.platform(),
        "executable": sys.executable,
    }


class FrameSaver:
    """Saves the image every ``every`` steps as ``directory/step_000010.png``."""

    def __init__(self, directory: str | os.PathLike, every: int):
        if every < 1:
            raise ValueError(f"save_every must be at least 1, got {every}.")
        self.directory = Path(directory)
        self.every = every
        self.paths: list[Path] = []
        self._last: np.ndarray | None = None  # pixels of the last frame written

    def save(self, step: int, image: tf.Tensor) -> None:
        """Save ``image`` if ``step`` is a multiple of ``every`` (step 0 always)."""
        if step % self.every == 0:
            self._write(step, image)

    def save_final(self, step: int, image: tf.Tensor) -> None:
        """Save the final image as the last frame unless that frame shows it already.

        After Ctrl-C the final image can be one update past the last frame of the
        same step (the update ran, its report did not); it is then saved as
        ``step_<step>_final.png``, so the animation ends on the image kept.
        """
        pixels = np.asarray(image)
        if self._last is not None and np.array_equal(self._last, pixels):
            return
        name = "_final" if self.paths and self.paths[-1] == self._path(step) else ""
        self._write(step, image, suffix=name)

    def _path(self, step: int, suffix: str = "") -> Path:
        return self.directory / f"step_{step:06d}{suffix}.png"

    def _write(self, step: int, image: tf.Tensor, suffix: str = "") -> None:
        self.paths.append(save_image(image, self._path(step, suffix)))
        self._last = np.asarray(image)


def make_gif(
    frames: list[Path], path: str | os.PathLike, *, seconds_per_frame: float = 0.15
) -> Path:
    """An animated GIF of the frames, resized to the last frame's size.

    Frames of a coarse-to-fine run have several sizes; they are scaled to the final
    one so the animation does not jump. The last frame is held for a second.
    """
    if not frames:
        raise ValueError("No frames to animate.")
    images = [_read_rgb(frame) for frame in frames]
    size = images[-1].size
    images = [
        im if im.size == size else im.resize(size, PIL.Image.BILINEAR) for im in images
    ]
    durations = [int(seconds_per_frame * 1000)] * (len(images) - 1) + [1000]
    path = Path(path)
    with atomic_write(path) as handle:
        images[0].save(
            handle,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
        )
    return path


def _read_rgb(path: Path) -> PIL.Image.Image:
    with PIL.Image.open(path) as image:
        return image.convert("RGB")


__all__ = ["FrameSaver", "library_versions", "make_gif", "write_json"]
