"""The machine a run uses: the device TensorFlow computes on and the CPU's features.

One home for reading ``/proc/cpuinfo``: the run record, the comparison report, the
benchmarks' captions and the bfloat16 check all ask here; and for measuring what the
device computes fastest (:func:`fastest_precision`). TensorFlow is imported only
inside the functions that need it, so the commands can quiet it first.
"""

from __future__ import annotations

import functools
import os
import platform
import time
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# bfloat16 is chosen where its convolution runs at least this much faster than
# float32's. On a 2-core Xeon with AMX this probe measured 3.0-3.7x (a 64x64,
# 256-channel convolution 8.4x, a whole VGG19 evaluation 2.9x); on an AVX512_BF16
# Xeon without AMX a 256-channel convolution ran at 0.66x (oneDNN emulates it). A
# whole evaluation gains less than the convolutions alone (pooling, ReLU and the
# float32 Gram matrices do not speed up), hence the margin.
BFLOAT16_MIN_SPEEDUP = 2.0
PROBE_SHAPE = (1, 48, 48, 128)  # the probe's feature map: about 0.7 GFLOP a pass
PROBE_REPEATS = 3


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


def convolution_seconds(dtype: str, repeats: int = PROBE_REPEATS) -> float:
    """Best time of one 3x3 convolution of :data:`PROBE_SHAPE` in ``dtype``, here.

    Traced and run once first, so neither tracing nor oneDNN's first-call setup
    counts; the best of ``repeats`` is robust to a busy machine.
    """
    import tensorflow as tf

    channels = PROBE_SHAPE[-1]
    features = tf.cast(tf.random.uniform(PROBE_SHAPE), dtype)
    kernel = tf.cast(tf.random.uniform([3, 3, channels, channels]) - 0.5, dtype)
    convolve = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))
    convolve(features, kernel).numpy()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        convolve(features, kernel).numpy()
        best = min(best, time.perf_counter() - started)
    return best


@functools.cache
def fastest_precision() -> str:
    """``bfloat16`` where this device runs it :data:`BFLOAT16_MIN_SPEEDUP` times
    faster than float32 (AMX CPUs, GPUs with bfloat16 tensor cores), else ``float32``.

    Measured rather than read from the CPU flags, because the flags do not say
    whether TensorFlow's build uses them (AVX512_BF16 alone made bfloat16 slower)
    and mean nothing on a GPU. Measured once a process (about 0.1 s on a CPU), so
    every run of the process resolves ``auto`` the same way.
    """
    try:
        speedup = convolution_seconds("float32") / convolution_seconds("bfloat16")
    except Exception:  # noqa: BLE001 - no bfloat16 kernel here: float32 it is
        return "float32"
    return "bfloat16" if speedup >= BFLOAT16_MIN_SPEEDUP else "float32"


__all__ = [
    "BFLOAT16_MIN_SPEEDUP",
    "convolution_seconds",
    "cpu_flags",
    "cpu_name",
    "cpu_supports_bfloat16",
    "describe_device",
    "fastest_precision",
]
