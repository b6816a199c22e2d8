"""Time to quality: how fast each method reaches the loss of the tutorial's schedule.

A script, not a test (speed assertions do not belong in the test suite). In one
process, on one content/style pair:

1. The tutorial's schedule (Adam, learning rate 0.02, beta_1 0.99, epsilon 0.1, TV
   weight 30) runs ``--target-steps`` steps; the full-size loss of its final image is
   the target.
2. Every other method runs until its full-size loss first reaches the target (or its
   step budget ends); we report the wall time and its ratio to the tutorial's.

Every loss here is the same :class:`tf_style.objective.StyleContentLoss` at the full
size, evaluated after each step with the clock paused. For a multi-scale run the
coarse stages count in wall time, but only full-size images can reach the target.
Time to target includes one-off costs (VGG19 targets, tracing, XLA compilation);
seconds per step leave them out (median of the step intervals after the first three).

Throughput follows nanoGPT's ``estimate_mfu``: VGG19's convolutions are counted
analytically (2 FLOPs per multiply-add), forward plus backward to the image only
(VGG19's weights are frozen, so no weight gradients: backward costs about one more
forward), and compared with a 3x3 convolution's measured GFLOP/s on this machine.

Usage:
    python benchmarks/time_to_quality.py                # chelsea + starry night, 256 px
    python benchmarks/time_to_quality.py --content a.jpg --style b.jpg --max-dim 256
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf
from step_time import step_flops  # this folder: the one FLOP count of a step

from tf_style.config import StyleTransferConfig
from tf_style.device import cpu_name, cpu_supports_bfloat16
from tf_style.images import load_image
from tf_style.objective import StyleContentLoss
from tf_style.optimize import StepReport, StyleTransfer, stylize
from tf_style.optimize.lbfgs import LBFGSTransfer
from tf_style.optimize.multiscale import resize_to
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import with_precision
from tf_style.vgg.weights import load_vgg19

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT.parent / "shared" / "images"

# (name, changes to the tutorial's config, step budget as a multiple of --target-steps)
METHODS: tuple[tuple[str, dict, float], ...] = (
    ("Adam bfloat16", {"mixed_precision": "bfloat16"}, 1.0),
    ("L-BFGS", {"optimizer": "lbfgs"}, 0.5),
    ("L-BFGS bfloat16", {"optimizer": "lbfgs", "mixed_precision": "bfloat16"}, 0.5),
    (
        "L-BFGS multi-scale 0.25/0.5/1",
        {"optimizer": "lbfgs", "scales": (0.25, 0.5, 1.0)},
        0.5,
    ),
)
# Adam in bfloat16 is not run by default: the precision table shows its step cost.
DEFAULT_METHODS = [name for name, _, _ in METHODS if name != "Adam bfloat16"]
# Steps at the coarse scales of the multi-scale method (the budget goes to full
# size). Kept short: upsampled coarse images are blurred, and the full-size loss,
# dominated by block1/block2 texture, rises until the full size restores the detail.
COARSE_STEPS = (30, 20)


@dataclass
class Trace:
    """Full-size loss against wall time for one method."""

    name: str
    times: list[float] = field(default_factory=list)  # seconds since the start
    losses: list[float] = field(default_factory=list)  # full-size total loss
    full_size: list[bool] = field(default_factory=list)  # the step ran at full size
    status: str = ""
    evaluations: int = 0  # loss-and-gradient evaluations (L-BFGS line searches)

    def time_to(self, target: float) -> float | None:
        """Wall time at which a full-size step first reached ``target``."""
        for seconds, loss, full in zip(
            self.times, self.losses, self.full_size, strict=True
        ):
            if full and loss <= target:
                return seconds
        return None

    def seconds_per_step(self) -> float:
        """Median interval between full-size steps, the first three left out."""
        times = [t for t, full in zip(self.times, self.full_size, strict=True) if full]
        intervals = np.diff(times[3:])
        return float(np.median(intervals)) if len(intervals) else float("nan")


def conv_gflops(dtype: tf.DType, size: int = 64, channels: int = 256) -> float:
    """Measured GFLOP/s of one 3x3 convolution (block3's shape at 256 px).

    The best of 30 runs: the machine is shared, and the peak is what it can do.
    """
    images = tf.cast(tf.random.uniform([1, size, size, channels]), dtype)
    kernel = tf.cast(tf.random.uniform([3, 3, channels, channels]), dtype)
    conv = tf.function(lambda x: tf.nn.conv2d(x, kernel, 1, "SAME"))
    conv(images).numpy()
    best = float("inf")
    for _ in range(30):
        started = time.perf_counter()
        conv(images).numpy()
        best = min(best, time.perf_counter() - started)
    return 2.0 * size * size * 9 * channels * channels / best / 1e9


def run_method(
    name: str,
    config: StyleTransferConfig,
    content: tf.Tensor,
    style: tf.Tensor,
    extractor: StyleContentModel,
    measure: StyleContentLoss,
    *,
    stop_below: float | None = None,
) -> Trace:
    """Run ``stylize`` and trace the full-size loss of every step, clock paused.

    With ``stop_below``, the run ends (through Ctrl-C's path: the callback raises
    ``KeyboardInterrupt``) once a full-size step reaches it.
    """
    trace, paused = Trace(name), 0.0
    size = tuple(content.shape[1:3])
    score = tf.function(lambda image: measure(image)["total"])

    def on_step(report: StepReport) -> None:
        nonlocal paused
        now = time.perf_counter()
        full = tuple(report.image.shape[1:3]) == size
        loss = float(score(resize_to(tf.convert_to_tensor(report.image), size)))
        trace.times.append(now - started - paused)
        trace.losses.append(loss)
        trace.full_size.append(full)
        paused += time.perf_counter() - now
        if stop_below is not None and full and loss <= stop_below:
            raise KeyboardInterrupt  # reached: stop as Ctrl-C would

    score(content)  # compile the measure before the clock starts
    with count_evaluations() as evaluations:
        started = time.perf_counter()
        result = stylize(content, style, config, extractor=extractor, callback=on_step)
    trace.status, trace.evaluations = result.status, evaluations[0]
    return trace


class count_evaluations:  # noqa: N801 (a context manager used like a function)
    """Count L-BFGS loss-and-gradient evaluations inside the ``with`` block."""

    def __enter__(self) -> list[int]:
        self.count = [0]
        self.original = original = LBFGSTransfer.evaluate
        count = self.count

        def evaluate(transfer: LBFGSTransfer, x: np.ndarray):
            count[0] += 1
            return original(transfer, x)

        LBFGSTransfer.evaluate = evaluate
        return self.count

    def __exit__(self, *exc: object) -> None:
        LBFGSTransfer.evaluate = self.original


def time_train_step(
    loss: StyleContentLoss, content: tf.Tensor, config: StyleTransferConfig, steps: int
) -> tuple[float, float, tf.Tensor]:
    """Adam train steps: (seconds of the first, median seconds after, final image).

    The first step includes tracing (and XLA compilation with ``jit``).
    """
    transfer = StyleTransfer(loss, content, config)
    times = []
    for _ in range(steps + 1):
        started = time.perf_counter()
        transfer.train_step()["total"].numpy()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:]), tf.convert_to_tensor(transfer.image)


def precision_rows(
    extractor: StyleContentModel,
    content: tf.Tensor,
    style: tf.Tensor,
    base: StyleTransferConfig,
    steps: int,
    peak: float,
) -> list[dict]:
    """Adam train step in every precision, with and without XLA; loss after ``steps``.

    Each final image is scored with the float32 loss so the numbers compare.
    """
    flops = step_flops(*content.shape[1:3])
    measure = StyleContentLoss.from_config(extractor, content, style, base)
    rows = []
    for precision in ("float32", "bfloat16", "float16"):
        for jit in (False, True):
            config = dataclasses.replace(base, mixed_precision=precision, jit=jit)
            loss = StyleContentLoss.from_config(
                with_precision(extractor, precision), content, style, config
            )
            first, per_step, image = time_train_step(loss, content, config, steps)
            rows.append(
                {
                    "precision": precision,
                    "jit": jit,
                    "steps": steps,
                    "first_step_s": first,
                    "step_s": per_step,
                    "gflops": flops / per_step / 1e9,
                    "of_peak": flops / per_step / 1e9 / peak,
                    "loss": float(measure(image)["total"]),
                }
            )
            print(rows[-1], flush=True)
    return rows


def markdown_tables(
    traces: list[Trace],
    target: float,
    content: tf.Tensor,
    peak: float,
    precision: list[dict],
    setup: dict,
) -> str:
    """The results as Markdown: time to target per method, then step cost."""
    flops = step_flops(*content.shape[1:3])
    reference = traces[0].time_to(target) or float("nan")
    lines = [
        f"Content {setup['content']}, style {setup['style']}, "
        f"{content.shape[2]}x{content.shape[1]} px; {setup['machine']}. "
        f"Target: full-size loss {target:.4g}, the tutorial's after "
        f"{setup['target_steps']} steps. Measured conv peak (3x3, best of 30): "
        f"{peak:.0f} GFLOP/s float32, {setup['peak_bf16']:.0f} bfloat16; "
        f"one step = {flops / 1e9:.1f} GFLOP "
        f"(forward + backward to the image).",
        "",
        "| method | steps run | time to target (s) | vs tutorial | s/step | "
        "evals/step | GFLOP/s | of conv peak | final loss |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for trace in traces:
        reached = trace.time_to(target)
        per_step = trace.seconds_per_step()
        evals = trace.evaluations / len(trace.times) if trace.evaluations else 1.0
        gflops = flops * evals / per_step / 1e9
        lines.append(
            f"| {trace.name} | {len(trace.times)} | "
            f"{'not reached' if reached is None else f'{reached:.1f}'} | "
            f"{'-' if reached is None else f'{reference / reached:.1f}x faster'} | "
            f"{per_step:.3f} | {evals:.2f} | {gflops:.0f} | {gflops / peak:.0%} | "
            f"{trace.losses[-1]:.4g} |"
        )
    lines += [
        "",
        "Time to target includes one-off costs (targets, tracing, compilation); "
        "s/step is the median full-size step after the first three (for the "
        "multi-scale run, its full-size stage only). L-BFGS's steps are iterations; "
        "evals/step counts its line searches. Loss is measured after every step with "
        "the clock paused.",
        "",
        f"Adam train step by compute precision ({precision[0]['steps']} steps from "
        "the content image; loss scored in float32):"
        if precision
        else "",
    ]
    if precision:
        lines += [
            "",
            "| precision | XLA | first step (s) | s/step | GFLOP/s | of conv peak | "
            "loss after the steps |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in precision:
            lines.append(
                f"| {row['precision']} | {'yes' if row['jit'] else 'no'} | "
                f"{row['first_step_s']:.1f} | {row['step_s']:.3f} | "
                f"{row['gflops']:.0f} | {row['of_peak']:.0%} | {row['loss']:.4g} |"
            )
    return "\n".join(lines) + "\n"


def plot(traces: list[Trace], target: float, path: Path, target_steps: int) -> None:
    """Full-size loss against wall time, log y, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=90)
    for trace in traces:
        axes.plot(trace.times, trace.losses, label=trace.name, linewidth=1.4)
    axes.axhline(target, color="grey", linestyle="--", linewidth=1, label="target")
    axes.set_yscale("log")
    axes.set_xlabel("wall time (s, compile included; loss evaluation excluded)")
    axes.set_ylabel("total loss at full size")
    axes.set_title(f"Time to the tutorial's {target_steps}-step loss")
    axes.legend(fontsize=8)
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def machine() -> str:
    """CPU model, cores and bfloat16 support, for the table's caption."""
    name = cpu_name()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    bf16 = "native bfloat16" if cpu_supports_bfloat16() else "no native bfloat16"
    return f"{name}, {cores} cores, {bf16}, TF {tf.__version__}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=IMAGES / "chelsea.png")
    parser.add_argument("--style", type=Path, default=IMAGES / "starry_night.jpg")
    parser.add_argument("--max-dim", type=int, default=256)
    parser.add_argument("--target-steps", type=int, default=300)
    parser.add_argument("--precision-steps", type=int, default=5)
    parser.add_argument("--output-dir", type=Path, default=ROOT / "benchmarks/results")
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument(
        "--methods",
        nargs="+",
        default=DEFAULT_METHODS,
        choices=[name for name, _, _ in METHODS],
        help="methods to compare with the tutorial's schedule",
    )
    parser.add_argument(
        "--target",
        type=float,
        default=None,
        help="skip the tutorial's run and use this loss as the target (exploring)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    content = load_image(args.content, args.max_dim)
    style = load_image(args.style, args.max_dim)
    extractor = StyleContentModel(vgg=load_vgg19(args.weights))
    tutorial = StyleTransferConfig(
        max_dim=args.max_dim, epochs=1, steps_per_epoch=args.target_steps
    )
    measure = StyleContentLoss.from_config(extractor, content, style, tutorial)
    peak = conv_gflops(tf.float32)
    peak_bf16 = conv_gflops(tf.bfloat16)
    print(f"conv peak {peak:.0f} / {peak_bf16:.0f} GFLOP/s f32 / bf16", flush=True)

    traces = []
    if args.target is None:
        traces.append(
            run_method("Adam (tutorial)", tutorial, content, style, extractor, measure)
        )
        target = traces[0].losses[-1]
        print(f"target {target:.4g} after {traces[0].times[-1]:.1f} s", flush=True)
    else:
        target = args.target
    for name, changes, budget in METHODS:
        if name not in args.methods:
            continue
        config = method_config(tutorial, changes, round(budget * args.target_steps))
        traces.append(
            run_method(
                name, config, content, style, extractor, measure, stop_below=target
            )
        )
        print(name, traces[-1].time_to(target), traces[-1].status, flush=True)

    precision = (
        precision_rows(extractor, content, style, tutorial, args.precision_steps, peak)
        if args.precision_steps
        else []
    )
    setup = {
        "content": args.content.name,
        "style": args.style.name,
        "machine": machine(),
        "peak_bf16": peak_bf16,
        "target_steps": args.target_steps,
    }
    table = markdown_tables(traces, target, content, peak, precision, setup)
    (args.output_dir / "time_to_quality.md").write_text(table)
    plot(traces, target, args.output_dir / "time_to_quality.png", args.target_steps)
    (args.output_dir / "time_to_quality.json").write_text(
        json.dumps(
            {
                "setup": setup,
                "target": target,
                "conv_peak_gflops": {"float32": peak, "bfloat16": peak_bf16},
                "traces": [dataclasses.asdict(trace) for trace in traces],
                "precision": precision,
            },
            indent=1,
        )
    )
    print(table)
    return 0


def method_config(
    tutorial: StyleTransferConfig, changes: dict, steps: int
) -> StyleTransferConfig:
    """The tutorial's config with ``changes`` and a budget of ``steps``."""
    scales = changes.get("scales", (1.0,))
    scale_steps = (*COARSE_STEPS[: len(scales) - 1], steps) if len(scales) > 1 else ()
    return dataclasses.replace(
        tutorial, steps_per_epoch=steps, scale_steps=scale_steps, **changes
    )


if __name__ == "__main__":
    sys.exit(main())
