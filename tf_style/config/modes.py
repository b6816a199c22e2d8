"""The settings of the many-image and video modes, one frozen dataclass each.

Like :class:`~tf_style.config.StyleTransferConfig`, every default, choice and help
text is on its field: the command line's options for these modes are generated from
the fields (:func:`tf_style.commands.cli.add_field_options`), and the library's
:func:`tf_style.stylize_folder` and :func:`tf_style.stylize_video` take the same
objects, so a default exists once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tf_style.config.choices import (
    MAX_FPS,
    SIZINGS,
    STRATEGIES,
    TEMPORAL_MODES,
    TEMPORAL_WEIGHT,
)
from tf_style.config.fields import option, plain
from tf_style.config.validation import check_weight


@dataclass(frozen=True)
class ManyImagesConfig:
    """How many images (a folder, a glob, a video's frames) are grouped and shared
    out; the optimisation itself is the :class:`StyleTransferConfig`'s."""

    batch_size: int = option(4, "images per batch", metavar="N")
    sizing: str = option(
        "group",
        "batch same-sized images, or fit and pad all to the first's size",
        choices=SIZINGS,
    )
    strategy: str = option(
        "auto",
        "tf.distribute strategy: auto is multi-worker with TF_CONFIG, mirrored with "
        "several GPUs, else none",
        choices=STRATEGIES,
    )

    def __post_init__(self) -> None:
        _plain_fields(self)
        _require_choice("sizing", self.sizing, SIZINGS)
        _require_choice("strategy", self.strategy, STRATEGIES)
        _require_count("batch_size", self.batch_size)


@dataclass(frozen=True)
class VideoConfig:
    """How a video's frames depend on each other, and the rate of the video made."""

    temporal: str = option(
        "flow",
        "flow starts each frame from the previous result warped by the optical flow "
        "and holds it there (Ruder et al. 2016); previous starts from the unwarped "
        "previous result; independent, neither",
        choices=TEMPORAL_MODES,
    )
    temporal_weight: float = option(
        TEMPORAL_WEIGHT,
        "with temporal flow: weight of the temporal term",
        metavar="W",
    )
    long_term: int = option(
        1,
        "with temporal flow: hold each frame to the N previous results (Ruder et "
        "al.'s long-term consistency)",
        metavar="N",
    )
    fps: float | None = option(
        None,
        "frame rate of video.mp4 (default: the input video's, or 10 for a folder)",
        metavar="RATE",
    )

    def __post_init__(self) -> None:
        _plain_fields(self)
        _require_choice("temporal", self.temporal, TEMPORAL_MODES)
        _require_count("long_term", self.long_term)
        check_weight("temporal_weight", self.temporal_weight, terms=self.long_term)
        if self.fps is not None and (
            isinstance(self.fps, bool)
            or not isinstance(self.fps, (int, float))
            or not 0 < self.fps <= MAX_FPS
        ):
            raise ValueError(
                f"fps must be above 0 (and at most {MAX_FPS:g}), got {self.fps!r}."
            )

    def record(self) -> dict[str, Any]:
        """What changes the frames (the frame rate does not): the frames run's
        manifest compares it on resume."""
        return {
            "mode": self.temporal,
            "temporal_weight": self.temporal_weight,
            "long_term": self.long_term,
        }


def _plain_fields(config: Any) -> None:
    for name, value in list(vars(config).items()):
        object.__setattr__(config, name, plain(value))


def _require_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}.")


def _require_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")


def changed_fields(config: Any) -> list[str]:
    """The fields of ``config`` that differ from its class's defaults."""
    defaults = type(config)()
    return [
        field.name
        for field in dataclasses.fields(config)
        if getattr(config, field.name) != getattr(defaults, field.name)
    ]


__all__ = ["ManyImagesConfig", "VideoConfig", "changed_fields"]
