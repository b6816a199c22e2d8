"""Named recipes: ``tutorial`` (the defaults) and ``fast`` (the benchmark's winner).

A preset is a set of :class:`~tf_style.config.StyleTransferConfig` settings, chosen
for a ``max_dim``; anything given explicitly overrides it. ``tutorial`` is the config's
defaults. ``fast`` is the recipe ``benchmarks/time_to_quality.py`` found quickest to
reach the tutorial's 300-step loss on every pair it measured, with a budget per size
that holds on pairs nobody measured; at the sizes where it was measured (256-384 and
512-768 px), a stopping rule (:mod:`tf_style.optimize.stopping`) ends the run sooner,
the budget its ceiling. It runs
VGG19 in bfloat16 where the device computes that at least 1.25x as fast as float32
(``mixed_precision="auto"``: AMX CPUs, recent GPUs, AVX512_BF16 CPUs where it pays;
the same evaluations, each about 3x cheaper on an AMX CPU, 1.3-2x on a Zen 5 EPYC),
in float32 elsewhere. Figures: ``benchmarks/README.md``.

Example:
    >>> config = preset("fast", max_dim=256)
    >>> result = stylize("photo.jpg", "painting.jpg", config)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tf_style.config import TUTORIAL, StyleTransferConfig


def tutorial_settings(max_dim: int) -> dict[str, Any]:
    """The tutorial's schedule: Adam, 10 epochs of 100 steps (the config defaults)."""
    return {}


def fast_settings(max_dim: int) -> dict[str, Any]:
    """The fast recipe at ``max_dim`` (see the module docstring); above
    ``LADDER_FROM`` px it climbs there coarse to fine (:func:`ladder`)."""
    schedule = (
        {"scale_steps": (fast_budget(max_dim),)}
        if max_dim <= LADDER_FROM
        else dict(zip(("scales", "scale_steps"), ladder(max_dim), strict=True))
        | {"coarse_start": "correction"}
    )
    return {
        "optimizer": "lbfgs",
        "lbfgs_backend": "tensorflow",
        "lbfgs_history": 30,
        "preconditioner": "fourier",
        "precondition_decay": 0.5,
        "precondition_local": 0.75,
        "init": "content-recolored",
        "mixed_precision": "auto",
        "min_decrease": fast_min_decrease(max_dim),
    } | schedule


# Iterations by max_dim: (largest max_dim it applies to, iterations). The most any
# of the seven measured pairs needs to pass the tutorial's 300-step loss is 72 at
# 256 px and 46 at 512 px (benchmarks/results/fast_preset/ and
# local_scaling_held_out/): the budgets keep a quarter and a third in hand for pairs
# nobody measured. Above 768 px nothing was measured: the budget is generous.
FAST_BUDGETS: tuple[tuple[int, int], ...] = (
    (384, 90),
    (768, 60),
    (10**9, 100),
)


# The stopping rule's threshold by max_dim: (smallest, largest max_dim, min_decrease).
# Each is chosen on the recorded curves of the three benchmark pairs at that size, as
# the largest of benchmarks/stopping.py's grid that keeps 15% in hand below the
# tutorial's 300-step loss, and checked on the held-out pairs (benchmarks/README.md,
# "Stopping when more steps no longer pay"). 256 px: 18 curves, AMX Xeon and EPYC,
# float32 and bfloat16; benchmark pairs' worst stop 0.84x, held out 0.97x
# (chelsea x the_scream); the stops come after 67-88 of the 90 iterations. 512 px:
# 9 curves; worst stops 0.83x and 0.97x (the same held-out pair), after 48-60 of
# the 60. Smaller images flatten sooner: at 32-64 px a like rule stopped at
# 1.01-1.11x, so there, between the sizes measured, and above 768 px the budget runs.
FAST_STOPS: tuple[tuple[int, int, float], ...] = (
    (256, 384, 0.0045),
    (512, 768, 0.01),
)


def fast_min_decrease(max_dim: int) -> float:
    """The fast recipe's stopping threshold at ``max_dim`` (0: run the budget)."""
    return next((x for low, high, x in FAST_STOPS if low <= max_dim <= high), 0.0)


# Print sizes: above this max_dim the fast recipe climbs in sqrt(2) steps from
# LADDER_BASE px, most iterations small (crowsonkb/style-transfer-pytorch's idea):
# a step at twice the pixels costs twice as much, so the budget falls as the
# scale rises, and the largest scales only refine what the smaller ones settled.
LADDER_FROM = 1024
LADDER_BASE = 512
LADDER_STEPS = (30, 16, 10, 6, 4, 2, 2)  # from LADDER_BASE up; the rest get 2


def ladder(max_dim: int) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Scales (fractions of ``max_dim``, ending at 1) and L-BFGS iterations at each.

    Example:
        >>> ladder(2048)
        ((0.25, 0.353553, 0.5, 0.707107, 1.0), (30, 16, 10, 6, 4))
    """
    sides, side = [], float(LADDER_BASE)
    while side < max_dim / 1.2:  # a last step under 1.2x is not worth a scale
        sides.append(side)
        side *= 2**0.5
    scales = tuple(round(side / max_dim, 6) for side in sides) + (1.0,)
    steps = tuple(
        LADDER_STEPS[index] if index < len(LADDER_STEPS) else LADDER_STEPS[-1]
        for index in range(len(scales))
    )
    return scales, steps


def fast_budget(max_dim: int) -> int:
    """L-BFGS iterations of the fast recipe at ``max_dim``."""
    return next(steps for limit, steps in FAST_BUDGETS if max_dim <= limit)


PRESETS: dict[str, Callable[[int], dict[str, Any]]] = {
    "tutorial": tutorial_settings,
    "fast": fast_settings,
}
# Settings a preset's budget replaces: giving them with a preset that sets
# scale_steps would silently do nothing, so it is refused.
SCHEDULE_SETTINGS = ("epochs", "steps_per_epoch")


def preset(name: str, **overrides: Any) -> StyleTransferConfig:
    """The config of preset ``name``, with ``overrides`` (any config field) on top.

    Args:
        name: ``tutorial`` or ``fast``.
        **overrides: settings that win over the preset's, e.g. ``max_dim=256``;
            the preset is chosen for ``max_dim`` (the tutorial's 512 when not
            given).

    Raises:
        ValueError: an unknown preset, a setting the config refuses, or
            ``epochs``/``steps_per_epoch`` with a preset whose budget is
            ``scale_steps`` (give ``scale_steps`` to change it).
    """
    if name not in PRESETS:
        raise ValueError(
            f"Unknown preset {name!r}; choose one of {', '.join(PRESETS)}."
        )
    settings = PRESETS[name](overrides.get("max_dim", TUTORIAL.max_dim))
    clash = [key for key in SCHEDULE_SETTINGS if key in overrides]
    if "scale_steps" in settings and "scale_steps" not in overrides and clash:
        raise ValueError(
            f"the {name} preset sets its budget with scale_steps "
            f"({' '.join(str(s) for s in settings['scale_steps'])}); give scale_steps "
            f"instead of {' and '.join(clash)}."
        )
    return StyleTransferConfig(**(settings | overrides))


__all__ = [
    "PRESETS",
    "fast_budget",
    "fast_min_decrease",
    "fast_settings",
    "preset",
    "tutorial_settings",
]
