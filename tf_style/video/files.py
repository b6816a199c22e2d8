"""Video files in and out, through ``imageio-ffmpeg`` (imageio's ffmpeg backend,
which ships its own ffmpeg binary, so nothing else needs installing). Frames
are read from an ffmpeg process of our own, closed when done: imageio-ffmpeg's
reader leaves the pipes of an ffmpeg that has finished to the garbage collector.

A video given to ``--frames`` is decoded once into numbered PNG frames in the output
folder; from there the frames mode treats it as a folder of frames, so a rerun
resumes instead of decoding and stylising again.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")
INPUT_FRAMES = "input_frames"
# A folder of frames has no rate of its own: the preview GIF's 10 frames a second.
DEFAULT_FPS = 10.0


class VideoError(ValueError):
    """A video file that cannot be read (or ffmpeg is missing)."""


def is_video(path: Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def _ffmpeg():
    try:
        import imageio_ffmpeg
    except ImportError as error:  # pragma: no cover - depends on the install
        raise VideoError(
            "video files need imageio-ffmpeg: pip install 'tf_style[video]'"
        ) from error
    return imageio_ffmpeg


def frames_of(video: Path) -> Iterator[float | np.ndarray]:
    """First ``video``'s frame rate, then its frames as ``uint8 [H, W, 3]``.

    Raises:
        VideoError: ffmpeg cannot decode it.
    """
    executable = _ffmpeg().get_ffmpeg_exe()
    (width, height), fps = video_header(executable, video)
    yield fps
    command = [executable, "-v", "error", "-i", str(video)]
    command += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    frame_bytes = width * height * 3
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        try:
            while len(data := process.stdout.read(frame_bytes)) == frame_bytes:
                yield np.frombuffer(data, np.uint8).reshape(height, width, 3)
            error = process.stderr.read().decode(errors="replace").strip()
            if process.wait() != 0 or data:  # a decode cut short is no video
                reason = error.splitlines()[-1] if error else "a partial frame"
                raise VideoError(f"{video}: decoding stopped ({reason}).")
        finally:
            if process.poll() is None:
                process.kill()


_SIZE = re.compile(r"Video:.*?, (\d{2,5})x(\d{2,5})")
_RATE = re.compile(r"([\d.]+) (?:fps|tbr)")
# A phone's portrait video: stored sideways, with a display matrix (or an older
# "rotate" tag) that ffmpeg applies while decoding.
_ROTATION = re.compile(r"(?:rotation of|rotate\s*:)\s*(-?[\d.]+)")


def video_header(executable: str, video: Path) -> tuple[tuple[int, int], float]:
    """``((width, height), fps)`` of the first video stream, from ffmpeg's header.

    Raises:
        VideoError: no video stream ffmpeg can read.
    """
    try:
        probe = subprocess.run(
            [executable, "-hide_banner", "-i", str(video)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise VideoError(
            f"{video}: cannot read the video's header ({error})."
        ) from None
    stream = next((line for line in probe.stderr.splitlines() if "Video:" in line), "")
    size = _SIZE.search(stream)
    if size is None:
        reason = probe.stderr.strip().splitlines()[-1:] or ["no video stream"]
        raise VideoError(f"{video}: cannot decode the video ({reason[0]}).")
    rate = _RATE.search(stream)
    fps = float(rate.group(1)) if rate else DEFAULT_FPS
    width, height = int(size.group(1)), int(size.group(2))
    turn = _ROTATION.search(probe.stderr)  # ffmpeg turns such frames upright
    if turn and round(abs(float(turn.group(1)))) % 180 == 90:
        width, height = height, width
    return (width, height), fps


def extract_frames(video: Path, folder: Path) -> tuple[list[Path], float]:
    """Decode ``video`` into ``folder/frame_00001.png``, ... (once; a second call
    reads what the first wrote). Returns the frames and the video's frame rate.

    Raises:
        VideoError: the file cannot be decoded or holds no frame.
    """
    folder = Path(folder)
    done = folder / "video.json"
    stat = video.stat()
    identity = {
        "source": str(video),
        "bytes": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }
    if done.is_file():
        try:
            record = json.loads(done.read_text())
            if all(record.get(key) == value for key, value in identity.items()):
                frames = [folder / name for name in record["frames"]]
                if all(frame.is_file() for frame in frames):
                    return frames, float(record["fps"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable: decoded again
    folder.mkdir(parents=True, exist_ok=True)
    frames, decoded = [], frames_of(video)
    try:
        fps = next(decoded)
        for number, frame in enumerate(decoded, start=1):
            path = folder / f"frame_{number:05d}.png"
            Image.fromarray(frame).save(path)
            frames.append(path)
    except OSError as error:
        raise VideoError(f"{video}: cannot decode the video ({error}).") from None
    if not frames:
        raise VideoError(f"{video}: no frames in the video.")
    record = {
        **identity,
        "fps": fps,
        "frames": [frame.name for frame in frames],
    }
    done.write_text(json.dumps(record, indent=2))
    return frames, fps


def write_video(frames: Sequence[Path], path: Path, fps: float) -> Path:
    """An H.264 MP4 of the image files ``frames`` at ``fps`` (sides made even,
    as its YUV 4:2:0 needs, by repeating the last row or column)."""
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    writer = None
    try:
        for frame in frames:
            pixels = _even(np.asarray(Image.open(frame).convert("RGB")))
            if writer is None:
                writer = _ffmpeg().write_frames(
                    str(partial),
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
    partial.replace(path)
    return path


def _even(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    return np.pad(pixels, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def read_video(path: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of a video as ``uint8 [H, W, 3]``, and its frame rate."""
    decoded = frames_of(path)
    fps = next(decoded)
    return list(decoded), fps


__all__ = [
    "DEFAULT_FPS",
    "INPUT_FRAMES",
    "VIDEO_SUFFIXES",
    "VideoError",
    "extract_frames",
    "frames_of",
    "is_video",
    "read_video",
    "write_video",
]
