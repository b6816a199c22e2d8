"""What a video run reads: a video file or a folder of frames, checked before any
decoding, and which sequence an output folder already holds (one per folder: a
second would mix two sequences in one video and take the first one's frames).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tf_style.batch.results import RunRefused
from tf_style.memory.fits import resized_size
from tf_style.paths.identity import SpecialFileError, kernel_path, regular_file
from tf_style.video.files import VIDEO_SUFFIXES, is_video


def check_frames_source(frames: Path) -> Path | None:
    """The video file ``frames`` names (None: it is a folder of frames).

    Raises:
        RunRefused: a missing video, or neither a video nor a folder.
    """
    if is_video(frames):
        try:
            regular_file(frames, "video")
        except FileNotFoundError:
            raise RunRefused(f"{frames}: no such video file.") from None
        except SpecialFileError as error:
            raise RunRefused(str(error)) from None
        return frames
    if not frames.is_dir():
        raise RunRefused(
            f"{frames}: --frames names a video file "
            f"({', '.join(VIDEO_SUFFIXES)}) or a folder of numbered frames."
        )
    return None


def video_record(video: Path) -> dict:
    """What identifies a video for the manifest: where it is, its size and time."""
    info = video.stat()
    return {
        "video": str(kernel_path(video)),
        "bytes": info.st_size,
        "mtime_ns": info.st_mtime_ns,
    }


def folder_record(folder: Path | str) -> dict:
    return {"frames": str(kernel_path(folder))}


def check_same_source(output: Path, recorded: dict | None, current: dict) -> None:
    """Frames of one video (or folder) per output folder: another would mix two
    sequences in one video and replace the first one's frames.

    Raises:
        RunRefused: the folder holds another sequence's frames.
    """
    if recorded is None:
        return
    kind = next(iter(current))
    if recorded.get(kind) != current[kind]:
        was = recorded.get("video") or recorded.get("frames") or "a folder of images"
        raise RunRefused(
            f"{output}: holds the results of {was}; choose another --output for "
            f"{current[kind]}."
        )
    if any(recorded.get(key) != value for key, value in current.items()):
        raise RunRefused(
            f"{output}: holds the results of another video that was at "
            f"{current[kind]} (its size or time differs); choose another --output."
        )


def check_video_tools() -> None:
    """A video run measures (and by default follows) the optical flow: OpenCV and
    imageio-ffmpeg must be installed (the ``video`` extra).

    Raises:
        RunRefused: naming the install command.
    """
    missing = [m for m in ("cv2", "imageio_ffmpeg") if not importlib.util.find_spec(m)]
    if missing:
        raise RunRefused(
            f"--frames needs {' and '.join(missing)}: pip install 'tf_style[video]' "
            "(opencv-python-headless, imageio, imageio-ffmpeg)."
        )


def check_one_frame_size(frames: list[Path], max_dim: int) -> None:
    """Every frame has the first one's size once resized (else refused up front:
    each frame starts from the last, and the warping error compares them pixel by
    pixel).

    Raises:
        RunRefused: naming the first frame that differs.
    """
    if not frames:
        return
    first = resized_size(frames[0], max_dim)
    for frame in frames[1:]:
        size = resized_size(frame, max_dim)
        if size is not None and first is not None and size != first:
            raise RunRefused(
                f"{frame}: the frames differ in size ({size[1]}x{size[0]} px at "
                f"--max-dim {max_dim}, the first {first[1]}x{first[0]}); resize them "
                "to one size first."
            )


__all__ = [
    "check_frames_source",
    "check_one_frame_size",
    "check_same_source",
    "check_video_tools",
    "folder_record",
    "video_record",
]
