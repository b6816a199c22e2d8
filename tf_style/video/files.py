"""Video files in and out, through ``imageio-ffmpeg`` (imageio's ffmpeg backend,
which ships its own ffmpeg binary, so nothing else needs installing). Frames
are read from an ffmpeg process of our own, closed when done: imageio-ffmpeg's
reader leaves the pipes of an ffmpeg that has finished to the garbage collector.

A video given to ``--frames`` is decoded once into numbered PNG frames in the output
folder; from there the frames mode treats it as a folder of frames, so a rerun
resumes instead of decoding and stylising again. A video is taken whole or refused
in one line that says why: no video stream, data ffmpeg cannot decode, fewer frames
than its header promises (a truncated file), a frame size that changes mid-stream,
frames too small to stylise. The frames are decoded into a hidden folder beside
their own and renamed into place only when complete, so a refused or interrupted
decode leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

from tf_style.config.choices import MIN_IMAGE_SIDE
from tf_style.images.decode import MAX_PIXELS
from tf_style.paths.identity import check_not_protected, read_bounded

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")
INPUT_FRAMES = "input_frames"
# A folder of frames has no rate of its own: the preview GIF's 10 frames a second.
DEFAULT_FPS = 10.0
RECORD = "video.json"
# A record of 100,000 frames is about 3 MB: anything larger is not ours.
RECORD_LIMIT = 16 * 2**20
FRAME_NAME = re.compile(r"frame_\d{5,}\.png")


class VideoError(ValueError):
    """A video file that cannot be read (or ffmpeg is missing)."""


@dataclasses.dataclass(frozen=True)
class VideoHeader:
    """What a video's header says, checked against its first decoded frame.

    Attributes:
        size: ``(width, height)`` of the frames as decoded (turned upright).
        fps: the video stream's frame rate, as ffmpeg reports it.
        frames: the frame count the header promises (the video's duration times
            ``fps``), or None where the header does not say.
        slack: how many frames fewer than ``frames`` a whole video may decode to:
            the duration is printed rounded.
    """

    size: tuple[int, int]
    fps: float
    frames: int | None
    slack: int = 2


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


def _executable() -> str:
    try:
        return _ffmpeg().get_ffmpeg_exe()
    except RuntimeError as error:  # pragma: no cover - depends on the install
        raise VideoError(f"cannot find ffmpeg ({error}).") from None


def read_regular_file(path: Path, *, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes
    (:func:`tf_style.paths.identity.read_bounded`: a FIFO or a device is never read).

    Raises:
        OSError: it cannot be read.
        ValueError: it is not a regular file, or is larger than ``limit``.
    """
    return read_bounded(path, limit, "cache file")


def _video_file(video: Path) -> os.stat_result:
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


def _refusal(video: Path, what: str, stderr: str, default: str) -> VideoError:
    """Refusing ``video`` for the reason in ffmpeg's header (``-i``) output."""
    reason = ffmpeg_reason(stderr, any_line=False)
    if reason is None:
        return VideoError(f"{video}: {what}: {default}.")
    line, words = reason
    return VideoError(f"{video}: {what}: {words} (ffmpeg: {line}).")


_KIND = re.compile(r"Stream #\S+ (\w+):")  # "Stream #0:1[0x2](und): Audio:"
_SIZE = re.compile(r", (\d+)x(\d+)\b")
# ffmpeg prints a rate as "29.97", "25", "1k" (whole thousands) or "0.0500".
_RATE = re.compile(r"\b(\d+(?:\.\d+)?)(k?) (fps|tbr)\b")
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM_DURATION = re.compile(r"^\s+DURATION\s*: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
# A phone's portrait video: stored sideways, with a display matrix (or an older
# "rotate" tag) that ffmpeg applies while decoding.
_ROTATION = re.compile(r"(?:rotation of|rotate\s*:)\s*(-?[\d.]+)")


def _header(video: Path, stderr: str) -> VideoHeader:
    """The first video stream (not a cover picture) of ffmpeg's ``-i`` output.

    Raises:
        VideoError: no streams, no video stream, or one of no known size.
    """
    lines = stderr.splitlines()
    starts = [n for n, line in enumerate(lines) if line.lstrip().startswith("Stream #")]
    kinds = {kind.group(1).lower() for n in starts if (kind := _KIND.search(lines[n]))}
    pictures = [n for n in starts if ": Video:" in lines[n]]
    video_at = next((n for n in pictures if "attached pic" not in lines[n]), None)
    if not starts:
        raise _refusal(video, "cannot decode the video", stderr, "the file holds no "
                       "streams (a video with no frames?)")  # fmt: skip
    if video_at is None:
        kinds = ", ".join(sorted(kinds))
        raise VideoError(f"{video}: no video stream (the file holds {kinds} only).")
    block = [lines[video_at]]  # the stream's line, then its metadata
    for line in lines[video_at + 1 :]:
        if line.lstrip().startswith("Stream #") or not line.startswith("    "):
            break
        block.append(line)
    size = _SIZE.search(lines[video_at])
    if size is None:
        raise _refusal(video, "cannot decode the video stream", stderr,
                       "its header gives no frame size")  # fmt: skip
    rates = {
        unit: float(value) * (1000 if thousands else 1)
        for value, thousands, unit in _RATE.findall(lines[video_at])
    }
    fps = rates.get("fps") or rates.get("tbr") or DEFAULT_FPS
    width, height = int(size.group(1)), int(size.group(2))
    turn = _ROTATION.search("\n".join(block))  # ffmpeg turns such frames upright
    if turn and round(abs(float(turn.group(1)))) % 180 == 90:
        width, height = height, width
    frames, slack = _promised(stderr, block, len(starts), fps)
    return VideoHeader((width, height), fps, frames, slack)


def _promised(
    stderr: str, block: list[str], streams: int, fps: float
) -> tuple[int | None, int]:
    """The frames the header promises, and the shortfall its rounding allows: the
    video stream's own duration (Matroska's tag), else the file's where the video is
    its only stream (an audio track may run longer), times the rate."""
    tagged = next(filter(None, map(_STREAM_DURATION.match, block)), None)
    duration = tagged or (_DURATION.search(stderr) if streams == 1 else None)
    if duration is None or "Estimating duration from bitrate" in stderr:
        return None, 2
    hours, minutes, seconds = duration.groups()
    total = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    decimals = len(seconds.partition(".")[2])
    # ffmpeg prints the file's duration to the nearest 10 ms: at 1000 fps, 5 frames.
    return round(total * fps), 2 + int(fps * 10.0**-decimals / 2)


def video_header(executable: str, video: Path) -> tuple[tuple[int, int], float]:
    """``((width, height), fps)`` of the first video stream, from ffmpeg's header.

    Raises:
        VideoError: no video stream ffmpeg can read.
    """
    header = _read_header(executable, video)
    return header.size, header.fps


def _read_header(executable: str, video: Path) -> VideoHeader:
    try:
        probe = subprocess.run(
            [executable, "-nostdin", "-hide_banner", "-i", str(video)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise VideoError(
            f"{video}: cannot read the video's header ({error})."
        ) from None
    return _header(video, probe.stderr)


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
    _video_file(video)
    executable = _executable()
    header = _read_header(executable, video)
    ((_, size),) = _decoded(executable, video, None, limit=1)  # or says why not
    return dataclasses.replace(header, size=size)


def _decoded(
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
            a frame size that changes; see :func:`extract_frames`).
    """
    video = Path(video)
    header = _probe(video)
    yield header.fps
    for png, _ in _decoded(_executable(), video, header):
        with Image.open(io.BytesIO(png)) as image:
            yield np.asarray(image.convert("RGB"))


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
    info = _video_file(video)
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
        for number, (png, _) in enumerate(_decoded(_executable(), video, header), 1):
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
                writer = _ffmpeg().write_frames(
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
    "VideoHeader",
    "extract_frames",
    "ffmpeg_reason",
    "frames_of",
    "is_video",
    "probe_video",
    "read_regular_file",
    "read_video",
    "video_header",
    "write_video",
]
