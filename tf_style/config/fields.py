"""StyleTransferConfig: the tutorial's defaults in one frozen dataclass.

Every default lives here once. The command line builds its options from these fields
(their ``metadata["help"]`` is the one-line ``--help`` text), notebooks and tests make
variants with :func:`dataclasses.replace`, and every run records ``asdict(config)``.
The numbers are those of the TensorFlow tutorial "Neural style transfer", so results can
be compared with it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from tf_style.config.choices import (  # the choices and limits, named once
    COARSE_STARTS,
    INITS,
    LBFGS_BACKENDS,
    LOSS_NORMALIZATION,
    MAX_SEED,
    MAX_STYLE_SCALE,
    MIN_IMAGE_SIDE,
    MIN_NETWORK_SIDE,
    OPTIMIZERS,
    POOLING,
    PRECISIONS,
    PRECONDITIONERS,
    PRESERVE_COLOR,
    TILING,
    UPSAMPLING,
)
from tf_style.config.layer_names import CONTENT_LAYERS, STYLE_LAYERS
from tf_style.config.ranges import RANGE_KEYS
from tf_style.config.validation import validate_config

# What a field's metadata may say besides its help: the command line's choices,
# metavar and aliases, the label its checks name it by, and its range
# (tf_style.config.ranges: at_least, above, at_most, below).
OPTION_METADATA = frozenset({"aliases", "choices", "label", "metavar", *RANGE_KEYS})


def option(default: Any, help: str, **metadata: Any) -> Any:
    """A dataclass field whose help text (and ``choices``, ``metavar`` or
    ``aliases``, where it has them) the command line shows
    (:func:`tf_style.commands.cli.add_field_options`); for this module's config,
    :func:`tf_style.config.validation.validate_config` checks the choices too, and
    the range (``at_least``, ``above``, ``at_most``, ``below``), which the studio's
    controls take as their limits (:mod:`tf_style.config.ranges`).

    Every command names the option after the field (``--total-variation-weight``);
    ``aliases`` are other spellings that set it too (``("tv-weight",)``).

    Raises:
        TypeError: metadata the command line would not read (a misspelt key would
            otherwise be ignored without a word).
    """
    unknown = sorted(set(metadata) - OPTION_METADATA)
    if unknown:
        raise TypeError(
            f"option() takes {', '.join(sorted(OPTION_METADATA))} besides the help, "
            f"not {', '.join(unknown)} (an option is named after its field; other "
            "spellings are aliases)."
        )
    return field(default=default, metadata={"help": help, **metadata})


@dataclass(frozen=True)
class StyleTransferConfig:
    """Settings of one style-transfer run; defaults are the tutorial's.

    Example:
        >>> config = StyleTransferConfig()
        >>> quick = dataclasses.replace(config, max_dim=128, epochs=1)
    """

    max_dim: int = option(
        512, "longest side of the images, in pixels", at_least=MIN_IMAGE_SIDE
    )
    epochs: int = option(10, "number of epochs (the tutorial's outer loop)", at_least=1)
    steps_per_epoch: int = option(100, "optimisation steps per epoch", at_least=1)
    style_weight: float = option(1e-2, "weight of the style loss", at_least=0)
    content_weight: float = option(1e4, "weight of the content loss", at_least=0)
    total_variation_weight: float = option(
        30.0,
        "weight of the total-variation regulariser (a sum over pixels, so its "
        "effect grows with the image size)",
        aliases=("tv-weight",),
        at_least=0,
    )
    learning_rate: float = option(0.02, "Adam learning rate", above=0)
    beta_1: float = option(0.99, "Adam beta_1", at_least=0, below=1)
    epsilon: float = option(0.1, "Adam epsilon", above=0)
    style_layers: tuple[str, ...] = option(
        STYLE_LAYERS, "VGG19 layers whose Gram matrices describe style"
    )
    content_layers: tuple[str, ...] = option(
        CONTENT_LAYERS, "VGG19 layers whose features describe content"
    )
    optimizer: str = option(
        "adam",
        "optimiser: adam (the tutorial's) or lbfgs",
        choices=OPTIMIZERS,
    )
    scales: tuple[float, ...] = option(
        (1.0,), "coarse-to-fine sizes as fractions of max-dim, ending at 1"
    )
    scale_steps: tuple[int, ...] = option(
        (),
        "steps at each scale, coarse to fine (default: epochs x steps-per-epoch "
        "split evenly over the scales)",
    )
    mixed_precision: str = option(
        "float32",
        "compute precision of VGG19: float32, bfloat16, float16, or auto (bfloat16 "
        "where this device runs it at least 1.25x faster, as on AMX CPUs, recent "
        "GPUs and some AVX512_BF16 CPUs; else float32)",
        choices=PRECISIONS,
        label="precision",
    )
    jit: bool = option(False, "compile the step with XLA")
    memory_limit: str = option(
        "auto",
        "memory the run may use, e.g. 6G (auto: the free memory of the device, the "
        "GPU's on a GPU); a larger image is evaluated tile by tile. At least about "
        "1.4G at --max-dim 512 (TensorFlow and VGG19 alone take 1.25G); more for "
        "larger images and L-BFGS",
        metavar="SIZE",
    )
    tiling: str = option(
        "auto",
        "evaluate VGG19 tile by tile, with the exact gradient: auto (when the whole "
        "image would not fit in --memory-limit), on or off",
        choices=TILING,
    )
    seed: int | None = option(
        None, "random seed (for reproducible runs)", at_least=0, at_most=MAX_SEED
    )
    # --- speed (defaults: scipy's L-BFGS-B, plain upsampling) ---
    lbfgs_backend: str = option(
        "scipy",
        "L-BFGS implementation: scipy (L-BFGS-B, on the host) or tensorflow "
        "(projected L-BFGS on the device; takes a preconditioner)",
        choices=LBFGS_BACKENDS,
    )
    lbfgs_history: int = option(
        10,
        "L-BFGS correction pairs kept (scipy's maxcor, torch's history_size)",
        at_least=1,
    )
    preconditioner: str = option(
        "none",
        "L-BFGS's starting curvature (tensorflow backend): none (the identity), "
        "fourier (a gain falling with frequency) or fourier-color (and ImageNet's "
        "colour correlation)",
        choices=PRECONDITIONERS,
    )
    precondition_decay: float = option(
        1.0,
        "power law of the fourier preconditioner's gain, 1/f^X",
        at_least=0,
        at_most=2,
    )
    precondition_local: float = option(
        0.0,
        "local scaling of L-BFGS's starting curvature (tensorflow backend): pixels "
        "where the gradient is large move less, by (|gradient| blurred)^-X; 0 is off",
        at_least=0,
        at_most=2,
    )
    coarse_start: str = option(
        "upsample",
        "how a coarse result starts the next scale: upsample (the image) or "
        "correction (the content at the new size plus the upsampled change)",
        choices=COARSE_STARTS,
    )
    upsampling: str = option(
        "bilinear",
        "interpolation between scales: bilinear or bicubic",
        choices=UPSAMPLING,
    )
    min_decrease: float = option(
        0.0,
        "stop at full size once the loss falls by less than this fraction of itself "
        "per step, over the last 10 steps; the schedule's steps stay the most "
        "(0: run them all)",
        at_least=0,
        below=1,
    )
    # --- artistic controls (defaults leave the tutorial's result unchanged) ---
    preserve_color: str = option(
        "none",
        "keep the content's colours: none, luminance (stylise the luminance only) "
        "or histogram (give the style the content's colour statistics first)",
        choices=PRESERVE_COLOR,
    )
    style_blend: tuple[float, ...] = option(
        (),
        "weight of each style image when several are given (normalised; default: "
        "equal)",
    )
    init: str = option(
        "content",
        "starting image: content, noise, style, content-recolored (the content with "
        "the style's colour mean and covariance; the fast preset's start) or an "
        "image file (an earlier output, to continue)",
        metavar="{content,noise,style,content-recolored,PATH}",
    )
    init_noise_ratio: float = option(
        0.0,
        "share of noise blended into the starting image (1: pure noise)",
        at_least=0,
        at_most=1,
    )
    style_scale: float = option(
        1.0,
        "size of the style image relative to the content's longest side (larger: "
        "bigger brush strokes)",
        above=0,
        at_most=MAX_STYLE_SCALE,
    )
    style_layer_weights: tuple[float, ...] = option(
        (),
        "weight of each style layer, in style_layers order (normalised; "
        "default: equal, the tutorial's mean)",
    )
    loss_normalization: str = option(
        "tutorial",
        "style loss per layer: tutorial (mean squared Gram difference) or paper "
        "(Gatys et al.'s 1/(4 N^2 M^2) sum)",
        choices=LOSS_NORMALIZATION,
    )
    pooling: str = option(
        "max",
        "VGG19's pooling: max (Keras's weights) or avg (as Gatys et al.)",
        choices=POOLING,
    )

    def __post_init__(self) -> None:
        # NumPy numbers count as Python's (np.int64(48) is a max_dim, as in
        # load_image), and the run's record stays plain JSON. A bool stays a bool,
        # which no count or weight accepts.
        for name, value in list(vars(self).items()):
            object.__setattr__(self, name, plain(value))
        validate_config(self)

    @property
    def total_steps(self) -> int:
        """Steps of the whole schedule, over all scales.

        ``sum(scale_steps)`` where given, else ``epochs * steps_per_epoch``.
        """
        if self.scale_steps:
            return sum(self.scale_steps)
        return self.epochs * self.steps_per_epoch

    @property
    def steps_per_scale(self) -> tuple[int, ...]:
        """Steps at each of ``scales``, coarse to fine.

        ``scale_steps`` where given; otherwise ``epochs * steps_per_epoch`` split
        evenly, the remainder going to the finest scale. An even split is a plain
        default, not a tuned one: coarse steps cost a fraction of fine ones (a quarter
        at half the size), so a schedule such as ``scale_steps=(100, 50, 50)`` with
        ``scales=(0.25, 0.5, 1)`` puts the work where it is cheap.
        """
        if self.scale_steps:
            return tuple(self.scale_steps)
        share, remainder = divmod(self.total_steps, len(self.scales))
        return (share,) * (len(self.scales) - 1) + (share + remainder,)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples become lists)."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in dataclasses.asdict(self).items()
        }


def plain(value: Any) -> Any:
    """NumPy numbers as Python's, in a tuple too (``np.int64(48)`` is 48, an
    ``np.float32`` a float, an ``np.bool_`` a bool); anything else as it is."""
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    # NumPy's scalars, found without importing NumPy (the commands parse first).
    is_numpy = type(value).__module__ == "numpy" and hasattr(value, "item")
    return value.item() if is_numpy else value


TUTORIAL = StyleTransferConfig()

__all__ = [
    "COARSE_STARTS",
    "CONTENT_LAYERS",
    "INITS",
    "LBFGS_BACKENDS",
    "LOSS_NORMALIZATION",
    "MAX_SEED",
    "MAX_STYLE_SCALE",
    "MIN_IMAGE_SIDE",
    "MIN_NETWORK_SIDE",
    "OPTIMIZERS",
    "POOLING",
    "PRECISIONS",
    "PRECONDITIONERS",
    "PRESERVE_COLOR",
    "STYLE_LAYERS",
    "TUTORIAL",
    "UPSAMPLING",
    "StyleTransferConfig",
    "option",
    "validate_config",
]
