"""How much memory a run may use: its ``--memory-limit``, or what the device has free.

:mod:`tf_style.memory.estimate` estimates what a run needs; this module reads what the
machine offers (``/proc/meminfo`` and a cgroup limit on the host, ``nvidia-smi`` on
a GPU).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tf_style.config import StyleTransferConfig
from tf_style.config.byte_sizes import parse_memory
from tf_style.memory.resident import proc_bytes


def available_memory(on_gpu: bool) -> int | None:
    """Free memory of the device that will run the steps: the GPU's where
    ``nvidia-smi`` tells, else the host's; None when unknown."""
    return available_gpu_memory() if on_gpu else available_host_memory()


def available_host_memory() -> int | None:
    """Bytes this process may still use: MemAvailable, capped by a cgroup limit."""
    available = proc_bytes(Path("/proc/meminfo"), "MemAvailable")
    limit = _cgroup_room()
    if available is None:
        return limit
    return available if limit is None else min(available, limit)


def _cgroup_room() -> int | None:
    """cgroup v2 ``memory.max - memory.current`` where a limit is set."""
    root = Path("/sys/fs/cgroup")
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        # Above the limit (page cache counts in memory.current): no room, not less.
        return max(0, int(limit) - int((root / "memory.current").read_text()))
    except (OSError, ValueError):
        return None


def available_gpu_memory() -> int | None:
    """Free memory of the first GPU from ``nvidia-smi``, or None when it cannot tell."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return None
    try:
        output = subprocess.run(
            [program, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return int(output.split()[0]) * 2**20
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def memory_budget(config: StyleTransferConfig, on_gpu: bool) -> int | None:
    """The bytes a run may use: ``config.memory_limit``, or the device's free memory
    for ``auto`` (None when unknown)."""
    if config.memory_limit == "auto":
        return available_memory(on_gpu)
    return parse_memory(config.memory_limit)


__all__ = [
    "available_gpu_memory",
    "available_host_memory",
    "available_memory",
    "memory_budget",
]
