"""Keep the result: the image (PNG, 16-bit where asked), the run's record and its
loss plot, written as ``tf-style-train`` writes them.

The files are the command's: :func:`tf_style.save_image` with the content's ICC
profile, :func:`tf_style.commands.run_outputs.run_record` for the record (with the
studio's command line in place of the process's, and the uploads by their names
rather than the server's paths), and :func:`tf_style.plotting.plot_losses`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunInputs:
    """What a studio run was given, for its files.

    Attributes:
        config: the run's :class:`~tf_style.config.StyleTransferConfig`.
        content, style: the uploads' paths on the server.
        content_name, style_name: their own file names.
        command: the ``tf-style-train`` command reproducing the run.
        bit_depth: 8 or 16, of the PNG.
        regions: the painted regions
            (:class:`~tf_style.studio.regions_panel.PaintedRegion`), whose masks
            are written beside the result.
        went_on_from: the earlier result's file name, for a Go on.
    """

    config: Any
    content: Path
    style: Path | None
    content_name: str
    style_name: str
    command: str
    bit_depth: int = 8
    regions: list = field(default_factory=list)
    went_on_from: str | None = None

    @property
    def output_name(self) -> str:
        """The command's default name: ``<content>_<style>.png``."""
        return f"{Path(self.content_name).stem}_{Path(self.style_name).stem}.png"


def write_downloads(
    folder: Path,
    result: Any,
    inputs: RunInputs,
    *,
    weights_source: str,
    build_seconds: float,
    studio: dict[str, Any],
) -> dict[str, Path]:
    """Write the image, the loss plot and the record into ``folder``.

    Args:
        folder: a folder of this run's own (made here).
        result: the run's :class:`~tf_style.optimize.recorder.StylizeResult`.
        inputs: what the run was given.
        weights_source: where VGG19's weights came from (in words).
        build_seconds: time spent loading VGG19.
        studio: what the record adds about the studio (update share, Go on).

    Returns:
        ``{"image": ..., "losses": ..., "record": ...}`` (no plot without steps),
        and ``region_N_mask`` for each region.
    """
    from tf_style.artifacts import write_json
    from tf_style.commands.run_outputs import Plan, run_record
    from tf_style.images.decode import rgb_icc_profile
    from tf_style.images.tensors import save_image
    from tf_style.plotting import plot_losses, save_figure
    from tf_style.studio.regions_panel import save_mask
    from tf_style.studio.safety import upload_name

    folder.mkdir(parents=True, exist_ok=True)
    image_path = folder / inputs.output_name
    written = {
        "image": save_image(
            result.image,
            image_path,
            bit_depth=inputs.bit_depth,
            icc_profile=rgb_icc_profile(inputs.content),
        )
    }
    if result.history.get("total"):
        title = f"{image_path.name} ({result.status})"
        written["losses"] = save_figure(
            plot_losses(result.history, title=title),
            image_path.with_name(image_path.stem + "_losses.png"),
        )
    for region in inputs.regions:
        written[f"region_{region.number}_mask"] = save_mask(region, folder)
    plan = Plan(
        inputs.config,
        inputs.content,
        [inputs.style] if inputs.style else [],
        image_path,
        0,
        None,
    )
    record = run_record(
        plan,
        result,
        weights_source,
        build_seconds,
        {name: path.name for name, path in written.items()},
    )
    record_path = image_path.with_suffix(".json")
    record |= {
        "command": shlex.split(inputs.command),
        "content": inputs.content_name,
        "style": [inputs.style_name] if inputs.style else [],
        "regions": [
            {
                "mask": region.mask_name,
                "style": upload_name(region.style),
                "weight": float(region.weight or 1.0),
            }
            for region in inputs.regions
        ],
        "init": inputs.went_on_from,
        "outputs": {name: path.name for name, path in written.items()}
        | {"record": record_path.name},
        "studio": studio,
    }
    written["record"] = write_json(record, record_path)
    return written


__all__ = ["RunInputs", "write_downloads"]
