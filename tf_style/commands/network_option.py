"""``tf-style-train --network PATH_OR_HANDLE``: a network paints instead of the
optimisation, for one photo, a folder or a video's frames.

The network is whatever :func:`tf_style.fast.load_network` finds at the path or
handle (a tf-style-fit output folder, the Magenta TensorFlow Lite pair, a
SavedModel folder or ``.tar.gz``, a TF-Hub URL handle). Every option a network
cannot honour is refused with the reason before it is loaded
(:func:`tf_style.batch.checks.network_refusal`): it has no loss, no steps and no
temporal term; ``--max-dim`` and ``--strength`` apply. A folder or frames run goes
through the same library as the optimisation (:mod:`tf_style.commands.many_images`);
one photo is one call of :func:`tf_style.fast.fast_stylize`, written here.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tf_style.batch.checks import network_refusal
from tf_style.commands.cli import (
    UsageError,
    config_from_fields,
    given_fields,
    input_image,
    interrupts_held,
)
from tf_style.commands.preflight import (
    check_bit_depth,
    check_outputs,
    check_path_arguments,
)
from tf_style.commands.run_outputs import OutputError
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import ManyImagesConfig, VideoConfig
from tf_style.device import describe_device
from tf_style.fast import FastModelError, FastStylizer, fast_stylize, load_network
from tf_style.fast.base import check_strength
from tf_style.images.decode import rgb_icc_profile
from tf_style.images.tensors import SAVE_FORMATS, load_image, save_image
from tf_style.paths.identity import OverwriteError, ReadSet, protecting


def refuse_for_network(args: argparse.Namespace) -> None:
    """Every option given that a network cannot honour, refused with the reason.

    Raises:
        UsageError: ``--preset``, an optimisation or temporal option, ``--mask``,
            ``--region``, ``--region-style-mask``, ``--save-every`` or
            ``--weights`` with ``--network``.
    """
    if getattr(args, "preset", "tutorial") != "tutorial":
        raise UsageError(
            f"--preset {args.preset} chooses optimisation settings; a network paints "
            "in one forward pass. Leave --preset out with --network."
        )
    for kind in (StyleTransferConfig, ManyImagesConfig, VideoConfig):
        for name, value in given_fields(args, kind).items():
            reason = network_refusal(kind, name, value)
            if reason:
                raise UsageError(reason)
    refused = {
        "mask": "--mask weighs the style loss by place; a network has no loss.",
        "region": "--region weighs each style's loss by place; a network has no loss.",
        "region_style_mask": "--region-style-mask chooses where a region's style "
        "loss learns from; a network has no loss.",
        "save_every": "--save-every animates the optimisation's steps; a network "
        "paints in one pass.",
        "weights": "--weights are VGG19's, which the optimisation uses; a network "
        "has its own.",
    }
    for name, reason in refused.items():
        if getattr(args, name, None):
            raise UsageError(f"{reason} Leave it out with --network.")


def network_config(args: argparse.Namespace) -> StyleTransferConfig:
    """The tutorial's settings with ``--max-dim`` where given: all a network uses.

    Raises:
        UsageError: a ``--max-dim`` the config refuses.
    """
    max_dim = getattr(args, "max_dim", None)
    values = {} if max_dim is None else {"max_dim": max_dim}
    return config_from_fields(StyleTransferConfig, values)


def load_model(args: argparse.Namespace) -> FastStylizer | None:
    """The ``--network``, loaded once its options are checked (None: none given).

    Raises:
        UsageError: ``--strength`` without a network, an option the network
            cannot honour, or no network at the path.
    """
    if args.network is None:
        if args.strength is not None:
            raise UsageError(
                "--strength blends a network's style with the photo; give --network "
                "too (the optimisation weighs style with --style-weight)."
            )
        return None
    refuse_for_network(args)
    try:
        # The range first: a strength no model takes is refused in one line,
        # before loading says anything (a SavedModel's trust warning).
        check_strength(strength(args), supported=True, source=str(args.network))
        model = load_network(args.network)
        check_strength(
            strength(args), supported=model.supports_strength, source=model.source
        )
    except (FastModelError, ValueError) as error:
        raise UsageError(str(error)) from None
    return model


def strength(args: argparse.Namespace) -> float:
    return 1.0 if args.strength is None else args.strength


def run_network_image(args: argparse.Namespace) -> int:
    """One photo through the network: checked, painted, written; the status.

    Raises:
        UsageError, ImageError: refused before the network runs.
        OutputError: the image could not be written.
    """
    check_path_arguments(args)
    refuse_for_network(args)
    config = network_config(args)
    content = input_image(args.content, "content")
    styles = args.style or [input_image(None, "style")]
    if len(styles) != 1:
        raise UsageError(f"a network paints in one style; {len(styles)} were given.")
    output = args.output or Path("outputs") / f"{content.stem}_{styles[0].stem}.png"
    if output.suffix.lower() not in SAVE_FORMATS:
        raise UsageError(f"{output}: output must end in {', '.join(SAVE_FORMATS)}.")
    check_bit_depth(output, args.bit_depth)
    check_outputs([output], [content, *styles])
    images = [load_image(path, config.max_dim) for path in (content, styles[0])]
    model = load_model(args)
    print(f"Device: {describe_device()}")
    print(f"Network: {model.source}")
    started = time.perf_counter()
    image = fast_stylize(*images, model=model, strength=strength(args))
    seconds = time.perf_counter() - started
    with interrupts_held(), protecting(ReadSet([content, *styles])):
        try:
            save_image(
                image,
                output,
                bit_depth=args.bit_depth,
                icc_profile=rgb_icc_profile(content),
            )
        except (OSError, OverwriteError) as error:
            why = getattr(error, "strerror", None) or error
            raise OutputError(f"could not write the image {output} ({why}).") from None
    print(f"Done: one forward pass in {seconds:.2f} s.")
    print(f"    image: {output}")
    return 0


__all__ = ["load_model", "refuse_for_network", "run_network_image"]
