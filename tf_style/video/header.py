"""What a video file's header says, read from ffmpeg's ``-i`` output without decoding
a frame: the first video stream's size (turned upright for a phone's portrait
video), its frame rate and the frame count its duration promises. The decoder
holds every decode to this promise, which is how a truncated file is refused.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

from tf_style.video.ffmpeg import VideoError, ffmpeg_reason

# A folder of frames has no rate of its own: the preview GIF's 10 frames a second.
DEFAULT_FPS = 10.0


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
    header = read_header(executable, video)
    return header.size, header.fps


def read_header(executable: str, video: Path) -> VideoHeader:
    """``video``'s header as ffmpeg prints it, parsed.

    Raises:
        VideoError: ffmpeg cannot be run, or finds no video stream it can read.
    """
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
