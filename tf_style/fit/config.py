"""FitConfig: what a network's training is, in one frozen dataclass.

The loss weights are the tutorial's (:data:`tf_style.config.TUTORIAL`), so a network
minimises the very loss its results are measured by and compared with optimisation.
The rest follows Johnson et al. (Adam at 1e-3, batches of 4, 256-px crops) and Huang
and Belongie (1e-4 for the AdaIN decoder), scaled down where a CPU has to do it.
"""

from __future__ import annotations

import dataclasses
import math

from tf_style.config import TUTORIAL, option
from tf_style.config.choices import MAX_SEED
from tf_style.config.layer_names import STYLE_LAYERS
from tf_style.fit.networks import ARCHITECTURES

# Colour controls a network can honour: the Johnson network is trained on the
# luminance and paints the photo's own colours back (Gatys et al. 2016,
# "Preserving Color in Neural Artistic Style Transfer"). AdaIN mixes any style's
# statistics in; what it would keep is the style's business, so it takes none.
FIT_PRESERVE_COLOR = {"johnson": ("none", "luminance"), "adain": ("none",)}
LEARNING_RATES = {"johnson": 1e-3, "adain": 1e-4}
# The networks' widths: Johnson's first convolution (32 in the paper; 16 runs a
# 256-px image in under 100 ms on a 2-core CPU), AdaIN's narrowest decoder layer.
WIDTHS = {"johnson": 16, "adain": 64}
# VGG19's compute precision in the loss (the network being trained stays float32).
# float16 would need loss scaling, which the optimisation has and training has not.
FIT_PRECISIONS = ("float32", "bfloat16", "auto")
# Settings a resumed run must share with the checkpoint it continues.
FIXED_ON_RESUME = (
    "architecture",
    "batch_size",
    "image_size",
    "width",
    "style_weight",
    "content_weight",
    "total_variation_weight",
    "style_layer_weights",
    "style_scale",
    "preserve_color",
    "seed",
    "held_out",  # which photos train: the checkpointed data iterator's file list
)


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """One training run's settings (``python -m tf_style.fit --help`` lists them).

    Attributes:
        architecture: ``johnson`` (one style) or ``adain`` (any style).
        steps: optimiser steps in all (a resumed run goes on to this many).
        batch_size: images per step, over all devices.
        image_size: the side of the square training crops.
        learning_rate: Adam's; 0 takes the architecture's (:data:`LEARNING_RATES`).
        width: the Johnson network's first convolution's filters (32 in the paper),
            or the AdaIN decoder's narrowest layer's (64); 0 takes
            :data:`WIDTHS`.
        style_weight, content_weight, total_variation_weight: the tutorial's loss.
        style_layer_weights: one per style layer; the tutorial's mean when empty.
        style_scale: the style image's long side, as a multiple of ``image_size``.
        preserve_color: ``none`` or ``luminance`` (Johnson only).
        mixed_precision: VGG19's precision in the loss: ``float32``, ``bfloat16``,
            or ``auto`` (bfloat16 where the device computes it fast, as for
            :func:`tf_style.stylize`).
        seed: crops, flips and the network's initial weights.
        held_out: photos kept back from training for previews and evaluation.
        checkpoint_every, preview_every, log_every: in steps.
    """

    architecture: str = option(
        "johnson",
        "johnson: one network per style (Johnson et al. 2016); adain: any style, "
        "--style is then a folder or glob (Huang and Belongie 2017)",
        choices=ARCHITECTURES,
        aliases=("arch",),
    )
    steps: int = option(
        2000, "optimiser steps in all; a resumed run goes on to this many"
    )
    batch_size: int = option(4, "images per step, over all devices")
    image_size: int = option(256, "side of the square training crops, px")
    learning_rate: float = option(
        0.0, "Adam's learning rate (0: 1e-3 johnson, 1e-4 adain)"
    )
    width: int = option(
        0,
        "johnson: filters of the first convolution (32 in the paper; 16 runs a "
        "256-px image in under 100 ms on a 2-core CPU); adain: the decoder's "
        "narrowest layer (64 in the paper); 0: 16 johnson, 64 adain",
    )
    style_weight: float = option(TUTORIAL.style_weight, "the tutorial's style weight")
    content_weight: float = option(
        TUTORIAL.content_weight, "the tutorial's content weight"
    )
    total_variation_weight: float = option(
        TUTORIAL.total_variation_weight,
        "the tutorial's total-variation weight",
        aliases=("tv-weight",),
    )
    style_layer_weights: tuple[float, ...] = option(
        (), "one weight per style layer, normalised (default: equal)"
    )
    style_scale: float = option(
        1.0, "the style image's long side as a multiple of --image-size"
    )
    preserve_color: str = option(
        "none",
        "johnson: 'luminance' trains on the luminance and keeps each photo's colours",
        choices=FIT_PRESERVE_COLOR["johnson"],
    )
    mixed_precision: str = option(
        "float32",
        "VGG19's precision in the loss; auto: bfloat16 where the device computes "
        "it fast",
        choices=FIT_PRECISIONS,
    )
    seed: int = option(0, "seed of the crops, flips and initial weights")
    held_out: int = option(
        2, "photos kept back from training for previews and the held-out loss"
    )
    checkpoint_every: int = option(100, "steps between checkpoints")
    preview_every: int = option(
        200, "steps between preview images (previews/, TensorBoard)"
    )
    log_every: int = option(10, "steps between logged losses (fit.json, TensorBoard)")

    def __post_init__(self) -> None:
        check_fit_config(self)

    @property
    def adam_learning_rate(self) -> float:
        return self.learning_rate or LEARNING_RATES[self.architecture]

    @property
    def network_width(self) -> int:
        return self.width or WIDTHS[self.architecture]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, values: dict, *, strict: bool = False) -> FitConfig:
        """The config of :meth:`to_json`'s ``values``.

        Args:
            values: the fields by name; unknown names are left out.
            strict: every field must be there, each of its type (a record read
                back, not a hand-written dict).

        Raises:
            TypeError: a field missing or of another type (``strict``).
            ValueError: a setting :func:`check_fit_config` refuses.
        """
        if strict:
            check_field_types(values)
        known = {field.name for field in dataclasses.fields(cls)}
        values = {k: v for k, v in values.items() if k in known}
        if "style_layer_weights" in values:
            values["style_layer_weights"] = tuple(values["style_layer_weights"])
        return cls(**values)


def check_field_types(values: dict) -> None:
    """Every FitConfig field is in ``values``, of its type (an int for a float
    field too: JSON writes 1.0 as 1 in other tools).

    Raises:
        TypeError: naming the first field missing or of another type.
    """
    for field in dataclasses.fields(FitConfig):
        if field.name not in values:
            raise TypeError(f"no {field.name!r} setting.")
        value, default = values[field.name], field.default
        if isinstance(default, tuple):
            ok = isinstance(value, (list, tuple)) and all(map(_is_number, value))
        elif isinstance(default, float):
            ok = _is_number(value)
        else:
            ok = isinstance(value, type(default)) and not isinstance(value, bool)
        if not ok:
            raise TypeError(
                f"{field.name} is {value!r}, not a {type(default).__name__}."
            )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_fit_config(config: FitConfig) -> None:
    """One clear ValueError for the first setting that cannot work."""
    if config.architecture not in ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {', '.join(ARCHITECTURES)}, "
            f"got {config.architecture!r}."
        )
    allowed = FIT_PRESERVE_COLOR[config.architecture]
    if config.preserve_color not in allowed:
        raise ValueError(
            f"preserve_color {config.preserve_color!r} is not for the "
            f"{config.architecture} network (it takes {', '.join(allowed)}): "
            + (
                "an arbitrary-style network takes its colours from each style."
                if config.architecture == "adain"
                else "a network trained for one style cannot match each photo's "
                "histogram; 'luminance' keeps the photo's colours."
            )
        )
    positive = (
        "steps",
        "batch_size",
        "checkpoint_every",
        "preview_every",
        "log_every",
    )
    for name in positive:
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be at least 1, got {getattr(config, name)}.")
    if config.image_size < 32:
        raise ValueError(f"image_size must be at least 32 px, got {config.image_size}.")
    if not 0 <= config.seed <= MAX_SEED:
        raise ValueError(
            f"seed must be between 0 and {MAX_SEED} (2**32 - 1), got {config.seed}."
        )
    if config.held_out < 0:
        raise ValueError(f"held_out must be >= 0, got {config.held_out}.")
    if config.mixed_precision not in FIT_PRECISIONS:
        raise ValueError(
            f"mixed_precision must be one of {', '.join(FIT_PRECISIONS)}, got "
            f"{config.mixed_precision!r} (float16 needs loss scaling, which "
            "training does not do)."
        )
    if config.width < 0:
        raise ValueError(f"width must be >= 0 (0: the default), got {config.width}.")
    # nan passes every comparison and inf most: both only show later as a NaN loss.
    for name in (
        "learning_rate",
        "style_weight",
        "content_weight",
        "total_variation_weight",
        "style_scale",
    ):
        value = getattr(config, name)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value}.")
    if config.style_scale == 0:
        raise ValueError("style_scale must be above 0, got 0.")
    weights = config.style_layer_weights
    if weights and len(weights) != len(STYLE_LAYERS):
        raise ValueError(
            f"style_layer_weights gives {len(weights)} weights for the "
            f"{len(STYLE_LAYERS)} style layers ({', '.join(STYLE_LAYERS)}): give one "
            "per layer, or none for equal weights."
        )
    if weights and not (
        all(math.isfinite(w) and w >= 0 for w in weights) and sum(weights) > 0
    ):
        raise ValueError(
            "style_layer_weights must be finite, >= 0 and sum above 0, got "
            f"{' '.join(str(w) for w in weights)}."
        )


def resume_conflicts(saved: FitConfig, requested: FitConfig) -> list[str]:
    """The settings in which ``requested`` differs from the run it would resume
    (a width of 0 and the architecture's default width are the same network)."""
    return [
        f"{name}: {_fixed(saved, name)!r} in the checkpoint, "
        f"{_fixed(requested, name)!r} now"
        for name in FIXED_ON_RESUME
        if _fixed(saved, name) != _fixed(requested, name)
    ]


def _fixed(config: FitConfig, name: str) -> object:
    return config.network_width if name == "width" else getattr(config, name)


__all__ = [
    "FIT_PRECISIONS",
    "WIDTHS",
    "FIT_PRESERVE_COLOR",
    "FIXED_ON_RESUME",
    "LEARNING_RATES",
    "FitConfig",
    "check_field_types",
    "check_fit_config",
    "resume_conflicts",
]
