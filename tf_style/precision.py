"""What ``--mixed-precision auto`` means on this machine: one decision, kept.

bfloat16 halves VGG19's time where the hardware computes it natively (AMX CPUs,
GPUs from NVIDIA's Ampere on) and slows it where it is emulated (an AVX512_BF16 Xeon
without AMX ran it at 0.66x). A decision timed afresh in every run flips on a busy
machine: the same command then gives other numerics and other times. So:

1. **A rule first.** A GPU of compute capability 8.0 or later: bfloat16. A GPU
   before that, or a CPU without AVX512_BF16 or AMX-BF16: float32. No timing.
2. **A measurement only where the rule cannot tell** (a CPU with bfloat16
   instructions, which TensorFlow's build may or may not use): a 3x3 convolution
   timed in both precisions, interleaved, several rounds, the best time of each.
   Load only ever adds time, so the best of several is what the machine can do.
3. **Kept per machine.** The measured speed-up is written to a small JSON cache,
   keyed by the device, the CPU's bfloat16 flags and TensorFlow's version, and every
   later run reads it: the same command resolves ``auto`` the same way every time
   (a release that moves the threshold judges the kept figure anew).
   Delete the file (or set ``TF_STYLE_CACHE_DIR``) to measure again.

Every run record names the precision and this reason.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from tf_style.device import cpu_flags, describe_device

# bfloat16 is chosen where its convolution runs at least this much faster than
# float32's: a margin over the probe's noise for what a whole evaluation gains
# (pooling, ReLU and the float32 Gram matrices do not speed up). Measured: a 2-core
# Xeon with AMX, probe 3.0-3.7x, whole VGG19 evaluation 2.9x; a 2-core AMD EPYC
# (Zen 5, AVX512_BF16, no AMX), probe 1.48-1.63x, the fast preset's evaluations
# 1.3-1.8x at 256 px and 2.06x at 512 px; an AVX512_BF16 Xeon without AMX, 0.66x.
# The fast preset needs as many evaluations in either (benchmarks/README.md).
BFLOAT16_MIN_SPEEDUP = 1.25
PROBE_SHAPE = (1, 48, 48, 128)  # the probe's feature map: about 0.7 GFLOP a pass
PROBE_ROUNDS = 15
BFLOAT16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
BFLOAT16_GPU_CAPABILITY = (8, 0)  # Ampere: bfloat16 tensor cores
CACHE_FILE = "precision.json"


@dataclass(frozen=True)
class PrecisionChoice:
    """The precision ``auto`` resolves to here, and why (for the run record)."""

    precision: str
    reason: str


def cache_dir() -> Path:
    """``$TF_STYLE_CACHE_DIR``, else ``$XDG_CACHE_HOME/tf_style``, else ~/.cache."""
    if os.environ.get("TF_STYLE_CACHE_DIR"):
        return Path(os.environ["TF_STYLE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tf_style"


@functools.cache
def auto_precision() -> PrecisionChoice:
    """The precision ``auto`` means on this machine, the same in every run."""
    return choose_precision(
        device=describe_device(),
        flags=cpu_flags(),
        gpu_capability=_gpu_capability(),
        tensorflow_version=_tensorflow_version(),
    )


def choose_precision(
    *,
    device: str,
    flags: set[str],
    gpu_capability: tuple[int, int] | None,
    tensorflow_version: str,
    measure: Callable[[], float] | None = None,
    cache: Path | None = None,
) -> PrecisionChoice:
    """The rule, else the cached measurement, else a measurement that is then kept.

    Args:
        device: what :func:`tf_style.device.describe_device` says.
        flags: the CPU's feature flags.
        gpu_capability: the first GPU's (major, minor) compute capability, or None
            on a CPU.
        tensorflow_version: part of the cache key (a new build may use AMX or not).
        measure: returns bfloat16's speed-up over float32 (default:
            :func:`measured_speedup`); tests pass a noisy one.
        cache: the cache file (default: :func:`cache_dir` / ``precision.json``).
    """
    if gpu_capability is not None:
        if tuple(gpu_capability) >= BFLOAT16_GPU_CAPABILITY:
            return PrecisionChoice("bfloat16", f"{device}: bfloat16 tensor cores")
        return PrecisionChoice("float32", f"{device}: no bfloat16 tensor cores")
    native = sorted(flags & BFLOAT16_CPU_FLAGS)
    if not native:
        return PrecisionChoice(
            "float32", f"{device}: no native bfloat16 (no AVX512_BF16 or AMX)"
        )
    cache = cache or cache_dir() / CACHE_FILE
    key = f"{device} | {' '.join(native)} | TensorFlow {tensorflow_version}"
    kept = _read_cache(cache).get(key)
    if kept is not None:  # the measurement is kept; the threshold is today's
        return _decide(device, kept["speedup"], kept["measured_on"], f"kept in {cache}")
    speedup = (measure or measured_speedup)()
    when = datetime.now(timezone.utc).date().isoformat()
    choice = _decide(device, speedup, when, f"kept in {cache}")
    if _write_cache(cache, key, choice, speedup, when):
        return choice
    return _decide(device, speedup, when, f"not kept ({cache} not writable)")


def _decide(device: str, speedup: float, when: str, where: str) -> PrecisionChoice:
    """The precision a measured speed-up means under today's threshold, and why."""
    precision = "bfloat16" if speedup >= BFLOAT16_MIN_SPEEDUP else "float32"
    return PrecisionChoice(
        precision,
        f"{device}: bfloat16 convolutions measured {speedup:.2f}x float32's on {when} "
        f"(bfloat16 from {BFLOAT16_MIN_SPEEDUP}x), {where}",
    )


def measured_speedup(
    rounds: int = PROBE_ROUNDS, seconds: Callable[[str], float] | None = None
) -> float:
    """bfloat16's speed-up over float32: the best time of each over ``rounds``.

    The two are timed in turn, round after round, so a burst of load hits both;
    the best of each is robust to load, which only ever adds time. A device that
    cannot run bfloat16 at all gives 0.
    """
    seconds = seconds or convolution_seconds
    best = {"float32": float("inf"), "bfloat16": float("inf")}
    try:
        for _ in range(rounds):
            for dtype in best:
                best[dtype] = min(best[dtype], seconds(dtype))
    except Exception:  # noqa: BLE001 - no bfloat16 kernel here: float32 it is
        return 0.0
    return best["float32"] / best["bfloat16"]


def convolution_seconds(dtype: str) -> float:
    """One timed 3x3 convolution of :data:`PROBE_SHAPE` in ``dtype``, warmed up."""
    probe = _probe(dtype)
    started = time.perf_counter()
    probe().numpy()
    return time.perf_counter() - started


@functools.cache
def _probe(dtype: str) -> Callable:
    """A traced convolution in ``dtype``, run once (tracing and oneDNN's setup)."""
    import tensorflow as tf

    channels = PROBE_SHAPE[-1]
    features = tf.cast(tf.random.stateless_uniform(PROBE_SHAPE, (1, 2)), dtype)
    kernel = tf.random.stateless_uniform([3, 3, channels, channels], (3, 4)) - 0.5
    kernel = tf.cast(kernel, dtype)
    convolve = tf.function(lambda: tf.nn.conv2d(features, kernel, 1, "SAME"))
    convolve().numpy()
    return convolve


def _read_cache(path: Path) -> dict:
    """The cache's entries; an unreadable or malformed cache is an empty one, and an
    entry without its measurement (written before it was kept) is left out."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {
        key: value
        for key, value in entries.items()
        if isinstance(value, dict)
        and isinstance(value.get("speedup"), (int, float))
        and isinstance(value.get("measured_on"), str)
    }


def _write_cache(
    path: Path, key: str, choice: PrecisionChoice, speedup: float, when: str
) -> bool:
    """Add ``key`` to the cache atomically; False where it cannot be written."""
    from tf_style.paths.atomic import atomic_write

    entry = asdict(choice) | {"speedup": round(speedup, 4), "measured_on": when}
    entries = _read_cache(path) | {key: entry}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as handle:
            handle.write(json.dumps(entries, indent=2).encode())
    except OSError:
        return False
    return True


def _gpu_capability() -> tuple[int, int] | None:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    details = tf.config.experimental.get_device_details(gpus[0])
    return tuple(details.get("compute_capability", (0, 0)))  # type: ignore[return-value]


def _tensorflow_version() -> str:
    import tensorflow as tf

    return tf.__version__


__all__ = [
    "BFLOAT16_MIN_SPEEDUP",
    "PrecisionChoice",
    "auto_precision",
    "cache_dir",
    "choose_precision",
    "convolution_seconds",
    "measured_speedup",
]
