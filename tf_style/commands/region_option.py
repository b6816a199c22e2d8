"""``--region MASK STYLE [WEIGHT]`` and ``--region-style-mask N MASK``: several
styles, each in its own region (:mod:`tf_style.regions`), from the command line.

The values are checked as they are parsed (two or three of them, a weight above 0),
so a mistyped option is one line before TensorFlow loads; nothing here imports it
at module level. Once the options are read they become :class:`tf_style.Region`\\ s,
every file of which is an input the run protects; one photo's masks are then read
and checked like images (unreadable, black all over, not the photo's shape) before
any model is built. A folder or video run hands them to the library
(:mod:`tf_style.batch.regions`), which checks them against every photo.
"""

from __future__ import annotations

import argparse
import math
import typing
from pathlib import Path
from typing import NamedTuple

from tf_style.commands.cli import UsageError
from tf_style.paths.identity import PathError, check_name_lengths

if typing.TYPE_CHECKING:
    import tensorflow as tf

    from tf_style.regions import Region

REGION_VALUES = "MASK STYLE [WEIGHT]"


class RegionOption(NamedTuple):
    """One ``--region`` as given: the mask, the painting and the weight."""

    mask: Path
    style: Path
    weight: float


class RegionAction(argparse.Action):
    """``--region MASK STYLE [WEIGHT]``, repeatable: two or three values, the
    weight a number above 0; each use appends a :class:`RegionOption`."""

    values_shown = REGION_VALUES  # what the help says it takes (see HelpFormatter)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if len(values) not in (2, 3):
            raise argparse.ArgumentError(
                self,
                f"expected {REGION_VALUES}, got {len(values)} values "
                f"({' '.join(values)}); give --region once per region.",
            )
        weight = region_weight(values[2]) if len(values) == 3 else 1.0
        if weight is None:
            raise argparse.ArgumentError(
                self, f"weight {values[2]!r} for {values[0]} is not a number above 0."
            )
        option = RegionOption(Path(values[0]), Path(values[1]), weight)
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), option])


def region_weight(text: str) -> float | None:
    """A weight as typed, or None where it is not a finite number above 0."""
    try:
        weight = float(text)
    except ValueError:
        return None
    return weight if math.isfinite(weight) and weight > 0 else None


def region_number(text: str) -> int:
    """``--region-style-mask``'s N: a region counted from 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"region number {text!r}: count the --region options from 1."
        )
    return int(text)


class StyleMaskAction(argparse.Action):
    """``--region-style-mask N MASK``, repeatable: appends ``(N, Path(MASK))``."""

    values_shown = "N MASK"

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        try:
            chosen = (region_number(values[0]), Path(values[1]))
        except argparse.ArgumentTypeError as error:
            raise argparse.ArgumentError(self, str(error)) from None
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), chosen])


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, but an option that says its own values shows them as it
    takes them (``--region MASK STYLE [WEIGHT]``, not ``--region X [X ...]``)."""

    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        shown = getattr(action, "values_shown", None)
        return shown or super()._format_args(action, default_metavar)


def add_region_arguments(group) -> None:
    """The two options, in the command's files group."""
    group.add_argument(
        "--region",
        action=RegionAction,
        nargs="+",
        default=None,
        metavar=REGION_VALUES,
        help="paint STYLE where MASK is white (grey blends, black not there), its "
        "style loss times WEIGHT (default 1); repeat for each region. Without "
        "--style, what no mask covers keeps the photo; with it, --style paints "
        "there. With --frames, MASK may be a folder of masks, one per frame in "
        "numbered order (Gatys et al. 2017's spatial control)",
    )
    group.add_argument(
        "--region-style-mask",
        action=StyleMaskAction,
        nargs=2,
        default=None,
        metavar=("N", "MASK"),
        help="learn region N's style only from where MASK is white in its painting "
        "(N counts the --region options from 1)",
    )


def regions_from_args(args: argparse.Namespace) -> list[Region]:
    """The ``--region`` options as :class:`tf_style.Region`\\ s, with their style
    masks; every path's names checked.

    Raises:
        UsageError: a ``--region-style-mask`` naming no ``--region`` or one
            already given a style mask, or a name too long for the file system.
    """
    from tf_style.regions import Region

    given = getattr(args, "region", None) or []
    chosen: dict[int, Path] = {}
    for number, mask in getattr(args, "region_style_mask", None) or []:
        if number > len(given):
            raise UsageError(
                f"--region-style-mask {number} {mask}: there is no --region {number} "
                f"({len(given)} given); N counts the --region options from 1."
            )
        if number in chosen:
            raise UsageError(
                f"--region-style-mask {number} is given twice; give one style mask "
                "per region."
            )
        chosen[number] = mask
    regions = [
        Region(option.mask, option.style, option.weight, chosen.get(number))
        for number, option in enumerate(given, start=1)
    ]
    for path in region_files(regions):
        try:
            check_name_lengths(path)
        except PathError as error:
            raise UsageError(str(error)) from None
    return regions


def region_files(regions: list[Region]) -> list[Path]:
    """Every file the regions name: inputs, which no output may replace."""
    named = [(r.mask, r.style, r.style_mask) for r in regions]
    return [Path(path) for paths in named for path in paths if path is not None]


def load_regions(
    regions: list[Region], content: tf.Tensor, max_dim: int | None
) -> list[Region]:
    """One photo's regions read and checked: masks like images (readable, in
    [0, 1], not black all over, the photo's shape), paintings at ``max_dim``, each
    style mask the shape of its painting. Returned with tensors, as
    :func:`tf_style.stylize` takes them.

    Raises:
        UsageError: a region refused (the library's reason).
        ImageError: a file that cannot be read.
    """
    from tf_style.images.tensors import ImageError
    from tf_style.regions import as_style_region, check_mask_fits, loaded_region

    loaded = []
    for number, region in enumerate(regions, start=1):
        try:
            checked = as_style_region(region, max_dim, number)
            check_mask_fits(checked.mask, content.shape[1:3], f"region {number}'s mask")
        except ImageError:
            raise
        except ValueError as error:
            raise UsageError(str(error)) from None
        loaded.append(loaded_region(checked))
    return loaded


__all__ = [
    "HelpFormatter",
    "RegionOption",
    "add_region_arguments",
    "load_regions",
    "region_files",
    "regions_from_args",
]
