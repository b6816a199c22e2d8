"""What a folder or video run can honour: every setting is honoured or refused
with the reason, never ignored.

The optimisation honours every :class:`~tf_style.config.StyleTransferConfig`
setting in every mode (the one pipeline); a video's frames run one at a time and in
order, so :class:`~tf_style.config.ManyImagesConfig` has nothing to say there. A
network (:class:`~tf_style.fast.FastStylizer`) paints each image in one forward
pass: it has no loss to weight, no steps, no optimiser and no temporal term, so the
only setting it takes from the config is ``max_dim``. Nothing here touches the disk
or TensorFlow.
"""

from __future__ import annotations

import dataclasses

from tf_style.batch.results import RunRefused
from tf_style.config import StyleTransferConfig
from tf_style.config.modes import ManyImagesConfig, VideoConfig, changed_fields

# What a network takes from StyleTransferConfig: the size the photos are read at.
NETWORK_FIELDS = ("max_dim",)


def flag(name: str) -> str:
    """A setting by its command-line spelling (``temporal_weight`` is
    ``--temporal-weight``): how a refusal names it to both audiences."""
    return "--" + name.replace("_", "-")


def check_optimisation(
    config: StyleTransferConfig, styles: int, strength: float
) -> None:
    """The optimisation's own checks that need no file: one blend weight per
    style, and no network strength.

    Raises:
        RunRefused: saying what to change.
    """
    if config.style_blend and len(config.style_blend) != styles:
        raise RunRefused(
            f"--style-blend gives {len(config.style_blend)} weights for {styles} style "
            f"image{'s' if styles != 1 else ''}; give one weight per --style image."
        )
    if strength != 1.0:
        raise RunRefused(
            f"--strength {strength} blends a network's style with the photo; the "
            "optimisation weighs style with --style-weight. Give a network (model=, "
            "--network) or leave strength at 1."
        )


def check_strategy_fits(config: StyleTransferConfig, replicas: int) -> None:
    """A batch shared across replicas is one Adam batch, whole on each device.

    Raises:
        RunRefused: L-BFGS, or ``tiling="on"``, with a strategy.
    """
    if config.optimizer != "adam":
        raise RunRefused(
            f"--strategy shares an Adam batch across {replicas} replicas; L-BFGS "
            "optimises one image at a time. Use --optimizer adam or --strategy none."
        )
    if config.tiling == "on":
        raise RunRefused(
            f"--tiling on evaluates one image tile by tile on one device; --strategy "
            f"shares a batch across {replicas} replicas. Use --strategy none to tile, "
            "or --tiling off."
        )


def untiled(config: StyleTransferConfig) -> StyleTransferConfig:
    """The settings for a batch shared across replicas, which a tiled loss cannot
    be: ``tiling="auto"`` is decided as off (the same on every worker, whatever
    memory each measures)."""
    return dataclasses.replace(config, tiling="off")


def check_video_many(many: ManyImagesConfig) -> None:
    """A video's frames run one at a time, in order, on one device: each starts
    from the result before it.

    Raises:
        RunRefused: a :class:`ManyImagesConfig` setting other than its default.
    """
    changed = changed_fields(many)
    if changed:
        raise RunRefused(
            f"{flag(changed[0])} groups many photos; a video's frames are stylised "
            "one at a time, in order (each starts from the one before), so it cannot "
            "be honoured. Leave it out with --frames."
        )


def network_refusal(kind: type, name: str, value: object) -> str | None:
    """Why a network cannot honour setting ``name`` of ``kind`` (a config class)
    set to ``value``; None when it can. The command asks this of every option
    given, the library of every setting that differs from its default."""
    if kind is StyleTransferConfig and name not in NETWORK_FIELDS:
        return (
            f"{flag(name)} is an optimisation setting; a network paints each image "
            "in one forward pass and cannot honour it. Only --max-dim applies."
        )
    if kind is ManyImagesConfig and name == "batch_size":
        return (
            "--batch-size groups images into one optimisation; a network paints "
            "each photo in one pass. Leave --batch-size out with a network."
        )
    if kind is ManyImagesConfig and name == "strategy" and value not in NETWORK_ONE:
        return (
            f"--strategy {value} shares an optimisation across devices; a network "
            "runs on one. Leave --strategy out with a network."
        )
    if kind is VideoConfig and name == "temporal" and value != "independent":
        return (
            f"--temporal {value} makes each frame start from (and, with flow, be held "
            "to) the previous result by optimisation; a network paints each frame in "
            "one forward pass. Use --temporal independent "
            "(VideoConfig(temporal='independent'))."
        )
    if kind is VideoConfig and name in ("temporal_weight", "long_term"):
        return (
            f"{flag(name)} sets the flow mode's temporal term, an optimisation term; "
            "a network paints each frame in one forward pass."
        )
    return None


# The strategies a network honours: it runs on one device.
NETWORK_ONE = ("auto", "none")


def check_network_settings(
    config: StyleTransferConfig,
    many: ManyImagesConfig,
    video: VideoConfig | None,
    *,
    styles: int,
    weights: object,
    regions: int = 0,
) -> None:
    """What a network cannot honour is refused: every optimisation setting but
    ``max_dim``, batching and sharing it has no use for, the video's temporal
    term (:func:`network_refusal`), VGG19's weights, a blend of styles and styles
    each in its own region.

    Raises:
        RunRefused: naming the first such setting and why.
    """
    for settings in (config, many, video):
        if settings is None:
            continue
        for name in changed_fields(settings):
            reason = network_refusal(type(settings), name, getattr(settings, name))
            if reason:
                raise RunRefused(reason)
    if video is not None and video.temporal != "independent":  # the default, flow
        raise RunRefused(network_refusal(VideoConfig, "temporal", video.temporal))
    if weights is not None:
        raise RunRefused(
            "--weights are VGG19's, which the optimisation uses; a network has its "
            "own. Leave --weights out with a network."
        )
    if regions:
        raise RunRefused(
            "regions (--region) weigh each style's loss by place; a network has no "
            "loss. Leave them out with a network."
        )
    if styles != 1:
        raise RunRefused(
            f"a network paints in one style; {styles} style images were given. Give "
            "one, or blend them by optimisation (--style-blend) without a network."
        )


__all__ = [
    "NETWORK_FIELDS",
    "check_network_settings",
    "check_optimisation",
    "check_strategy_fits",
    "check_video_many",
    "flag",
    "network_refusal",
    "untiled",
]
