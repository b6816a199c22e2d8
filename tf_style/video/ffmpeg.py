"""The ffmpeg that reads and writes video files: imageio-ffmpeg's own binary (so
nothing else needs installing), the error every video module raises, and ffmpeg's
log put into plain words. Kept apart so the header, the decoder and the writer
each ask one place for the binary and explain a failure the same way.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from types import ModuleType


class VideoError(ValueError):
    """A video file that cannot be read (or ffmpeg is missing)."""


def ffmpeg_library() -> ModuleType:
    """The ``imageio_ffmpeg`` module, imported only when a video is read or
    written: the rest of tf_style runs without it."""
    try:
        import imageio_ffmpeg
    except ImportError as error:  # pragma: no cover - depends on the install
        raise VideoError(
            "video files need imageio-ffmpeg: pip install 'tf_style[video]'"
        ) from error
    return imageio_ffmpeg


def ffmpeg_executable() -> str:
    """The path of imageio-ffmpeg's ffmpeg binary.

    Raises:
        VideoError: imageio-ffmpeg is missing, or cannot find its binary.
    """
    try:
        return ffmpeg_library().get_ffmpeg_exe()
    except RuntimeError as error:  # pragma: no cover - depends on the install
        raise VideoError(f"cannot find ffmpeg ({error}).") from None


def video_file_status(video: Path) -> os.stat_result:
    """``video``'s status, once it is known to be a non-empty regular file: ffmpeg
    would wait forever on a FIFO.

    Raises:
        VideoError: it is missing, unreadable, empty or not a regular file.
    """
    try:
        info = os.stat(video)
    except FileNotFoundError:
        raise VideoError(f"{video}: no such video file.") from None
    except OSError as error:
        reason = error.strerror or error
        raise VideoError(f"{video}: cannot read the video ({reason}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise VideoError(f"{video}: not a video file (a folder, FIFO or device).")
    if info.st_size == 0:
        raise VideoError(f"{video}: the file is empty.")
    return info


# ffmpeg's telling lines, most telling first, in plain words. Its last line is often
# a generic one ("At least one output file must be specified"): never the reason.
_REASONS = {
    "moov atom not found": "the file is not a whole MP4: its index is missing "
    "(truncated, unfinished, or not a video)",
    "partial file": "the file is truncated",
    "file ended prematurely": "the file is truncated",
    "end of file": "the file ends early (truncated, or a video with no frames)",
    "does not contain any stream": "no video stream",
    "matches no streams": "no video stream",
    "invalid data": "the data is not a video ffmpeg can decode",
    "no such file": "no such file",
    "permission denied": "permission denied",
}
_GENERIC = (
    "at least one output file must be specified",
    "error opening input file",
    "error opening output file",
    "error parsing options",
    "failed to set value",
    "to ignore this",
    "conversion failed",
)
_PREFIX = re.compile(r"^(?:\[[^\]]*\]\s*)+")  # "[h264 @ 0x55d0...] "


def ffmpeg_reason(stderr: str, *, any_line: bool = True) -> tuple[str, str] | None:
    """The most telling line of ffmpeg's ``stderr`` and what it means in plain
    words, or None where it says nothing but generic lines (or, unless
    ``any_line``, nothing known: its header is all lines of information)."""
    lines = [_PREFIX.sub("", line).strip() for line in stderr.splitlines()]
    lines = [line[:200] for line in lines if line]
    for key, words in _REASONS.items():
        for line in lines:
            if key in line.lower():
                return line, words
    for line in lines if any_line else ():
        if not line.lower().startswith(_GENERIC):
            return line, "ffmpeg cannot decode it"
    return None
