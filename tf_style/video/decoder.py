"""Decoding a video's frames through an ffmpeg process of our own, closed when done
(imageio-ffmpeg's reader leaves the pipes of an ffmpeg that has finished to the
garbage collector). A video is taken whole or refused in one line that says why:
data ffmpeg cannot decode, fewer frames than its header promises (a truncated
file), a frame size that changes mid-stream, frames too small or too large.
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

from tf_style.config.choices import MIN_IMAGE_SIDE
from tf_style.images.limits import MAX_PIXELS
from tf_style.video.ffmpeg import (
    VideoError,
    ffmpeg_executable,
    ffmpeg_reason,
    video_file_status,
)
from tf_style.video.header import VideoHeader, read_header


def probe_video(video: Path) -> VideoHeader:
    """Check that ``video`` is a video tf_style can stylise, without decoding every
    frame: its header, and its first frame decoded.

    Returns:
        The frame size (of the first frame, upright), the frame rate and the frame
        count the header promises.

    Raises:
        VideoError: in one line, why not: no such file, no video stream, data ffmpeg
            cannot decode, no frame, frames under 32 px or too large.

    Example:
        >>> probe_video(Path("clip.mp4"))  # doctest: +SKIP
        VideoHeader(size=(640, 360), fps=29.97, frames=300, slack=2)
    """
    header = _probe(Path(video))
    width, height = header.size
    if min(width, height) < MIN_IMAGE_SIDE:
        raise VideoError(
            f"{video}: the video is {width}x{height} px; at least {MIN_IMAGE_SIDE} "
            "px on each side is needed."
        )
    if width * height > MAX_PIXELS:
        raise VideoError(
            f"{video}: the video's frames are {width}x{height} px; tf_style decodes "
            f"at most {MAX_PIXELS / 1e6:.0f} megapixels: scale the video down first."
        )
    return header


def _probe(video: Path) -> VideoHeader:
    """``video``'s header, its size that of its first frame as decoded."""
    video_file_status(video)
    executable = ffmpeg_executable()
    header = read_header(executable, video)
    ((_, size),) = decoded_frames(executable, video, None, limit=1)  # or says why not
    return dataclasses.replace(header, size=size)


def decoded_frames(
    executable: str, video: Path, header: VideoHeader | None, *, limit: int = 0
) -> Iterator[tuple[bytes, tuple[int, int]]]:
    """Each frame of ``video``'s first video stream as a PNG file's bytes and its
    ``(width, height)``; the first ``limit`` only if given.

    Given its ``header``, the whole video is checked: every frame its size, and as
    many as the header promises. Any error ffmpeg reports refuses the video.

    Raises:
        VideoError: ffmpeg cannot decode it, or stopped short, or the size changes.
    """
    # The encoder scales a frame of another size to the first's without a word
    # (even a PNG's header keeps the first size): ``showinfo`` logs each decoded
    # frame's own size, and ``level`` tags ffmpeg's errors in the log.
    command = [executable, "-nostdin", "-hide_banner", "-nostats"]
    command += ["-v", "level+info", "-i", str(video), "-map", "0:V:0"]
    command += ["-frames:v", str(limit)] if limit else []
    command += ["-vf", "showinfo", "-f", "image2pipe", "-c:v", "png"]
    command += ["-pix_fmt", "rgb24", "-"]
    count = 0
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as error:
        raise VideoError(f"{video}: cannot run ffmpeg ({error}).") from None
    log = _DecodeLog(process.stderr)
    with process:
        try:
            log.start()
            for png, size in _split_pngs(process.stdout, video):
                count += 1
                if header is not None and (log.changed or size != header.size):
                    changed = log.changed or (count, size)
                    raise VideoError(_size_changes(video, changed, header))
                yield png, size
            code = process.wait()
        finally:
            if process.poll() is None:
                process.kill()
            log.join()  # the log ends with ffmpeg
    if header is not None and log.changed:
        raise VideoError(_size_changes(video, log.changed, header))
    _check_decode(video, header, count, code, "\n".join(log.errors))


class _DecodeLog(threading.Thread):
    """Reads ffmpeg's log as it is written (a pipe nobody reads could fill and
    stall ffmpeg), keeping its first errors and the first change of frame size."""

    _SHOWN = re.compile(r"\[info\] n: *\d+ .*\bs:(\d+)x(\d+)\b")
    _ERROR = re.compile(r"\[(?:error|fatal|panic)\] ")

    def __init__(self, stream: IO[bytes]):
        super().__init__(daemon=True)
        self.stream = stream
        self.errors: list[str] = []
        self.changed: tuple[int, tuple[int, int]] | None = None  # frame, size

    def run(self) -> None:
        first, frames = None, 0
        for raw in self.stream:
            line = raw.decode(errors="replace").rstrip()
            if shown := self._SHOWN.search(line):
                frames += 1
                size = int(shown.group(1)), int(shown.group(2))
                first = first or size
                if size != first and self.changed is None:
                    self.changed = frames, size
            elif self._ERROR.search(line) and len(self.errors) < 20:
                self.errors.append(line)


def _size_changes(
    video: Path, changed: tuple[int, tuple[int, int]], header: VideoHeader
) -> str:
    number, (width, height) = changed
    return (
        f"{video}: the frame size changes mid-stream (frame {number} is "
        f"{width}x{height} px, the first {header.size[0]}x{header.size[1]} px); "
        "re-encode the video at one size first."
    )


def _check_decode(
    video: Path, header: VideoHeader | None, count: int, code: int, errors: str
) -> None:
    """Refuse a decode that fell short of the header's promise, or during which
    ffmpeg reported ``errors`` (its error lines) or failed."""
    reason = ffmpeg_reason(errors)
    said = f" (ffmpeg: {reason[0]})" if reason else ""
    promised = header.frames if header is not None else None
    if promised and count < promised - header.slack:
        raise VideoError(
            f"{video}: the video is cut short: {count} of the {promised} frames its "
            f"header promises were decoded{said}."
        )
    if count and (header is None or code == 0 and reason is None):
        return  # a probe's first frame: the whole decode judges the rest
    if code == 0 and reason is None:
        raise VideoError(f"{video}: the video holds no frames.")
    words = reason[1] if reason else f"ffmpeg stopped with exit status {code}"
    if count == 0 or header is None:
        raise VideoError(f"{video}: cannot decode the video: {words}{said}.")
    if "truncated" not in words:
        words = "its data is damaged"
    raise VideoError(
        f"{video}: cannot decode the whole video: {words}, after {count} frames{said}."
    )


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _split_pngs(stream: IO[bytes], video: Path) -> Iterator[tuple[bytes, tuple]]:
    """The PNG files in ffmpeg's ``image2pipe`` output, one at a time, with their
    ``(width, height)`` from the IHDR chunk."""
    while signature := stream.read(8):
        if signature != _PNG_SIGNATURE:
            raise VideoError(f"{video}: ffmpeg's output is not a PNG frame.")
        chunks, size, kind = [signature], (0, 0), b""
        while kind != b"IEND":
            head = stream.read(8)
            if len(head) < 8:
                raise VideoError(f"{video}: decoding stopped in the middle of a frame.")
            length, kind = struct.unpack(">I4s", head)
            body = stream.read(length + 4)  # and the chunk's CRC
            if len(body) < length + 4:
                raise VideoError(f"{video}: decoding stopped in the middle of a frame.")
            if kind == b"IHDR":
                size = struct.unpack(">II", body[:8])
            chunks += [head, body]
        yield b"".join(chunks), size


def frames_of(video: Path) -> Iterator[float | np.ndarray]:
    """First ``video``'s frame rate, then its frames as ``uint8 [H, W, 3]``, of
    any size (the least size to stylise is :func:`probe_video`'s check).

    Raises:
        VideoError: ffmpeg cannot decode it, or not all of it (truncated, damaged,
            a frame size that changes; see :func:`decoded_frames`).
    """
    video = Path(video)
    header = _probe(video)
    yield header.fps
    for png, _ in decoded_frames(ffmpeg_executable(), video, header):
        with Image.open(io.BytesIO(png)) as image:
            yield np.asarray(image.convert("RGB"))


def read_video(path: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of a video as ``uint8 [H, W, 3]``, and its frame rate."""
    decoded = frames_of(path)
    fps = next(decoded)
    return list(decoded), fps
