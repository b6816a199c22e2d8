"""The training command: ``python -m tf_style.fit`` (also ``tf-style-fit``).

Thin, like :mod:`tf_style.commands.train`: parse, check every input before a model
is built, run :func:`tf_style.fit.run.fit` with a progress bar, say where the
results are. The options are :class:`~tf_style.fit.config.FitConfig`'s fields, so no
default exists twice. Exit statuses are :data:`tf_style.commands.cli.EXIT_CODES`'s:
0 done, 1 an output could not be written, 2 bad input (one line, before any model
is built), 130 interrupted (the last finished step is checkpointed; the same
command continues it).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    add_field_options,
    notes_as_lines,
    quiet_tensorflow,
    stop_on_sigterm,
)

PROGRAM = "tf-style-fit"


def build_parser() -> argparse.ArgumentParser:
    """Inputs and outputs, then every FitConfig field as an option."""
    from tf_style.choices import STRATEGIES
    from tf_style.fit.config import FitConfig

    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Train a feed-forward style network with the tutorial's loss, "
        "checkpointed (the same command continues a stopped run), logged for "
        "TensorBoard and exported as a SavedModel (TF-Hub's calling convention) and "
        "TensorFlow Lite.",
    )
    parser.add_argument(
        "--style",
        required=True,
        metavar="PATH",
        help="style image (johnson), or folder/glob of styles (adain)",
    )
    parser.add_argument(
        "--content",
        required=True,
        metavar="DIR_OR_GLOB",
        help="photos to train on: a folder, a glob, or "
        "tfds:NAME[:SPLIT] (TensorFlow Datasets, prepared)",
    )
    parser.add_argument(
        "--output",
        required=True,
        type=Path,
        metavar="MODEL_DIR",
        help="the run's folder (checkpoints, logs, exported model)",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        metavar="PATH",
        help="VGG19 weights file (default: the first source found)",
    )
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="auto",
        help="tf.distribute strategy: auto is multi-worker with "
        "TF_CONFIG, mirrored on several GPUs, else one device",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        metavar="MINUTES",
        help="stop training after this many minutes (a resumed run counts its "
        "earlier time), then export",
    )
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="train only; do not write the SavedModel and TFLite",
    )
    options = parser.add_argument_group("training (FitConfig)")
    add_field_options(options, FitConfig, keep_defaults=True)
    return parser


def config_from_args(args: argparse.Namespace):
    """The FitConfig of the options; its checks as one usage error."""
    from tf_style.fit.config import FitConfig

    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(FitConfig)}
    values["style_layer_weights"] = tuple(values["style_layer_weights"])
    try:
        return FitConfig(**values)
    except ValueError as error:
        raise UsageError(str(error)) from None


def check_inputs(args: argparse.Namespace, config) -> tuple:
    """Style, photos, weights and output folder, before any model is built.

    Returns:
        ``(style, content)`` as :func:`~tf_style.fit.run.fit` takes them, the
        folders and globs listed (:class:`~tf_style.fit.sources.PhotoSource`):
        once here, not again when training starts.
    """
    from tf_style.commands.preflight import check_writable_location
    from tf_style.fit.sources import resolve_source

    style = Path(args.style)
    if config.architecture == "johnson" and not style.is_file():
        raise UsageError(
            f"{style}: no such style image (--style; johnson takes one "
            "image, adain a folder or glob)."
        )
    try:
        if config.architecture == "adain":
            style = resolve_source(args.style)
        content = resolve_source(args.content)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.weights is not None and not args.weights.is_file():
        raise UsageError(f"{args.weights}: no such weights file (--weights).")
    if args.output.exists() and not args.output.is_dir():
        raise UsageError(f"{args.output}: exists and is not a directory (--output).")
    check_writable_location(args.output)
    for role, source in (("--content", args.content), ("--style", args.style)):
        folder = Path(source)
        if folder.is_dir() and _within(args.output, folder):
            raise UsageError(
                f"{args.output}: inside the {role} folder {folder}; its previews "
                "would become training images. Give --output another folder."
            )
    if args.time_limit is not None and not args.time_limit > 0:
        raise UsageError(f"--time-limit must be positive, got {args.time_limit}.")
    return style, content


def _within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or inside it (links resolved)."""
    return path.resolve().is_relative_to(folder.resolve())


def main(argv: list[str] | None = None) -> int:
    """Run ``tf-style-fit``; returns the exit status (see the module docstring)."""
    quiet_tensorflow()
    args = build_parser().parse_args(argv)
    stop_on_sigterm()
    from tf_style.batch.distribute import make_strategy
    from tf_style.fit.photos import UnreadableImagesWarning
    from tf_style.fit.run import ResumeConflict, check_resumable

    notes_as_lines(PROGRAM, UnreadableImagesWarning)

    try:
        config = config_from_args(args)
        sources = check_inputs(args, config)
        check_resumable(args.output, config)
        strategy = make_strategy(args.strategy)
    except (UsageError, ResumeConflict, ValueError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return _train(args, config, sources, strategy)


def _train(args, config, sources: tuple, strategy) -> int:
    from tf_style.fit.run import fit
    from tf_style.vgg.weights import WeightsNotFoundError, load_vgg19

    try:
        vgg = load_vgg19(args.weights) if args.weights else None
        with _progress(config) as progress:
            result = fit(
                config,
                style=sources[0],
                content=sources[1],
                directory=args.output,
                strategy=strategy,
                on_step=progress,
                export=not args.no_export,
                time_limit=None if args.time_limit is None else 60 * args.time_limit,
                vgg=vgg,
            )
    except (WeightsNotFoundError, ValueError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"{PROGRAM}: error: could not write ({error}).", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        if (args.output / "fit.json").is_file():  # written with every checkpoint
            said = (
                f"checkpoint saved in {args.output}/checkpoints; run the same "
                "command to continue."
            )
        else:
            said = "no step was finished, so nothing was saved."
        print(f"{PROGRAM}: interrupted; {said}", file=sys.stderr)
        return EXIT_INTERRUPTED
    _summary(result)
    return EXIT_OK


class _progress:
    """A tqdm bar over the run's steps with the live loss."""

    def __init__(self, config):
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=config.steps, unit="step", file=sys.stderr, dynamic_ncols=True
        )

    def __call__(self, losses) -> None:
        self.bar.update(losses.step - self.bar.n)
        self.bar.set_postfix(loss=f"{losses.losses['total']:.4g}", refresh=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.bar.close()


def _summary(result) -> None:
    held_out = result.record["held_out_losses"]
    if held_out:
        print(
            f"held-out loss at step {held_out[-1]['step']}: {held_out[-1]['total']:.4g}"
        )
    print(f"record: {result.directory / 'fit.json'}")
    for name, path in result.exported.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    sys.exit(main())
