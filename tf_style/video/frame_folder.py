"""A video given to ``--frames`` becomes a folder of numbered PNG frames in the
output folder, decoded once; from there the frames mode treats it as any folder of
frames, so a rerun resumes instead of decoding and stylising again. The frames are
decoded into a hidden folder beside their own and renamed into place only when
complete, so a refused or interrupted decode leaves nothing behind; a folder that
holds anything but an earlier decode is never replaced.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from tf_style.paths.identity import read_bounded
from tf_style.video.decoder import decoded_frames, probe_video
from tf_style.video.ffmpeg import VideoError, ffmpeg_executable, video_file_status

INPUT_FRAMES = "input_frames"
RECORD = "video.json"
# A record of 100,000 frames is about 3 MB: anything larger is not ours.
RECORD_LIMIT = 16 * 2**20
FRAME_NAME = re.compile(r"frame_\d{5,}\.png")


def read_regular_file(path: Path, *, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes
    (:func:`tf_style.paths.identity.read_bounded`: a FIFO or a device is never read).

    Raises:
        OSError: it cannot be read.
        ValueError: it is not a regular file, or is larger than ``limit``.
    """
    return read_bounded(path, limit, "cache file")


def extract_frames(video: Path, folder: Path) -> tuple[list[Path], float]:
    """Decode ``video`` into ``folder/frame_00001.png``, ... (once; a second call
    reads what the first recorded in ``folder/video.json``). Returns the frames and
    the video's frame rate.

    The frames are decoded into a hidden folder beside ``folder`` and renamed into
    place when all are written; on any failure (Ctrl-C included) that folder, and
    any parent folder made for it, is removed. A ``folder`` from an earlier decode
    is replaced; one holding anything else is refused.

    Raises:
        VideoError: in one line, why the video cannot be taken whole (see
            :func:`probe_video`; also a truncated or damaged video, a frame size
            that changes), or why the frames cannot be written.
    """
    video, folder = Path(video), Path(folder)
    info = video_file_status(video)
    identity = {
        "source": str(video),
        "bytes": info.st_size,
        "mtime_ns": info.st_mtime_ns,
    }
    recorded = _recorded(folder, identity)
    if recorded is not None:
        return recorded
    _check_replaceable(folder)
    header = probe_video(video)
    created: list[Path] = []
    partial = None
    try:
        _make_folders(folder.parent, created)
        partial = Path(
            tempfile.mkdtemp(
                prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent
            )
        )
        names = []
        frames = decoded_frames(ffmpeg_executable(), video, header)
        for number, (png, _) in enumerate(frames, 1):
            names.append(f"frame_{number:05d}.png")
            _save_frame(partial / names[-1], png)
        record = {**identity, "fps": header.fps, "frames": names}
        (partial / RECORD).write_text(json.dumps(record, indent=2))
        _move_into_place(partial, folder)
    except BaseException as error:
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)
        for made in reversed(created):
            with contextlib.suppress(OSError):
                made.rmdir()
        if isinstance(error, OSError):
            reason = error.strerror or error
            raise VideoError(
                f"{video}: cannot write its frames to {folder} ({reason})."
            ) from None
        raise
    return [folder / name for name in names], header.fps


def _save_frame(path: Path, png: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(png)


def _recorded(folder: Path, identity: dict) -> tuple[list[Path], float] | None:
    """The frames and rate ``folder``'s record gives for this very video file, or
    None where it is missing, unreadable, oversized or mistyped (decoded again)."""
    try:
        record = json.loads(read_regular_file(folder / RECORD, limit=RECORD_LIMIT))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or any(
        type(record.get(key)) is not type(value) or record.get(key) != value
        for key, value in identity.items()
    ):
        return None
    fps, names = record.get("fps"), record.get("frames")
    if not (isinstance(fps, float | int) and not isinstance(fps, bool)):
        return None
    if not (math.isfinite(fps) and fps > 0 and isinstance(names, list) and names):
        return None
    if not all(isinstance(name, str) and FRAME_NAME.fullmatch(name) for name in names):
        return None
    frames = [folder / name for name in names]
    if not all(_is_regular(frame) for frame in frames):
        return None
    return frames, float(fps)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _ours(folder: Path) -> bool:
    """Whether ``folder`` holds only what :func:`extract_frames` writes, its
    record included: frames named like ours, without it, are someone's own."""
    names = [entry.name for entry in folder.iterdir()]
    if names and RECORD not in names:
        return False
    return all(FRAME_NAME.fullmatch(name) or name == RECORD for name in names)


def _check_replaceable(folder: Path) -> None:
    """Refuse, before decoding, a ``folder`` that a decode may not replace."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise VideoError(
            f"{folder}: not a folder, where a video's frames are decoded; move it."
        )
    if folder.is_dir() and not _ours(folder):
        raise VideoError(
            f"{folder} holds files that are not decoded frames; move them, or "
            "choose another output folder."
        )


def _make_folders(folder: Path, created: list[Path]) -> None:
    """Make ``folder`` and its missing parents, each added to ``created`` as made."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir()
        created.append(each)


def _move_into_place(partial: Path, folder: Path) -> None:
    """Rename the complete ``partial`` folder to ``folder``, replacing an earlier
    decode there."""
    if not folder.exists():
        partial.rename(folder)
        return
    _check_replaceable(folder)
    old = Path(
        tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent)
    )
    folder.rename(old)  # onto the empty folder just made
    try:
        partial.rename(folder)
    except BaseException:
        old.rename(folder)
        raise
    shutil.rmtree(old, ignore_errors=True)
