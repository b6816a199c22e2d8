"""The machine a run uses: the device TensorFlow computes on and the CPU's features.

One home for reading ``/proc/cpuinfo``: the run record, the comparison report, the
benchmarks' captions and the bfloat16 check all ask here; and for measuring what the
precision ``auto`` chooses (:mod:`tf_style.precision`). TensorFlow is imported only
inside the functions that need it, so the commands can quiet it first.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def describe_device() -> str:
    """The device TensorFlow runs on: "GPU: <name>" or "CPU: <processor> (N cores)"."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)}"
    return f"CPU: {cpu_name()} ({os.cpu_count()} cores)"


def cpu_field(name: str, cpuinfo: str | Path = CPUINFO) -> str | None:
    """The first ``name : value`` line's value in ``/proc/cpuinfo`` (None if absent)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def cpu_name(cpuinfo: str | Path = CPUINFO) -> str:
    """The CPU's model name, or what :mod:`platform` knows where there is no cpuinfo."""
    return (
        cpu_field("model name", cpuinfo) or platform.processor() or platform.machine()
    )


def cpu_flags(cpuinfo: str | Path = CPUINFO) -> set[str]:
    """The CPU's feature flags (empty where there is no ``/proc/cpuinfo``)."""
    return set((cpu_field("flags", cpuinfo) or "").split())


def cpu_supports_bfloat16(cpuinfo: str | Path = CPUINFO) -> bool:
    """True where the x86 CPU computes bfloat16 natively (AVX512_BF16 or AMX-BF16).

    Without them oneDNN emulates bfloat16 and it is slower than float32.
    """
    return bool(cpu_flags(cpuinfo) & {"avx512_bf16", "amx_bf16"})


__all__ = [
    "cpu_flags",
    "cpu_name",
    "cpu_supports_bfloat16",
    "describe_device",
]
