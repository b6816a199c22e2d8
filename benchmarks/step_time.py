"""Seconds per train step and achieved GFLOP/s of VGG19's forward and backward pass.

    python benchmarks/step_time.py               # 256 and 512 px, 20 timed steps each
    python benchmarks/step_time.py --sizes 128 --steps 5

The tutorial's train step (Adam on the image, the default layers) is compiled once and
warmed up; then ``--steps`` steps are timed. FLOPs are counted analytically, as
nanoGPT's ``estimate_mfu`` does: each 3x3 convolution up to the deepest layer used
costs ``2 * H * W * 9 * C_in * C_out`` forward, and the same again backward (only the
gradient with respect to the input is needed: the weights are frozen, so TensorFlow
prunes the filter gradients). Gram matrices add ``2 * H * W * C^2`` per style layer,
twice. Pooling, ReLU and the losses are negligible next to that.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.config.layer_names import VGG19_CONV_LAYERS
from tf_style.device import describe_device
from tf_style.images import load_image
from tf_style.objective import StyleContentLoss
from tf_style.optimize import StyleTransfer
from tf_style.vgg.model import StyleContentModel

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def conv_shapes(
    height: int, width: int, last_layer: str
) -> list[tuple[int, int, int, int]]:
    """``(H, W, C_in, C_out)`` of every VGG19 convolution up to ``last_layer``."""
    shapes, channels_in = [], 3
    for name in VGG19_CONV_LAYERS:
        block = int(name[5])
        scale = 2 ** (block - 1)  # one 2x2 max pool before each block after the first
        channels_out = CHANNELS[block]
        shapes.append((height // scale, width // scale, channels_in, channels_out))
        channels_in = channels_out
        if name == last_layer:
            break
    return shapes


def step_flops(
    height: int, width: int, config: StyleTransferConfig | None = None
) -> float:
    """FLOPs of one train step: VGG19 forward + input-gradient backward, plus Grams.

    ``config`` gives the layers (the tutorial's by default).
    """
    config = config or StyleTransferConfig()
    used = set(config.style_layers) | set(config.content_layers)
    last = max(used, key=VGG19_CONV_LAYERS.index)
    shapes = conv_shapes(height, width, last)
    convolutions = sum(2 * h * w * 9 * cin * cout for h, w, cin, cout in shapes)
    by_name = dict(zip(VGG19_CONV_LAYERS, shapes, strict=False))
    grams = sum(
        2 * by_name[n][0] * by_name[n][1] * by_name[n][3] ** 2
        for n in used
        if n in config.style_layers
    )
    return 2.0 * (convolutions + grams)


def time_steps(
    size: int, steps: int, extractor: StyleContentModel
) -> tuple[float, tuple[int, int]]:
    """Mean seconds per step after a compile-and-warm-up step, and the image size."""
    config = StyleTransferConfig(max_dim=size)
    content = load_image(ROOT / "tf_style" / "data" / "chelsea.png", size)
    style = load_image(ROOT / "tf_style" / "data" / "starry_night.jpg", size)
    loss = StyleContentLoss.from_config(extractor, content, style, config)
    transfer = StyleTransfer(loss, content, config)
    float(transfer.train_step()["total"])  # trace, compile, warm up
    started = time.perf_counter()
    for _ in range(steps):
        terms = transfer.train_step()
    float(terms["total"])  # wait for the last step
    return (time.perf_counter() - started) / steps, tuple(content.shape[1:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    config = StyleTransferConfig()
    extractor = StyleContentModel(config.style_layers, config.content_layers)
    print(
        f"device: {describe_device()}; TensorFlow {tf.__version__}; "
        f"threads intra={tf.config.threading.get_intra_op_parallelism_threads()}"
    )
    print("| max_dim | image | s/step | GFLOP/step | GFLOP/s |")
    print("|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        seconds, (height, width) = time_steps(size, args.steps, extractor)
        flops = step_flops(height, width, dataclasses.replace(config, max_dim=size))
        print(
            f"| {size} | {width}x{height} | {seconds:.3f} | {flops / 1e9:.1f} | "
            f"{flops / seconds / 1e9:.0f} |"
        )


if __name__ == "__main__":
    main()
