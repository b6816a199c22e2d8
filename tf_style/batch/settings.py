"""What a folder or video run was asked to do, and what its manifest records of it.

The manifest's ``settings`` decide which outputs are still good on a rerun: a change
redoes them (:class:`~tf_style.batch.manifest.Manifest`). The optimisation records
its whole config; a network (:class:`~tf_style.fast.FastStylizer`) records which
network it is (where it was loaded from and the SHA-256 of its files, where known),
the size the photos are read at and the strength. A folder holds one model's
results: a rerun with another model (or with the optimisation after a network) is
refused rather than replacing them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tf_style.batch.manifest import file_sha256
from tf_style.batch.regions import as_region_files
from tf_style.batch.results import RunRefused
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import ManyImagesConfig, VideoConfig
from tf_style.fast.base import FastStylizer
from tf_style.regions import Region, region_record
from tf_style.vgg.model import StyleContentModel


@dataclass(frozen=True)
class Request:
    """A folder or video run as asked for, before any check.

    Attributes:
        inputs: a folder or a glob of photos; for a video, a video file or a folder
            of numbered frames.
        styles: the style images (none: the regions' styles alone).
        config: the optimisation's settings (a network takes ``max_dim`` only).
        output: the output folder.
        many: how many photos are grouped and shared out.
        video: how frames depend on each other (None: a folder run).
        model: a network that paints each image in one pass (None: optimise).
        weights: VGG19's weights file (None: the usual sources).
        strength: a network's style strength in [0, 1].
        extractor: a ready VGG19 extractor to reuse (None: built).
        regions: styles each in its own region, their files as paths
            (:mod:`tf_style.batch.regions`).
    """

    inputs: Path | str
    styles: list[Path]
    config: StyleTransferConfig
    output: Path
    many: ManyImagesConfig
    video: VideoConfig | None = None
    model: FastStylizer | None = None
    weights: Path | None = None
    strength: float = 1.0
    extractor: StyleContentModel | None = None
    regions: tuple[Region, ...] = ()

    @property
    def steps(self) -> int:
        """Steps an image has when done: one forward pass for a network."""
        return 1 if self.model is not None else self.config.total_steps


def make_request(
    inputs: str | os.PathLike,
    style: str | os.PathLike | Sequence[str | os.PathLike] | None,
    config: StyleTransferConfig | None,
    **options,
) -> Request:
    """A :class:`Request` from a library call's arguments: paths as ``Path``, the
    defaults where None was given.

    Raises:
        TypeError: ``style`` is neither a path nor a list of them (None only with
            regions), a region names an array, or a setting is not its config's
            type.
    """
    regions = as_region_files(options.pop("regions", ()))
    if style is None or isinstance(style, (str, os.PathLike)):
        styles = [] if style is None else [style]
    else:
        styles = list(style)
    named = all(isinstance(s, (str, os.PathLike)) for s in styles)
    if not (styles or regions) or not named:
        raise TypeError(
            f"style: expected a path or a list of paths (or None with regions), got "
            f"{style!r}; a folder or video run reads its styles from files so the "
            "manifest can name them."
        )
    kinds = {"many": ManyImagesConfig, "video": VideoConfig}
    for name, value in [("config", config), *((n, options.get(n)) for n in kinds)]:
        kind = kinds.get(name, StyleTransferConfig)
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{name}: expected a {kind.__name__}, got {value!r}.")
    weights = options.pop("weights", None)
    inputs = inputs if isinstance(inputs, str) else Path(inputs)
    return Request(
        inputs=inputs,
        styles=[Path(s) for s in styles],
        config=config or StyleTransferConfig(),
        output=Path(options.pop("output")),
        many=options.pop("many", None) or ManyImagesConfig(),
        weights=None if weights is None else Path(weights),
        regions=regions,
        **options,
    )


def run_settings(
    request: Request, config: StyleTransferConfig, contents: dict[str, str]
) -> dict:
    """What the manifest records as the settings the outputs depend on.

    Args:
        request: the run.
        config: its settings as run.
        contents: the SHA-256 of each style (and ``--init``) by path.
    """
    settings: dict = {}
    if request.model is None:
        settings["config"] = dataclasses.asdict(config)
    else:
        settings["network"] = network_identity(request.model)
        settings["max_dim"] = config.max_dim
        settings["strength"] = request.strength
    settings["style"] = [str(style) for style in request.styles]
    if request.regions:  # absent otherwise: earlier runs' records stay current
        settings["regions"] = region_record(request.regions)
    settings["inputs_sha256"] = contents
    settings["sizing"] = request.many.sizing
    if request.video is not None:
        settings["temporal"] = request.video.record()
    return settings


def sha256_of(reads: list[Path], weights: Path | None) -> dict[str, str]:
    """The contents of the styles, the regions' files and ``--init``, not only
    their names: a style replaced under the same name must redo every output."""
    return {str(path): file_sha256(path) for path in reads if path != weights}


def network_identity(model: FastStylizer) -> dict:
    """Which network paints: its description, and where it was loaded from and
    the SHA-256 of its files where :func:`tf_style.fast.load_network` noted them."""
    return {"source": model.source, **getattr(model, "identity", {})}


def describe_model(settings: dict) -> str:
    network = settings.get("network")
    if isinstance(network, dict):
        where = network.get("location") or network.get("source")
        return f"the network {where}"
    return "the optimisation (VGG19)"


def check_same_model(output: Path, recorded: dict, current: dict) -> None:
    """One model's results per output folder: another model's would be mixed in,
    and a rerun would replace the first one's.

    Args:
        recorded: the settings in the folder's manifest (empty: none there).
        current: this run's.

    Raises:
        RunRefused: the folder holds another model's results.
    """
    if not recorded or recorded.get("network") == current.get("network"):
        return
    raise RunRefused(
        f"{output}: holds the results of {describe_model(recorded)}; this run uses "
        f"{describe_model(current)}. Choose another --output."
    )


__all__ = [
    "Request",
    "check_same_model",
    "make_request",
    "network_identity",
    "run_settings",
    "sha256_of",
]
