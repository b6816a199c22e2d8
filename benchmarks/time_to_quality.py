"""Time to quality: how soon each method reaches the loss of the tutorial's schedule.

A script, not a test (speed assertions do not belong in the test suite). For every
size and content/style pair, in one process:

1. The tutorial's schedule (Adam, learning rate 0.02, beta_1 0.99, epsilon 0.1, TV
   weight 30) runs ``--reference-steps`` steps (1,000 is its full schedule); the
   full-size loss after 300 steps and after all of them are the two targets.
2. Every other method runs until its full-size loss reaches the lowest target (or its
   step budget ends); the fast preset also runs its own fixed budget, to check that
   its stopping rule lands below the 300-step target.

The main figure is **full-size evaluations to the target** (loss-and-gradient
evaluations, a coarse one counted by its share of the full size's pixels): it does not
move with the machine's load. Wall time to the target includes every one-off cost
(targets, tracing) and is compared with the tutorial's in the same process. Losses are
those the optimisers report, at full size, so measuring costs nothing: Adam reports
the loss before each update, i.e. of the image after the previous step, which is why
the tutorial runs one step more than its targets.

Also recorded per pair: the loss of candidate starting images (content, the content
with the style's colours, the fast model's output where ``../shared`` has it) and the
share of each loss term and style layer in the tutorial's 300-step image.

Usage:
    python benchmarks/time_to_quality.py                    # 3 pairs, 256 and 512 px
    python benchmarks/time_to_quality.py --sizes 256 --pairs chelsea:starry_night
    python benchmarks/time_to_quality.py --resume           # only the missing runs
    python benchmarks/time_to_quality.py --sizes 256 --reference-steps 256:300 \
        --pairs coffee:starry_night --methods --output-dir benchmarks/results/held_out
    python benchmarks/quality_report.py                     # tables and plots again
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import tensorflow as tf
from quality_report import machine, reached, write_report  # this folder

from tf_style.color import match_color
from tf_style.config import StyleTransferConfig
from tf_style.images import load_image
from tf_style.losses import style_loss, total_variation_loss
from tf_style.objective import StyleContentLoss
from tf_style.optimize import StepReport, stylize
from tf_style.presets import preset
from tf_style.vgg.model import StyleContentModel
from tf_style.vgg.network import resolve_precision
from tf_style.vgg.weights import load_vgg19

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
IMAGES = SHARED / "images"
FAST_MODEL = SHARED / "models" / "magenta_arbitrary_stylization"
PAIRS = ("chelsea:starry_night", "coffee:the_scream", "chelsea:shipwreck")
LBFGS = {"optimizer": "lbfgs", "epochs": 1}
TF_LBFGS = {**LBFGS, "lbfgs_backend": "tensorflow", "lbfgs_history": 30}
# name -> changes to the tutorial's config (the budget is set per run; an Adam
# method runs the tutorial's steps)
METHODS: dict[str, dict] = {
    "Adam (tutorial), bfloat16": {"mixed_precision": "bfloat16"},
    "L-BFGS-B (scipy, round one)": LBFGS,
    "L-BFGS TF, history 30": TF_LBFGS,
    "L-BFGS TF + Fourier 1/f": {
        **TF_LBFGS,
        "preconditioner": "fourier",
        "precondition_decay": 0.5,
    },
    "L-BFGS TF + Fourier 1/f, recoloured start": {
        **TF_LBFGS,
        "preconditioner": "fourier",
        "precondition_decay": 0.5,
        "init": "content-recolored",
    },
    "L-BFGS TF + Fourier 1/f, recoloured start, local scaling": {
        **TF_LBFGS,
        "preconditioner": "fourier",
        "precondition_decay": 0.5,
        "precondition_local": 0.75,
        "init": "content-recolored",
    },
    "L-BFGS TF, coarse to fine 0.5/1 (correction)": {
        **TF_LBFGS,
        "scales": (0.5, 1.0),
        "coarse_start": "correction",
        "upsampling": "bicubic",
    },
}
# At larger sizes only these run (each run costs minutes on a CPU).
LARGE_SIZE_METHODS = (
    "Adam (tutorial), bfloat16",
    "L-BFGS-B (scipy, round one)",
    "L-BFGS TF + Fourier 1/f",
    "L-BFGS TF + Fourier 1/f, recoloured start",
)
COARSE_STEPS = 40  # iterations at scale 0.5 for the coarse-to-fine method
SHORT_TARGET = 300  # the tutorial's steps behind the first target


@dataclass
class Trace:
    """Loss against full-size evaluations and wall time for one run."""

    name: str
    evaluations: list[float] = field(default_factory=list)  # full-size equivalents
    times: list[float] = field(default_factory=list)  # seconds since the call
    losses: list[float] = field(default_factory=list)  # full size; NaN when coarse
    status: str = ""
    first_step_s: float = math.nan  # one-off costs plus the first evaluation(s)


def run_method(
    name: str,
    config: StyleTransferConfig,
    content: tf.Tensor,
    style: tf.Tensor,
    extractor: StyleContentModel,
    *,
    stop_below: float | None = None,
    keep_step: int | None = None,
    measure: StyleContentLoss | None = None,
) -> tuple[Trace, tf.Tensor | None]:
    """Run ``stylize`` and trace every step; stops (as Ctrl-C) below ``stop_below``.

    A method whose network computes in low precision optimises a loss a little off
    the float32 one (bfloat16's was about 1% lower), so its images are scored with
    ``measure``, the float32 loss, with the clock stopped while it scores: the
    trace then holds the same loss as every other method's, and no scoring time.

    Returns:
        The trace, and the image after step ``keep_step`` when asked for.
    """
    trace, kept = Trace(name), None
    full_pixels = content.shape[1] * content.shape[2]
    counted = 0
    low_precision = resolve_precision(config.mixed_precision) != "float32"
    score = tf.function(lambda image: measure(image)["total"]) if measure else None
    if low_precision and score is None:
        raise ValueError(f"{name}: a low-precision method needs the float32 measure")

    def on_step(report: StepReport) -> None:
        nonlocal counted, kept, started
        now = time.perf_counter() - started
        pixels = report.image.shape[1] * report.image.shape[2]
        share = pixels / full_pixels
        done = (trace.evaluations[-1] if trace.evaluations else 0.0) + share * (
            report.evaluations - counted
        )
        counted = report.evaluations
        if not trace.times:
            trace.first_step_s = now
        loss = report.losses["total"] if pixels == full_pixels else math.nan
        if config.optimizer == "adam":  # the loss before the update: one step back
            done = report.evaluations - 1.0
        if low_precision and pixels == full_pixels:  # the float32 loss, off the clock
            scoring = time.perf_counter()
            loss, done = float(score(report.image)), float(report.evaluations)
            started += time.perf_counter() - scoring
        trace.evaluations.append(done)
        trace.times.append(now)
        trace.losses.append(loss)
        if report.step == keep_step:
            kept = tf.identity(report.image)
        if stop_below is not None and loss <= stop_below:
            raise KeyboardInterrupt  # reached: stop as Ctrl-C would

    started = time.perf_counter()
    result = stylize(content, style, config, extractor=extractor, callback=on_step)
    trace.status = result.status
    return trace, kept


def loss_shares(loss: StyleContentLoss, image: tf.Tensor) -> dict[str, float]:
    """Each style layer's, the content's and the variation's share of the total."""
    outputs = loss.extractor(image)
    parts = {
        layer: float(
            style_loss(
                {layer: outputs["style"][layer]},
                {layer: loss.style_targets[layer]},
                loss.style_weight,
            )
        )
        / len(outputs["style"])
        for layer in outputs["style"]
    }
    terms = loss(image)
    parts["content"] = float(terms["content"])
    parts["variation"] = float(total_variation_loss(image, loss.total_variation_weight))
    total = sum(parts.values())
    return {name: value / total for name, value in parts.items()}


def starting_losses(
    loss: StyleContentLoss, content: tf.Tensor, style: tf.Tensor
) -> dict[str, float]:
    """The loss of candidate starting images (scored, not run)."""
    starts = {
        "content": content,
        "content, style's colours": match_color(content, style),
    }
    if FAST_MODEL.is_dir():
        from tf_style.fast.tflite import LiteStylizer

        fast = LiteStylizer(FAST_MODEL)(content, style)
        fast = tf.clip_by_value(tf.image.resize(fast, content.shape[1:3]), 0.0, 1.0)
        starts["fast model"] = fast
        starts["fast model 50% + content"] = 0.5 * fast + 0.5 * content
    return {name: float(loss(image)["total"]) for name, image in starts.items()}


def run_pair(
    extractor: StyleContentModel,
    content_name: str,
    style_name: str,
    size: int,
    reference_steps: int,
    budget: int,
    methods: tuple[str, ...],
) -> dict:
    """Every method on one pair at one size; the record ``write_report`` reads."""
    content = load_image(find_image(content_name), size)
    style = load_image(find_image(style_name), size)
    tutorial = StyleTransferConfig(
        max_dim=size, epochs=1, steps_per_epoch=reference_steps + 1
    )
    reference, kept = run_method(
        "Adam (tutorial)", tutorial, content, style, extractor, keep_step=SHORT_TARGET
    )
    targets = {str(SHORT_TARGET): reference.losses[SHORT_TARGET]}
    if reference_steps > SHORT_TARGET:
        targets[str(reference_steps)] = reference.losses[reference_steps]
    lowest = min(targets.values())
    print(f"{content_name} x {style_name} @ {size}: targets {targets}", flush=True)
    measure = StyleContentLoss.from_config(extractor, content, style, tutorial)
    traces = [reference]
    for name, changes in METHODS.items():
        if name not in methods:
            continue
        steps = (COARSE_STEPS, budget) if "scales" in changes else ()
        adam = changes.get("optimizer", "adam") == "adam"
        config = dataclasses.replace(
            tutorial,
            steps_per_epoch=reference_steps + 1 if adam else budget,
            scale_steps=steps,
            **changes,
        )
        trace, _ = run_method(
            name, config, content, style, extractor, stop_below=lowest, measure=measure
        )
        traces.append(trace)
        print(f"  {name}: {reached(dataclasses.asdict(traces[-1]), lowest)}")
    fast, _ = run_method("fast preset", preset("fast", max_dim=size), content, style,
                         extractor, measure=measure)  # fmt: skip
    traces.append(fast)
    return {
        "content": content_name,
        "style": style_name,
        "size": size,
        "pixels": [int(content.shape[2]), int(content.shape[1])],
        "targets": targets,
        "starts": starting_losses(measure, content, style),
        "shares_at_300": loss_shares(measure, kept),
        "fast_preset": dataclasses.asdict(preset("fast", max_dim=size)),
        "traces": [dataclasses.asdict(trace) for trace in traces],
    }


def find_image(stem: str) -> Path:
    """The file in ``../shared/images`` named ``stem`` with any suffix."""
    matches = sorted(IMAGES.glob(f"{stem}.*"))
    if not matches:
        raise SystemExit(f"no image named {stem} in {IMAGES}")
    return matches[0]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS),
                        help="content:style stems in ../shared/images")  # fmt: skip
    parser.add_argument(
        "--reference-steps",
        nargs="+",
        default=["256:1000", "512:300"],
        help="SIZE:STEPS, the tutorial's steps at each size (both targets come from "
        "one run; 1000 is its full schedule)",
    )
    parser.add_argument("--budget", type=int, default=250,
                        help="most iterations of each L-BFGS method")  # fmt: skip
    parser.add_argument(
        "--all-methods-up-to",
        type=int,
        default=256,
        help="above this size run only the round-one L-BFGS and the Fourier recipes",
    )
    parser.add_argument(
        "--methods",
        nargs="*",
        default=None,
        help="run only these methods (names as in the tables; none: only the "
        "tutorial and the fast preset, e.g. to check the preset on held-out pairs)",
    )
    parser.add_argument("--output-dir", type=Path, default=ROOT / "benchmarks/results")
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the runs already in the results file; run only the missing ones",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    unknown = set(args.methods or ()) - set(METHODS)
    if unknown:  # before any folder or the minutes of loading
        raise SystemExit(f"unknown methods {sorted(unknown)}; known: {list(METHODS)}")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    reference_steps = dict(
        (int(size), int(steps))
        for size, steps in (item.split(":") for item in args.reference_steps)
    )
    extractor = StyleContentModel(vgg=load_vgg19(args.weights))
    path = args.output_dir / "time_to_quality.json"
    results = {"machine": machine(), "runs": []}
    if args.resume and path.exists():
        results = json.loads(path.read_text())
    done = {(run["size"], run["content"], run["style"]) for run in results["runs"]}
    for size in args.sizes:
        methods = (
            tuple(METHODS) if size <= args.all_methods_up_to else LARGE_SIZE_METHODS
        )
        if args.methods is not None:
            methods = tuple(args.methods)
        for pair in args.pairs:
            content_name, style_name = pair.split(":")
            if (size, content_name, style_name) in done:
                continue
            results["runs"].append(
                run_pair(
                    extractor,
                    content_name,
                    style_name,
                    size,
                    reference_steps.get(size, SHORT_TARGET),
                    args.budget,
                    methods,
                )
            )
            path.write_text(json.dumps(results, indent=1))  # nothing lost if stopped
            write_report(results, args.output_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
