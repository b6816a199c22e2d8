"""Time the fast model (Magenta arbitrary stylization) at several content sizes.

Loading, the first call (one-off set-up: graph tracing, XNNPACK delegate, tensor
allocation) and the median of warm calls are reported apart, as a Markdown table for
the README's Speed section. Example, with the TensorFlow Lite pair from ../shared::

    MODELS=../shared/models/magenta_arbitrary_stylization
    python benchmarks/fast_model.py --tflite-dir $MODELS
    python benchmarks/fast_model.py --hub-handle path/to/saved_model --sizes 256 512
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tf_style.device import describe_device
from tf_style.fast import FastStylizer, load_fast_model
from tf_style.images import load_image

ASSETS = Path(__file__).resolve().parents[1] / "tf_style" / "data"


def time_size(
    model: FastStylizer, max_dim: int, repeats: int
) -> tuple[str, float, float]:
    """(size, first call, median warm call) in seconds at one ``max_dim``."""
    content = load_image(ASSETS / "chelsea.png", max_dim)
    style = load_image(ASSETS / "starry_night.jpg", 256)
    started = time.perf_counter()
    model(content, style)
    first = time.perf_counter() - started
    warm = []
    for _ in range(repeats):
        started = time.perf_counter()
        model(content, style)
        warm.append(time.perf_counter() - started)
    height, width = content.shape[1:3]
    return f"{width}x{height}", first, statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    choice = parser.add_mutually_exclusive_group(required=True)
    choice.add_argument("--hub-handle", help="SavedModel URL, folder or .tar.gz")
    choice.add_argument("--tflite-dir", type=Path, help="folder with the TFLite pair")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model = load_fast_model(hub_handle=args.hub_handle, tflite_dir=args.tflite_dir)
    print(f"{model.source} on {describe_device()}; load {model.load_seconds:.3f} s\n")
    print("| content | first call (s) | warm call, median (s) |\n|---|---|---|")
    for max_dim in args.sizes:
        size, first, warm = time_size(model, max_dim, args.repeats)
        print(f"| {size} | {first:.3f} | {warm:.3f} |")


if __name__ == "__main__":
    main()
