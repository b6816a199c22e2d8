"""Run by tests/test_distribute.py in a fresh process: a batch under a strategy.

Usage: python batch_worker.py MODE OUT.npz [COUNT]
MODE ``mirrored``: two logical CPU devices and MirroredStrategy, plus the same
batch without a strategy for comparison. MODE ``worker``: MultiWorkerMirroredStrategy
from TF_CONFIG (one CPU device per worker). COUNT: images in the batch (3; with 1
the second replica has no share of it).
"""

import sys

import numpy as np
import tensorflow as tf

from tf_style.batch.distribute import make_strategy, split_cpu

mode, out = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 3
if mode == "mirrored":
    devices = split_cpu(2)
    strategy = tf.distribute.MirroredStrategy(devices)
else:
    strategy = make_strategy("multi-worker")

from tf_style.batch.stylize_many import stylize_many  # noqa: E402
from tf_style.config import StyleTransferConfig  # noqa: E402
from tf_style.vgg.model import StyleContentModel  # noqa: E402
from tf_style.vgg.weights import load_vgg19  # noqa: E402

config = StyleTransferConfig(max_dim=40, epochs=1, steps_per_epoch=3, seed=0)
rng = np.random.default_rng(0)
contents = [
    tf.constant(rng.random((1, 32, 40, 3), dtype=np.float32)) for _ in range(count)
]
style = tf.constant(rng.random((1, 40, 40, 3), dtype=np.float32))
extractor = StyleContentModel(vgg=load_vgg19(download=False))
results = stylize_many(
    contents, style, config, batch_size=count, extractor=extractor, strategy=strategy
)
arrays = {
    "replicas": strategy.num_replicas_in_sync,
    "images": np.concatenate([r.image.numpy() for r in results]),
    "history": np.array([r.history["total"] for r in results]),
}
# The same batch on one device, without a strategy, for comparison.
alone = stylize_many(contents, style, config, batch_size=count, extractor=extractor)
arrays["alone_images"] = np.concatenate([r.image.numpy() for r in alone])
arrays["alone_history"] = np.array([r.history["total"] for r in alone])
np.savez(out, **arrays)
