"""StyleTransferConfig: the tutorial's defaults in one frozen dataclass.

Every default lives here once. The command line builds its options from these fields
(their ``metadata["help"]`` is the one-line ``--help`` text), notebooks and tests make
variants with :func:`dataclasses.replace`, and every run records ``asdict(config)``.
The numbers are those of the TensorFlow tutorial "Neural style transfer", so results can
be compared with it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from tf_style.vgg.layers import (
    CONTENT_LAYERS,
    STYLE_LAYERS,
    validate_layers,
)

OPTIMIZERS: tuple[str, ...] = ("adam", "lbfgs")
LBFGS_BACKENDS: tuple[str, ...] = ("scipy", "tensorflow")
PRECONDITIONERS: tuple[str, ...] = ("none", "fourier", "fourier-color")
COARSE_STARTS: tuple[str, ...] = ("upsample", "correction")
UPSAMPLING: tuple[str, ...] = ("bilinear", "bicubic")
PRESERVE_COLOR: tuple[str, ...] = ("none", "luminance", "histogram")
INITS: tuple[str, ...] = ("content", "noise", "style", "content-recolored")  # or a path
LOSS_NORMALIZATION: tuple[str, ...] = ("tutorial", "paper")
POOLING: tuple[str, ...] = ("max", "avg")
MAX_STYLE_SCALE = 4.0
# The two smallest sizes, one rule each. A file under MIN_IMAGE_SIDE px is refused:
# too small a picture to stylise. Once resized (to max_dim, to a coarse scale), an
# image needs MIN_NETWORK_SIDE px: VGG19's block5 layers sit after four 2x poolings,
# so 16 px is the least that leaves them one location.
MIN_IMAGE_SIDE = 32
MIN_NETWORK_SIDE = 16
# The seed feeds NumPy's legacy generator, which takes unsigned 32-bit integers.
MAX_SEED = 2**32 - 1
PRECISIONS: tuple[str, ...] = ("float32", "bfloat16", "float16", "auto")


def _option(default: Any, help: str, **metadata: Any) -> Any:
    """A dataclass field whose help text the command line shows."""
    return field(default=default, metadata={"help": help, **metadata})


@dataclass(frozen=True)
class StyleTransferConfig:
    """Settings of one style-transfer run; defaults are the tutorial's.

    Example:
        >>> config = StyleTransferConfig()
        >>> quick = dataclasses.replace(config, max_dim=128, epochs=1)
    """

    max_dim: int = _option(512, "longest side of the images, in pixels")
    epochs: int = _option(10, "number of epochs (the tutorial's outer loop)")
    steps_per_epoch: int = _option(100, "optimisation steps per epoch")
    style_weight: float = _option(1e-2, "weight of the style loss")
    content_weight: float = _option(1e4, "weight of the content loss")
    total_variation_weight: float = _option(
        30.0,
        "weight of the total-variation regulariser (a sum over pixels, so its "
        "effect grows with the image size)",
        flag="tv-weight",
    )
    learning_rate: float = _option(0.02, "Adam learning rate")
    beta_1: float = _option(0.99, "Adam beta_1")
    epsilon: float = _option(0.1, "Adam epsilon")
    style_layers: tuple[str, ...] = _option(
        STYLE_LAYERS, "VGG19 layers whose Gram matrices describe style"
    )
    content_layers: tuple[str, ...] = _option(
        CONTENT_LAYERS, "VGG19 layers whose features describe content"
    )
    optimizer: str = _option("adam", "optimiser: adam (the tutorial's) or lbfgs")
    scales: tuple[float, ...] = _option(
        (1.0,), "coarse-to-fine sizes as fractions of max-dim, ending at 1"
    )
    scale_steps: tuple[int, ...] = _option(
        (),
        "steps at each scale, coarse to fine (default: epochs x steps-per-epoch "
        "split evenly over the scales)",
    )
    mixed_precision: str = _option(
        "float32",
        "compute precision of VGG19: float32, bfloat16, float16, or auto (bfloat16 "
        "where this device runs it much faster, as on AMX CPUs and recent GPUs; "
        "else float32)",
    )
    jit: bool = _option(False, "compile the step with XLA")
    seed: int | None = _option(None, "random seed (for reproducible runs)")
    # --- speed (defaults: scipy's L-BFGS-B and the plain upsampling, as before) ---
    lbfgs_backend: str = _option(
        "scipy",
        "L-BFGS implementation: scipy (L-BFGS-B, on the host) or tensorflow "
        "(projected L-BFGS on the device; takes a preconditioner)",
    )
    lbfgs_history: int = _option(
        10, "L-BFGS correction pairs kept (scipy's maxcor, torch's history_size)"
    )
    preconditioner: str = _option(
        "none",
        "L-BFGS's starting curvature (tensorflow backend): none (the identity), "
        "fourier (a gain falling with frequency) or fourier-color (and ImageNet's "
        "colour correlation)",
    )
    precondition_decay: float = _option(
        1.0, "power law of the fourier preconditioner's gain, 1/f^X"
    )
    precondition_local: float = _option(
        0.0,
        "local scaling of L-BFGS's starting curvature (tensorflow backend): pixels "
        "where the gradient is large move less, by (|gradient| blurred)^-X; 0 is off",
    )
    coarse_start: str = _option(
        "upsample",
        "how a coarse result starts the next scale: upsample (the image) or "
        "correction (the content at the new size plus the upsampled change)",
    )
    upsampling: str = _option(
        "bilinear", "interpolation between scales: bilinear or bicubic"
    )
    # --- artistic controls (defaults leave the tutorial's result unchanged) ---
    preserve_color: str = _option(
        "none",
        "keep the content's colours: none, luminance (stylise the luminance only) "
        "or histogram (give the style the content's colour statistics first)",
    )
    style_blend: tuple[float, ...] = _option(
        (),
        "weight of each style image when several are given (normalised; default: "
        "equal)",
    )
    init: str = _option(
        "content",
        "starting image: content, noise, style, content-recolored (the content with "
        "the style's colour mean and covariance; the fast preset's start) or an "
        "image file (an earlier output, to continue)",
        metavar="{content,noise,style,content-recolored,PATH}",
    )
    init_noise_ratio: float = _option(
        0.0, "share of noise blended into the starting image (1: pure noise)"
    )
    style_scale: float = _option(
        1.0,
        "size of the style image relative to the content's longest side (larger: "
        "bigger brush strokes)",
    )
    style_layer_weights: tuple[float, ...] = _option(
        (),
        "weight of each style layer, in style_layers order (normalised; "
        "default: equal, the tutorial's mean)",
    )
    loss_normalization: str = _option(
        "tutorial",
        "style loss per layer: tutorial (mean squared Gram difference) or paper "
        "(Gatys et al.'s 1/(4 N^2 M^2) sum)",
    )
    pooling: str = _option(
        "max", "VGG19's pooling: max (Keras's weights) or avg (as Gatys et al.)"
    )

    def __post_init__(self) -> None:
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


def validate_config(config: StyleTransferConfig) -> None:
    """Reject impossible settings early, saying what was passed and what would work.

    Raises:
        ValueError: a setting is out of range, not finite or names something unknown.
        TypeError: a setting of the wrong type (a string of layer names, a float seed).
    """
    validate_numbers(config)
    validate_layers(config.style_layers, kind="style")
    validate_layers(config.content_layers, kind="content")
    _require(
        config.optimizer in OPTIMIZERS,
        f"Unknown optimizer {config.optimizer!r}; "
        f"choose one of {', '.join(OPTIMIZERS)}.",
    )
    _require(
        len(config.scales) >= 1
        and all(0 < s <= 1 for s in config.scales)
        and list(config.scales) == sorted(config.scales)
        and config.scales[-1] == 1,
        f"scales must rise from a fraction above 0 to 1, e.g. 0.25 0.5 1; "
        f"got {' '.join(str(s) for s in config.scales)}.",
    )
    validate_scale_steps(config)
    _require(
        config.mixed_precision in PRECISIONS,
        f"Unknown precision {config.mixed_precision!r}; "
        f"choose one of {', '.join(PRECISIONS)}.",
    )
    validate_controls(config)
    validate_speed(config)


def validate_speed(config: StyleTransferConfig) -> None:
    """The L-BFGS and coarse-to-fine settings: known choices, sizes that work.

    Raises:
        ValueError: an unknown choice, a history under 1, or a preconditioner
            with scipy's L-BFGS-B (which cannot take one).
    """
    for name, choices in (
        ("lbfgs_backend", LBFGS_BACKENDS),
        ("preconditioner", PRECONDITIONERS),
        ("coarse_start", COARSE_STARTS),
        ("upsampling", UPSAMPLING),
    ):
        value = getattr(config, name)
        _require(
            value in choices,
            f"Unknown {name} {value!r}; choose one of {', '.join(choices)}.",
        )
    _require_int("lbfgs_history", config.lbfgs_history)
    _require(
        config.lbfgs_history >= 1,
        f"lbfgs_history must be at least 1, got {config.lbfgs_history}.",
    )
    _require(
        config.preconditioner == "none" or config.lbfgs_backend == "tensorflow",
        f"preconditioner {config.preconditioner!r} needs lbfgs_backend "
        f"'tensorflow' (scipy's L-BFGS-B takes no preconditioner).",
    )
    _require(
        0.0 <= config.precondition_decay <= 2.0,
        f"precondition_decay must be in [0, 2], got {config.precondition_decay}.",
    )
    _require(
        0.0 <= config.precondition_local <= 2.0,
        f"precondition_local must be in [0, 2], got {config.precondition_local}.",
    )
    _require(
        config.precondition_local == 0 or config.lbfgs_backend == "tensorflow",
        "precondition_local needs lbfgs_backend 'tensorflow' (scipy's L-BFGS-B "
        "takes no preconditioner).",
    )


def validate_controls(config: StyleTransferConfig) -> None:
    """The artistic controls: known choices, weights that can be normalised.

    Raises:
        ValueError: an unknown choice, a weight count that does not match, or
            weights that cannot be normalised.
    """
    for name, choices in (
        ("preserve_color", PRESERVE_COLOR),
        ("loss_normalization", LOSS_NORMALIZATION),
        ("pooling", POOLING),
    ):
        value = getattr(config, name)
        _require(
            value in choices,
            f"Unknown {name} {value!r}; choose one of {', '.join(choices)}.",
        )
    _require(
        isinstance(config.init, str) and config.init != "",
        f"init must be one of {', '.join(INITS)} or an image file, "
        f"got {config.init!r}.",
    )
    _require(
        0.0 <= config.init_noise_ratio <= 1.0,
        f"init_noise_ratio must be in [0, 1], got {config.init_noise_ratio}.",
    )
    _require(
        0.0 < config.style_scale <= MAX_STYLE_SCALE,
        f"style_scale must be above 0 and at most {MAX_STYLE_SCALE}, "
        f"got {config.style_scale}.",
    )
    for name in ("style_blend", "style_layer_weights"):
        _require_weights(name, getattr(config, name))
        # Normalised by their sum: a sum that overflows would zero every weight.
        _require(
            math.isfinite(sum(getattr(config, name))),
            f"{name} add up to more than a float can hold; give smaller weights "
            "(only their ratios matter).",
        )
    _require(
        not config.style_layer_weights
        or len(config.style_layer_weights) == len(config.style_layers),
        f"style_layer_weights needs one weight per style layer "
        f"({len(config.style_layers)}: {' '.join(config.style_layers)}); got "
        f"{len(config.style_layer_weights)}.",
    )


def _require_weights(name: str, weights: tuple[float, ...]) -> None:
    if not weights:
        return
    _require(
        all(
            isinstance(w, (int, float)) and math.isfinite(w) and w >= 0 for w in weights
        )
        and sum(weights) > 0,
        f"{name} must be finite weights of at least 0 that sum above 0, "
        f"got {' '.join(str(w) for w in weights)}.",
    )


def validate_numbers(config: StyleTransferConfig) -> None:
    """Counts at least 1, weights finite and >= 0, optimiser settings in range.

    ``inf`` and ``nan`` are refused everywhere: an infinite learning rate or weight
    is accepted by every comparison below and only fails, later, as a NaN image.
    """
    for name in ("max_dim", "epochs", "steps_per_epoch"):
        _require_int(name, getattr(config, name))
    _require(
        config.max_dim >= 32, f"max_dim must be at least 32, got {config.max_dim}."
    )
    _require(config.epochs >= 1, f"epochs must be at least 1, got {config.epochs}.")
    _require(
        config.steps_per_epoch >= 1,
        f"steps_per_epoch must be at least 1, got {config.steps_per_epoch}.",
    )
    for name in FLOAT_SETTINGS:
        value = getattr(config, name)
        _require(
            isinstance(value, (int, float)) and not isinstance(value, bool),
            f"{name} must be a number, got {value!r}.",
        )
        _require(math.isfinite(value), f"{name} must be finite, got {value}.")
    for name in ("style_weight", "content_weight", "total_variation_weight"):
        value = getattr(config, name)
        _require(value >= 0, f"{name} must be zero or positive, got {value}.")
    _require(
        config.learning_rate > 0,
        f"learning_rate must be positive, got {config.learning_rate}.",
    )
    _require(0 <= config.beta_1 < 1, f"beta_1 must be in [0, 1), got {config.beta_1}.")
    _require(config.epsilon > 0, f"epsilon must be positive, got {config.epsilon}.")
    if config.seed is not None:
        _require_int("seed", config.seed)
        _require(
            0 <= config.seed <= MAX_SEED,
            f"seed must be between 0 and {MAX_SEED} (2**32 - 1), got {config.seed}.",
        )


FLOAT_SETTINGS = (
    "style_weight",
    "content_weight",
    "total_variation_weight",
    "learning_rate",
    "beta_1",
    "epsilon",
    "init_noise_ratio",
    "style_scale",
    "precondition_decay",
    "precondition_local",
)


def validate_scale_steps(config: StyleTransferConfig) -> None:
    """Steps per scale: one positive count per scale, or enough steps to split.

    Raises:
        ValueError: a count per scale is missing, extra or below 1.
    """
    if config.scale_steps:
        _require(
            len(config.scale_steps) == len(config.scales)
            and all(steps >= 1 for steps in config.scale_steps),
            f"scale_steps needs one count of at least 1 per scale "
            f"({len(config.scales)} scales: "
            f"{' '.join(str(s) for s in config.scales)}); "
            f"got {' '.join(str(s) for s in config.scale_steps)}.",
        )
    else:
        _require(
            config.epochs * config.steps_per_epoch >= len(config.scales),
            f"{config.epochs * config.steps_per_epoch} steps cannot be split over "
            f"{len(config.scales)} scales; raise the steps or give scale_steps.",
        )


def _require_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {value!r}.")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


# The tutorial's settings, for building blocks whose keyword defaults must agree.
TUTORIAL = StyleTransferConfig()
