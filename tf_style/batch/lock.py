"""The lock on an output folder, so two runs never compute (and write) it at once,
and what a refused run made of the folder, removed again."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

LOCK = ".manifest.lock"


class ManifestLocked(RuntimeError):
    """Another run holds this output folder."""


class folder_lock:  # noqa: N801 - used like open()
    """An advisory lock on an output folder, so two runs do not both compute it.

    ``fcntl.flock`` on a lock file beside the manifest: released when the run
    ends, however it ends (the kernel drops it with the process). The file is
    opened without following a symlink and without blocking, and must be a
    regular file: a FIFO in its place would otherwise hang the run.

    Raises:
        ManifestLocked: another process holds it, or it is not a regular file.
    """

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK

    def __enter__(self) -> folder_lock:
        import fcntl

        flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW
        try:
            descriptor = os.open(self.path, flags, 0o666)
        except OSError as error:
            raise ManifestLocked(
                f"{self.path}: cannot open the lock file ({error.strerror or error}); "
                "move it away or choose another --output."
            ) from None
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise ManifestLocked(
                f"{self.path}: the lock file is not a regular file; move it away."
            )
        self.handle = os.fdopen(descriptor, "a")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise ManifestLocked(
                f"{self.path.parent}: another run is writing this folder; wait for "
                "it or choose another --output."
            ) from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.handle.close()


def first_missing(path: Path) -> Path:
    """The highest folder of ``path`` that does not exist yet (``path`` itself when
    its parent exists): what making ``path`` creates."""
    missing = path
    while not os.path.lexists(missing.parent) and missing.parent != missing:
        missing = missing.parent
    return missing


@contextlib.contextmanager
def removed_if_refused(*folders: Path):
    """Leaves no trace of a refused run: each of ``folders`` (or files) that this
    run made (the output folder, its lock, a decoded video's ``input_frames/``) is
    removed again when the run is refused or interrupted before it starts."""
    made = [folder for folder in folders if not os.path.lexists(folder)]
    try:
        yield
    except BaseException:
        for path in reversed(made):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        raise


__all__ = [
    "LOCK",
    "ManifestLocked",
    "first_missing",
    "folder_lock",
    "removed_if_refused",
]
