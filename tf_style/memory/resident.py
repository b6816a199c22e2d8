"""This process's measured memory: its peak resident size, reset per run scale.

What the memory model (:mod:`.estimate`) is checked against: each scale of a
run records its own peak, and ``benchmarks/print_size.py`` its cells' peaks.
"""

from __future__ import annotations

import ctypes
import resource
from pathlib import Path


def peak_resident_bytes() -> int:
    """This process's peak resident memory (``VmHWM``) since it started or since
    :func:`reset_peak_resident`.

    ``ru_maxrss`` (the fallback off Linux) keeps the high-water mark of the process
    that forked this one across ``exec``, so a run started from a large process
    (pytest) would report that process's peak.
    """
    peak = proc_bytes(Path("/proc/self/status"), "VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def proc_bytes(path: Path, key: str) -> int | None:
    """A ``key:  N kB`` line of a Linux ``/proc`` file, in bytes (None: absent)."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def reset_peak_resident() -> bool:
    """Start the peak over from the current resident memory (Linux: writing 5 to
    ``/proc/self/clear_refs``), so each scale of a run reports its own peak.

    Returns:
        False where the peak cannot be reset (it then runs from the process start).
    """
    release_free_heap()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def release_free_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``).

    Tiles of tens of MB are allocated from the heap, not mapped, and glibc keeps
    freed heap pages resident: without this a scale starts (and its peak is
    measured) from what the scale before it left behind. Nothing where glibc is
    not the C library.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


__all__ = [
    "peak_resident_bytes",
    "proc_bytes",
    "release_free_heap",
    "reset_peak_resident",
]
