"""Writing a video file: image files in, an H.264 MP4 out through imageio-ffmpeg.
The file appears whole or not at all (a hidden file renamed into place), and never
over a file the run reads.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from tf_style.paths.identity import check_not_protected
from tf_style.video.ffmpeg import ffmpeg_library


def write_video(frames: Sequence[Path], path: Path, fps: float) -> Path:
    """An H.264 MP4 of the image files ``frames`` at ``fps`` (sides made even,
    as its YUV 4:2:0 needs, by repeating the last row or column).

    Written to a hidden file beside ``path`` and renamed when complete; on any
    failure (Ctrl-C included) that file is removed.

    Raises:
        ValueError: no frames.
    """
    path = Path(path)
    if not frames:
        raise ValueError(f"{path}: no frames to write.")
    descriptor, name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=path.parent
    )
    os.close(descriptor)
    partial = Path(name)
    try:
        os.chmod(partial, 0o666 & ~_umask())  # mkstemp makes it private
        _encode(frames, partial, fps)
        check_not_protected(path)  # never over a file the run reads
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def _encode(frames: Sequence[Path], path: Path, fps: float) -> None:
    writer = None
    try:
        for frame in frames:
            with Image.open(frame) as image:
                pixels = _even(np.asarray(image.convert("RGB")))
            if writer is None:
                writer = ffmpeg_library().write_frames(
                    str(path),
                    (pixels.shape[1], pixels.shape[0]),
                    fps=fps,
                    codec="libx264",
                    quality=8,
                    macro_block_size=1,
                    pix_fmt_out="yuv420p",
                )
                writer.send(None)
            writer.send(np.ascontiguousarray(pixels))
    finally:
        if writer is not None:
            writer.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _even(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    return np.pad(pixels, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
