"""TensorFlow's start-up log, kept off the screen by default.

Before absl's logging starts, TensorFlow's C++ code writes lines (absl, the CUDA
probe on a machine without a GPU, CPU features) straight to file descriptor 2,
whatever ``TF_CPP_MIN_LOG_LEVEL`` says; they would surround a command's one-line
error and fill a notebook's first cell. The package face and the commands both
import TensorFlow inside :func:`stderr_silenced`; the commands show only the
package's own log records (:func:`log_to_stderr`). Imports nothing of the package.
"""

from __future__ import annotations

import contextlib
import logging
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


class _CurrentStderr(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is when a record comes, so a
    command run in a process whose stderr is replaced (a test's capture) is heard."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _ignored) -> None:
        pass


def log_to_stderr(program: str) -> None:
    """Show the library's own log records of warnings and above as ``program: ...``.

    Only the ``tf_style`` loggers: a third party's records (matplotlib's
    ``findfont`` lines when its font cache is rebuilt, say) are not the command's to
    say, and would surround its one-line error. Idempotent, so a command run twice in
    one process says each line once.
    """
    logger = logging.getLogger("tf_style")
    logger.setLevel(logging.WARNING)
    ours = [h for h in logger.handlers if isinstance(h, _CurrentStderr)]
    if not ours:
        ours = [_CurrentStderr()]
        logger.addHandler(ours[0])
    ours[0].setFormatter(logging.Formatter(f"{program}: %(message)s"))


__all__ = ["log_to_stderr", "stderr_silenced"]
