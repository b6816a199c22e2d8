"""Which ``tf.distribute`` strategy a batch runs under, from the environment.

``TF_CONFIG`` set (as TensorFlow documents for multi-worker training: a JSON
``{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker",
"index": i}}``) means ``MultiWorkerMirroredStrategy`` across the machines; several
local GPUs mean ``MirroredStrategy``; otherwise no strategy (one device). Each
worker runs the same command on the same inputs; see
:class:`tf_style.batch.stylize_many.BatchTransfer` for how the batch is shared.
"""

from __future__ import annotations

import os

import tensorflow as tf

STRATEGIES = ("auto", "none", "mirrored", "multi-worker")


def make_strategy(name: str = "auto") -> tf.distribute.Strategy | None:
    """The strategy ``name`` names; ``auto`` picks from ``TF_CONFIG`` and the GPUs.

    Raises:
        ValueError: an unknown name, or ``multi-worker`` without ``TF_CONFIG``.
    """
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {STRATEGIES}.")
    if name == "auto":
        if os.environ.get("TF_CONFIG"):
            name = "multi-worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "none"
    if name == "none":
        return None
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if not os.environ.get("TF_CONFIG"):
        raise ValueError(
            "The multi-worker strategy needs TF_CONFIG naming the cluster and this "
            "worker's index (see TensorFlow's multi-worker training guide)."
        )
    return tf.distribute.MultiWorkerMirroredStrategy()


def split_cpu(count: int = 2) -> list[str]:
    """Split the CPU into ``count`` logical devices and return their names.

    Must run before TensorFlow initialises its devices (a fresh process): it lets
    ``MirroredStrategy`` run its real multi-replica code on a CPU-only machine.
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    )
    return [device.name for device in tf.config.list_logical_devices("CPU")]


__all__ = ["STRATEGIES", "make_strategy", "split_cpu"]
