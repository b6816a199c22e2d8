"""TensorFlow's start-up log, kept off the screen by default.

Before absl's logging starts, TensorFlow's C++ code writes lines (absl, the CUDA
probe on a machine without a GPU, CPU features) straight to file descriptor 2,
whatever ``TF_CPP_MIN_LOG_LEVEL`` says; they would surround a command's one-line
error and fill a notebook's first cell. The package face and the commands both
import TensorFlow inside :func:`stderr_silenced`. Imports nothing of the package.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """File descriptor 2 pointed at /dev/null (where it can be: else as it is)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 to silence
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


__all__ = ["stderr_silenced"]
