"""Progress callbacks for :func:`tf_style.stylize`: a tqdm bar, frames, a notebook.

``stylize`` reports every step through one callback (a :class:`StepReport`); how that
is shown is the caller's business, so scripts and notebooks each get their own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import tensorflow as tf
from tqdm.auto import tqdm

from tf_style.artifacts import FrameSaver
from tf_style.images.tensors import tensor_to_image
from tf_style.optimize.recorder import StepReport, TileReport


class TqdmProgress:
    """A tqdm bar over all steps: live loss, seconds per step and time left.

    Example:
        >>> with TqdmProgress(config.total_steps) as progress:
        ...     result = stylize(content, style, config, callback=progress)
    """

    def __init__(self, total_steps: int, *, disable: bool = False):
        self.bar = tqdm(
            total=total_steps,
            unit="step",
            disable=disable,
            file=sys.stderr,
            dynamic_ncols=True,
            bar_format="{l_bar}{bar}| {n}/{total} "
            "[{elapsed}<{remaining}, {rate_inv_fmt}{postfix}]",
        )

    def __call__(self, report: StepReport) -> None:
        # total_steps is fixed for a run (scales included); a reused bar may differ.
        if self.bar.total != report.total_steps:
            self.bar.total = report.total_steps
        self.bar.update(report.step - self.bar.n)
        self.bar.set_postfix(loss=f"{report.losses['total']:.4g}", refresh=False)

    def tile(self, report: TileReport) -> None:
        """Say where a tiled evaluation is: a large image's step takes minutes."""
        height, width = report.size
        self.bar.set_postfix_str(
            f"scale {report.scale}/{report.scales} ({width}x{height}): "
            f"{report.phase} stage {report.stage}/{report.stages}, "
            f"tile {report.tile}/{report.tiles}"
        )

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> TqdmProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class FrameProgress:
    """The tqdm bar plus frame saving: the one callback the command gives stylize.

    A frame that cannot be written (a full disk) stops the frames, with one line on
    stderr, and never the run.
    """

    def __init__(
        self,
        total_steps: int,
        *,
        quiet: bool,
        frames: FrameSaver | None = None,
        program: str = "tf_style",
    ):
        self.frames = frames
        self.program = program
        self.bar = TqdmProgress(total_steps, disable=quiet)

    def update(self, report: StepReport) -> None:
        self.bar(report)
        self.save_frame(report.step, report.image)

    __call__ = update

    def tile(self, report: TileReport) -> None:
        self.bar.tile(report)

    def save_frame(self, step: int, image: tf.Tensor) -> None:
        if self.frames is None:
            return
        try:
            self.frames.save(step, image)
        except OSError as error:
            print(
                f"{self.program}: warning: stopped saving frames: could not write "
                f"a frame in {self.frames.directory} ({error.strerror or error}).",
                file=sys.stderr,
            )
            self.frames = None

    def close(self) -> None:
        self.bar.close()


def notebook_progress(every: int = 10) -> Callable[[StepReport], None]:
    """A callback that redraws the step, the loss terms and the image in a notebook.

    Args:
        every: redraw every this many steps (and at the last step).
    """
    from IPython.display import Markdown, display

    status = display(Markdown("starting..."), display_id=True)
    picture = display(Markdown(""), display_id=True)

    def callback(report: StepReport) -> None:
        if report.step % every == 0 or report.step == report.total_steps:
            losses = ", ".join(f"{k} {v:.4g}" for k, v in report.losses.items())
            status.update(
                Markdown(
                    f"step {report.step}/{report.total_steps} "
                    f"({report.elapsed:.0f} s): {losses}"
                )
            )
            picture.update(tensor_to_image(report.image))

    return callback
