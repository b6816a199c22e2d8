"""Video files in and out: which paths are videos, and one place to import what
reads and writes them. Each part has its own module, so a reader finds one concern
per file:

- :mod:`tf_style.video.ffmpeg`: imageio-ffmpeg's binary, :class:`VideoError` and
  ffmpeg's log in plain words;
- :mod:`tf_style.video.header`: what a video's header promises (size, rate, frames);
- :mod:`tf_style.video.decoder`: :func:`probe_video`, :func:`frames_of` and
  :func:`read_video`, every frame checked against that promise;
- :mod:`tf_style.video.frame_folder`: :func:`extract_frames`, the one decode of a
  ``--frames`` video into a folder that a rerun resumes from;
- :mod:`tf_style.video.writer`: :func:`write_video`, an MP4 that appears whole.

A video is taken whole or refused in one line that says why: no video stream, data
ffmpeg cannot decode, fewer frames than its header promises (a truncated file), a
frame size that changes mid-stream, frames too small to stylise.
"""

from __future__ import annotations

from pathlib import Path

from tf_style.video.decoder import frames_of, probe_video, read_video
from tf_style.video.ffmpeg import VideoError, ffmpeg_reason
from tf_style.video.frame_folder import (
    FRAME_NAME,
    INPUT_FRAMES,
    RECORD,
    RECORD_LIMIT,
    extract_frames,
    read_regular_file,
)
from tf_style.video.header import DEFAULT_FPS, VideoHeader, video_header
from tf_style.video.writer import write_video

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")


def is_video(path: Path) -> bool:
    """Whether ``path`` names a video by its suffix: ``--frames`` takes a video
    file or a folder of frames, and the suffix is what tells them apart."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


__all__ = [
    "DEFAULT_FPS",
    "FRAME_NAME",
    "INPUT_FRAMES",
    "RECORD",
    "RECORD_LIMIT",
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
