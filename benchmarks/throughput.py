"""Images per hour of batched stylisation for several batch sizes.

    python benchmarks/throughput.py                    # 256 px, batch 1 2 4 8, 20 steps
    python benchmarks/throughput.py --sizes 1 4 16 --steps 50
    python benchmarks/throughput.py --config '{"optimizer": "adam"}'

Each batch size stylises that many copies of the bundled photo (shifted by a pixel
each, so they differ) for ``--steps`` Adam steps; one warm-up step compiles the step
first. Images per hour = batch size / seconds per step / steps per image * 3600, with
the tutorial's 1000 steps per image. ``--config`` takes StyleTransferConfig fields as
JSON (Adam settings; the fast preset's L-BFGS runs one image at a time, so its
rate is the speed benchmark's seconds per image).
Writes ``benchmarks/results/throughput.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import tensorflow as tf

from tf_style.config import StyleTransferConfig
from tf_style.device import describe_device
from tf_style.images import load_image
from tf_style.objective import StyleContentLoss
from tf_style.optimize.adam import StyleTransfer
from tf_style.optimize.recorder import RunRecorder
from tf_style.paths.atomic import atomic_write
from tf_style.vgg.model import StyleContentModel

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def seconds_per_step(batch: int, config: StyleTransferConfig, steps: int, extractor):
    """Mean seconds of one batched Adam step after one warm-up step."""
    photo = load_image(ROOT / "tf_style" / "data" / "chelsea.png", config.max_dim)
    style = load_image(ROOT / "tf_style" / "data" / "starry_night.jpg", config.max_dim)
    contents = tf.concat([tf.roll(photo, b, axis=2) for b in range(batch)], 0)
    loss = StyleContentLoss.from_config(extractor, contents, style, config)
    transfer = StyleTransfer(loss, contents, config)
    transfer.run(1, RunRecorder(1, batch=batch))
    start = time.perf_counter()
    transfer.run(steps, RunRecorder(steps, batch=batch))
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--config", default="{}", help="config fields as JSON")
    args = parser.parse_args()
    config = dataclasses.replace(
        StyleTransferConfig(max_dim=args.max_dim), **json.loads(args.config)
    )
    extractor = StyleContentModel(config.style_layers, config.content_layers)
    rows = []
    for batch in args.sizes:
        step = seconds_per_step(batch, config, args.steps, extractor)
        per_hour = batch / step / config.total_steps * 3600
        rows.append(
            {"batch": batch, "seconds_per_step": step, "images_per_hour": per_hour}
        )
        print(f"batch {batch}: {step:.3f} s/step, {per_hour:.1f} images/hour")
    record = {
        "device": describe_device(),
        "max_dim": config.max_dim,
        "timed_steps": args.steps,
        "steps_per_image": config.total_steps,
        "config": json.loads(args.config),
        "rows": rows,
    }
    write(record)


def write(record: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    with atomic_write(RESULTS / "throughput.json") as handle:
        handle.write(json.dumps(record, indent=2).encode())
    base = record["rows"][0]["images_per_hour"]
    lines = [
        f"Device: {record['device']}; {record['max_dim']} px, "
        f"{record['steps_per_image']} Adam steps per image "
        f"(timed over {record['timed_steps']} steps).",
        "",
        "| batch | s/step | images/hour | vs batch 1 |",
        "|---|---|---|---|",
    ]
    for row in record["rows"]:
        lines.append(
            f"| {row['batch']} | {row['seconds_per_step']:.3f} | "
            f"{row['images_per_hour']:.1f} | {row['images_per_hour'] / base:.2f}x |"
        )
    with atomic_write(RESULTS / "throughput.md") as handle:
        handle.write(("\n".join(lines) + "\n").encode())
    plot(record)


def plot(record: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 3.5))
    batches = [row["batch"] for row in record["rows"]]
    axes.plot(batches, [row["images_per_hour"] for row in record["rows"]], "o-")
    axes.set_xscale("log", base=2)
    axes.set_xlabel("batch size")
    axes.set_ylabel("images per hour")
    axes.set_title(f"{record['max_dim']} px, {record['device']}", fontsize=8)
    figure.tight_layout()
    with atomic_write(RESULTS / "throughput.png") as handle:
        figure.savefig(handle, format="png", dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    main()
