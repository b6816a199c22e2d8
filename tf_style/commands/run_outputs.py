"""One image's run on files: its :class:`Plan` and what it writes when it ends.

The plan holds the checked settings, the images and every path the run reads or
writes (:mod:`tf_style.commands.one_image` makes it before any model is built).
When the run has stopped, however it stopped, :func:`write_outputs` writes the
image first; a side file that cannot be written (a full disk) is reported in one
line and never costs the image.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tf_style.artifacts import FrameSaver, library_versions, make_gif, write_json
from tf_style.commands.cli import flag_message
from tf_style.config import INITS, StyleTransferConfig
from tf_style.device import describe_device
from tf_style.images.decode import rgb_icc_profile
from tf_style.images.tensors import save_image
from tf_style.optimize import StylizeResult
from tf_style.paths.identity import OverwriteError
from tf_style.plotting import plot_losses, save_figure
from tf_style.regions import Region, region_record
from tf_style.vgg.network import precision_reason, resolve_precision

PROGRAM = "tf-style-train"


class OutputError(Exception):
    """A file of the run could not be written: one line, exit status 1."""


@dataclass
class Plan:
    """Everything checked before the run: settings, images and where outputs go."""

    config: StyleTransferConfig
    content_path: Path
    style_paths: list[Path]
    output: Path
    save_every: int
    weights: Path | None
    mask_path: Path | None = None
    bit_depth: int | None = None
    regions: list[Region] = field(default_factory=list)
    images: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def init_path(self) -> Path | None:
        """The starting image's file, where ``--init`` names one."""
        return None if self.config.init in INITS else Path(self.config.init)

    @property
    def inputs(self) -> list[Path]:
        """Every file the run reads, each region's too."""
        files = [self.content_path, *self.style_paths]
        files += [self.init_path, self.weights, self.mask_path]
        for region in self.regions:
            files += [region.mask, region.style, region.style_mask]
        return [Path(path) for path in files if path is not None]

    def output_file(self, suffix: str) -> Path:
        """A file next to the image: ``cat.png`` -> ``cat<suffix>``."""
        return self.output.with_name(self.output.stem + suffix)

    @property
    def side_files(self) -> list[Path]:
        """Every file written beside the image."""
        suffixes = ["_losses.png", ".json"] + ([".gif"] if self.save_every else [])
        return [self.output_file(suffix) for suffix in suffixes]

    @property
    def frames_folder(self) -> Path | None:
        return self.output_file("_frames") if self.save_every else None


def write_outputs(
    plan: Plan,
    result: StylizeResult,
    frames: FrameSaver | None,
    weights_source: str,
    build_seconds: float,
) -> dict[str, str]:
    """The image first, then the loss curves, GIF and JSON record; each atomically.

    Raises:
        OutputError: a file could not be written; the message says which, and
            whether the image was kept.
    """
    try:
        image = save_image(
            result.image,
            plan.output,
            bit_depth=plan.bit_depth,
            icc_profile=rgb_icc_profile(plan.content_path),
        )
        written = {"image": str(image)}
    except (OSError, OverwriteError) as error:
        raise OutputError(
            f"could not write the image {plan.output} ({_reason(error)})."
        ) from None
    failed: list[str] = []
    for name, write in side_file_writers(plan, result, frames):
        try:
            written[name] = str(write())
        except (OSError, OverwriteError) as error:
            failed.append(f"{name} ({_reason(error)})")
    record_path = plan.output_file(".json")
    record = run_record(plan, result, weights_source, build_seconds, written)
    try:
        written["record"] = str(write_json(record, record_path))
    except (OSError, OverwriteError) as error:
        failed.append(f"record {record_path} ({_reason(error)})")
    if failed:
        raise OutputError(
            f"could not write {'; '.join(failed)}; the image was kept at {plan.output}."
        )
    return written


def side_file_writers(plan: Plan, result: StylizeResult, frames: FrameSaver | None):
    """(name, write) for the loss curves, the last frame and the GIF."""
    writers = []
    if result.history["total"]:
        title = f"{plan.output.name} ({result.status})"
        path = plan.output_file("_losses.png")
        writers.append(
            (
                "losses",
                lambda: save_figure(plot_losses(result.history, title=title), path),
            )
        )
    if frames is not None:

        def animate() -> Path:
            frames.save_final(len(result.history["total"]), result.image)
            return make_gif(frames.paths, plan.output_file(".gif"))

        writers.append(("gif", animate))
    return writers


def _reason(error: OSError | OverwriteError) -> str:
    filename = getattr(error, "filename", None)
    where = f": {filename}" if filename else ""
    return f"{getattr(error, 'strerror', None) or error}{where}"


def run_record(
    plan: Plan,
    result: StylizeResult,
    weights_source: str,
    build_seconds: float,
    written: dict[str, str],
) -> dict:
    """Settings, sources, device, versions, timings, final losses and the outcome."""
    steps = len(result.history["total"])
    final = {term: values[-1] for term, values in result.history.items() if values}
    return {
        "status": result.status,
        "message": flag_message(result.message),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [PROGRAM, *sys.argv[1:]],
        "settings": plan.config.to_dict(),
        "content": str(plan.content_path),
        "style": [str(path) for path in plan.style_paths],
        "mask": str(plan.mask_path) if plan.mask_path else None,
        "regions": region_record(plan.regions),
        "init": str(plan.init_path) if plan.init_path else None,
        "image_size": list(result.image.shape[1:3]),
        "weights_source": weights_source,
        "device": describe_device(),
        "precision": resolve_precision(plan.config.mixed_precision),
        "precision_reason": precision_reason(plan.config.mixed_precision),
        "notes": plan.notes,
        "versions": library_versions(),
        "timings": {
            "model_build_seconds": round(build_seconds, 3),
            "optimisation_seconds": round(result.seconds, 3),
            "seconds_per_step": round(result.seconds / steps, 4) if steps else None,
        },
        "steps_completed": steps,
        "steps_planned": plan.config.total_steps,
        "scales": result.scales,
        "final_losses": final,
        "outputs": {**written, "record": str(plan.output_file(".json"))},
    }


def print_summary(result: StylizeResult, written: dict[str, str]) -> None:
    steps = len(result.history["total"])
    if result.status == "completed":
        print(f"Done: {steps} steps in {result.seconds:.1f} s.")
    elif result.status == "interrupted":
        print(f"Interrupted after {steps} steps; saved the work so far.")
    else:
        print(f"{PROGRAM}: error: {flag_message(result.message)}", file=sys.stderr)
    if steps:
        first, last = result.history["total"][0], result.history["total"][-1]
        print(f"Total loss: {first:.4g} -> {last:.4g}")
    for name, path in written.items():
        print(f"  {name:>7}: {path}")


__all__ = [
    "PROGRAM",
    "OutputError",
    "Plan",
    "print_summary",
    "run_record",
    "write_outputs",
]
