"""Many images: a folder, a glob or a video's frames, through the one pipeline.

:func:`stylize_folder` and :func:`stylize_video` are the resumable runs behind
``tf-style-train --content DIR`` and ``--frames``, by optimisation or by any
network; :func:`stylize_many` stylises a list of images in memory.
"""

from tf_style.batch.folder import stylize_folder
from tf_style.batch.results import (
    FolderResult,
    OutputWriteError,
    ProgressEvent,
    RunInterrupted,
    RunRefused,
    VideoResult,
)
from tf_style.batch.stylize_many import stylize_many
from tf_style.batch.video import stylize_video

__all__ = [
    "FolderResult",
    "OutputWriteError",
    "ProgressEvent",
    "RunInterrupted",
    "RunRefused",
    "VideoResult",
    "stylize_folder",
    "stylize_many",
    "stylize_video",
]
