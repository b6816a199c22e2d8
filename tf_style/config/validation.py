"""Every setting's rule, checked in one place when a config is made.

:class:`tf_style.config.StyleTransferConfig` calls :func:`validate_config` on
construction, so a config that exists is valid and the code that uses it trusts it;
the command line turns the ``ValueError`` or ``TypeError`` into its one-line error.
The functions take the config (any object with its fields) and import nothing of
:mod:`tf_style.config`, which imports them.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import struct
from typing import Any

from tf_style.config.byte_sizes import parse_memory
from tf_style.config.choices import INITS
from tf_style.config.layer_names import validate_layers
from tf_style.config.ranges import validate_ranges


def validate_config(config: Any) -> None:
    """Reject impossible settings early, saying what was passed and what would work.

    Raises:
        ValueError: a setting is out of range, not finite or names something unknown.
        TypeError: a setting of the wrong type (a string of layer names, a float seed).
    """
    validate_numbers(config)
    validate_layers(config.style_layers, kind="style")
    validate_layers(config.content_layers, kind="content")
    validate_choices(config)
    _require(
        len(config.scales) >= 1
        and all(is_real(s) for s in config.scales)
        and all(0 < s <= 1 for s in config.scales)
        and list(config.scales) == sorted(config.scales)
        and config.scales[-1] == 1,
        f"scales must rise from a fraction above 0 to 1, e.g. 0.25 0.5 1; "
        f"got {' '.join(str(s) for s in config.scales)}.",
    )
    validate_scale_steps(config)
    validate_controls(config)
    validate_speed(config)
    if config.memory_limit != "auto":
        parse_memory(config.memory_limit)


def validate_choices(config: Any) -> None:
    """Every setting with ``choices`` in its field's metadata holds one of them.

    Raises:
        ValueError: naming the setting, the value and the choices.
    """
    for field in dataclasses.fields(config):
        choices = field.metadata.get("choices")
        value = getattr(config, field.name)
        if choices is not None and value not in choices:
            label = field.metadata.get("label", field.name)
            raise ValueError(
                f"Unknown {label} {value!r}; choose one of {', '.join(choices)}."
            )


def validate_speed(config: Any) -> None:
    """The L-BFGS and coarse-to-fine settings: known choices, sizes that work.

    Raises:
        ValueError: a preconditioner with scipy's L-BFGS-B (which cannot take
            one). The history's and the preconditioner's ranges are their fields'
            (:func:`validate_numbers`).
    """
    _require(
        config.preconditioner == "none" or config.lbfgs_backend == "tensorflow",
        f"preconditioner {config.preconditioner!r} needs lbfgs_backend "
        f"'tensorflow' (scipy's L-BFGS-B takes no preconditioner).",
    )
    _require(
        config.precondition_local == 0 or config.lbfgs_backend == "tensorflow",
        "precondition_local needs lbfgs_backend 'tensorflow' (scipy's L-BFGS-B "
        "takes no preconditioner).",
    )


def validate_controls(config: Any) -> None:
    """The artistic controls: known choices, weights that can be normalised.

    Raises:
        ValueError: an unknown choice, a weight count that does not match, or
            weights that cannot be normalised.
    """
    _require(
        isinstance(config.init, str) and config.init != "",
        f"init must be one of {', '.join(INITS)} or an image file, "
        f"got {config.init!r}.",
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
        all(is_real(w) and math.isfinite(w) and w >= 0 for w in weights)
        and sum(weights) > 0,
        f"{name} must be finite weights of at least 0 that sum above 0, "
        f"got {' '.join(str(w) for w in weights)}.",
    )


def validate_numbers(config: Any) -> None:
    """Counts whole, numbers finite and float32's, weights >= 0, then every
    field's range from its metadata (:func:`~tf_style.config.ranges.validate_ranges`:
    counts at least 1, optimiser settings in range...).

    ``inf`` and ``nan`` are refused everywhere: an infinite learning rate or weight
    is accepted by every comparison below and only fails, later, as a NaN image.
    """
    for name in ("max_dim", "epochs", "steps_per_epoch", "lbfgs_history"):
        _require_int(name, getattr(config, name))
    if config.seed is not None:
        _require_int("seed", config.seed)
    for name in FLOAT_SETTINGS:
        value = getattr(config, name)
        _require(is_real(value), f"{name} must be a number, got {value!r}.")
        _require(math.isfinite(value), f"{name} must be finite, got {value}.")
        check_float32(name, value)
    for name in ("style_weight", "content_weight", "total_variation_weight"):
        check_weight(name, getattr(config, name))
    validate_ranges(config)


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
    "min_decrease",
)


def check_weight(name: str, value: float, *, terms: int = 1) -> None:
    """A loss weight: finite, at least 0, and with its product in float32's range.

    The loss and its gradient are float32; the term a weight multiplies is summed
    over ``terms`` parts (the temporal term's earlier frames), so ``value * terms``
    must be a float32 number. A larger weight is infinite there, and infinity
    times a distance of 0 (a frame that starts from its target) is NaN. How large
    the weighted loss may grow during the run is the run's to report: a
    non-finite loss stops it, keeping the last finite image.

    Raises:
        ValueError: naming ``name``, the value and the limit.
    """
    _require(
        is_real(value) and math.isfinite(value),
        f"{name} must be a finite number, got {value!r}.",
    )
    _require(value >= 0, f"{name} must be zero or positive, got {value}.")
    check_float32(name, value * terms, shown=value)


def check_float32(name: str, value: float, *, shown: float | None = None) -> None:
    """A setting the steps compute with in float32 must be a float32 number: at
    most 3.4e38 in size, and not so small that it rounds to 0.

    Raises:
        ValueError: naming ``name``, the value (``shown``, where the value checked
            is a product of it) and the range.
    """
    shown = value if shown is None else shown
    _require(
        abs(value) <= FLOAT32_MAX,
        f"{name} must be at most {FLOAT32_MAX:.4g} (float32's largest number"
        f"{'' if shown == value else ', with the terms it multiplies'}), "
        f"got {shown:g}.",
    )
    _require(
        value == 0 or struct.unpack("f", struct.pack("f", value))[0] != 0,
        f"{name} is {shown:g}, which float32 rounds to 0; give 0 or a value of at "
        f"least {FLOAT32_SMALLEST:.3g}.",
    )


def is_real(value: object) -> bool:
    """A real number: int, float or a NumPy one; not a bool (a flag, not a count)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


FLOAT32_MAX = (2 - 2.0**-23) * 2.0**127  # 3.4028235e38
FLOAT32_SMALLEST = 2.0**-149  # the least above 0 (subnormal): 1.4e-45


def validate_scale_steps(config: Any) -> None:
    """Steps per scale: one positive count per scale, or enough steps to split.

    Raises:
        ValueError: a count per scale is missing, extra or below 1.
    """
    for steps in config.scale_steps:
        _require_int("scale_steps", steps)
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
    """int or a NumPy integer; not a bool, a float or a string."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {value!r}.")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


# The tutorial's settings, for building blocks whose keyword defaults must agree.
