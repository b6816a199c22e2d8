"""What the many-image command shows of a folder or video run: the device and model
lines the single-image command prints (stdout), one progress bar over every step of
the images or frames it computes, and a line for each input it skips (stderr).

The library (:func:`tf_style.batch.stylize_folder`, ``stylize_video``) reports
:class:`~tf_style.batch.ProgressEvent`\\ s; this turns them into the bar. The bar
counts whole steps (an image of a batch of four makes four a step), so it never
passes its total, and images done by an earlier run leave its total rather than
fill it, so the time left is for the work this run does.
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

from tf_style.batch.results import ProgressEvent
from tf_style.device import describe_device


class ManyProgress:
    """The ``on_progress`` callback of the many-image command.

    Args:
        unit: ``image`` or ``frame``.
        quiet: no bar (the lines are still printed).
    """

    def __init__(self, unit: str, *, quiet: bool):
        self.unit, self.quiet = unit, quiet
        self.bar: tqdm | None = None
        self.steps = self.count = 0  # steps each input has when done; inputs
        self.settled: set[int] = set()  # inputs that take no more steps here
        self.first: dict[int, int] = {}  # input -> its first step in this run
        self.shown: dict[int, int] = {}  # input -> steps of it the bar shows

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "start":
            self.start(event)
        elif event.kind == "step":
            self.step(event)
        else:  # done, kept, failed, skipped
            if event.kind in ("failed", "skipped"):
                self.say(f"skipped {event.path}: {event.message}")
            self.settle(event.index)

    def start(self, event: ProgressEvent) -> None:
        """The device and model lines, and the bar over the steps to take."""
        print(f"Device: {describe_device()}")
        print(event.message)
        self.steps, self.count = max(1, event.total), event.count
        total = (self.count - len(self.settled)) * self.steps
        self.bar = tqdm(
            total=total,
            unit="step",
            disable=self.quiet or total == 0,  # all done before: nothing to show
            file=sys.stderr,
            dynamic_ncols=True,
            bar_format="{l_bar}{bar}| {n}/{total} steps "
            "[{elapsed}<{remaining}{postfix}]",
        )

    def step(self, event: ProgressEvent) -> None:
        """Show the steps input ``event.index`` has had in this run."""
        if self.bar is None or event.index in self.settled:
            return
        now = event.step - self.first.setdefault(event.index, event.step) + 1
        more = now - self.shown.get(event.index, 0)
        if more <= 0:
            return
        self.shown[event.index] = now
        loss = "" if event.loss is None else f", loss {event.loss:.4g}"
        self.bar.set_postfix_str(
            f"{self.unit} {event.index}/{self.count}{loss}", refresh=False
        )
        if self.bar.n + more < self.bar.total:
            self.bar.update(more)
        else:  # the last step: shown once, by close()
            self.bar.n += more

    def settle(self, index: int) -> None:
        """Input ``index`` takes no more steps here: the steps it did not take
        leave the bar's total."""
        if index == 0 or index in self.settled:  # 0: not one of the inputs
            return
        self.settled.add(index)
        untaken = self.steps - self.shown.get(index, 0)
        if self.bar is not None and untaken > 0:
            self.bar.total -= untaken
            if self.bar.n < self.bar.total:
                self.bar.refresh()

    def say(self, line: str) -> None:
        if self.bar is None:
            print(line, file=sys.stderr)
        else:
            self.bar.write(line, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


__all__ = ["ManyProgress"]
