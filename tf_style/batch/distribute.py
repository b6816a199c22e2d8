"""Which ``tf.distribute`` strategy a batch runs under, from the environment.

``TF_CONFIG`` set (as TensorFlow documents for multi-worker training: a JSON
``{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker",
"index": i}}``) means ``MultiWorkerMirroredStrategy`` across the machines; several
local GPUs mean ``MirroredStrategy``; otherwise no strategy (one device). Each
worker runs the same command on the same inputs; see
:class:`tf_style.optimize.adam.StyleTransfer` for how the batch is shared.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from tf_style.config.choices import STRATEGIES


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
    check_tf_config(os.environ["TF_CONFIG"])
    return tf.distribute.MultiWorkerMirroredStrategy()


def check_tf_config(text: str) -> None:
    """``TF_CONFIG`` names a cluster of ``host:port`` workers and this task in it.

    Raises:
        ValueError: anything else, saying what is wrong and what is expected.
    """
    expected = (
        'expected TF_CONFIG like {"cluster": {"worker": ["host1:12345", '
        '"host2:12345"]}, "task": {"type": "worker", "index": 0}}'
    )
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ValueError(f"TF_CONFIG is not JSON ({error}); {expected}.") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster:
        raise ValueError(f"TF_CONFIG has no cluster; {expected}.")
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not all(
            isinstance(a, str) and a.rpartition(":")[2].isdigit() for a in addresses
        ):
            raise ValueError(
                f"TF_CONFIG's cluster job {job!r} must list host:port addresses; "
                f"{expected}."
            )
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise ValueError(
            f"TF_CONFIG's task must name a job of the cluster; {expected}."
        )
    index = task.get("index")
    if not isinstance(index, int) or not 0 <= index < len(cluster[task["type"]]):
        raise ValueError(
            f"TF_CONFIG's task index must be 0 to {len(cluster[task['type']]) - 1}, "
            f"got {index!r}."
        )


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
