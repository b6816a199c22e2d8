"""Atomic file writes: a file appears complete under its name, or not at all.

Every file tf_style writes (images, records, figures, GIFs, tables) goes through
:class:`atomic_write`: a temporary file beside the target, then a rename, so an
interrupted or failed write never leaves half a file where a good one was. The
rename is refused when the target is a file a running command reads
(:func:`tf_style.paths.identity.protecting`): the last of the checks that keep every
input as it was, made at the moment of writing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tf_style.paths.identity import check_not_protected

# The temporary file's name beside the target: "." + name + "." + 8 random + ".tmp".
TEMPORARY_NAME_OVERHEAD = 14


class atomic_write:  # noqa: N801 - used like open()
    """A binary file handle whose content appears at ``path`` only on success."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __enter__(self):
        check_not_protected(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        self.temporary = Path(temporary)
        os.chmod(descriptor, 0o666 & ~_current_umask())  # mkstemp makes it private
        self.handle = os.fdopen(descriptor, "wb")
        return self.handle

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            self.handle.close()  # flushes: a full disk fails here
            if exc_type is None:
                check_not_protected(self.path)
                os.replace(self.temporary, self.path)
        finally:
            self.temporary.unlink(missing_ok=True)  # gone already after the rename


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["TEMPORARY_NAME_OVERHEAD", "atomic_write"]
