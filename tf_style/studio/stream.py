"""The run behind the page: :func:`tf_style.stylize` in a worker thread, its
progress streamed as :class:`Preview` s through a generator.

The optimisation is the library's, called with its ``callback``
(:class:`~tf_style.optimize.recorder.StepReport` after every step), not a copy of
its loop. The callback records each step's losses and, when the page is ready for
one, a copy of the current image; the generator hands these to Gradio, which sends
them to the browser. Stopping raises ``KeyboardInterrupt`` inside the callback, the
library's own way to end a run early: it returns the work so far with status
``interrupted``, exactly as Ctrl-C does for the commands.

How often the page updates is a budget, not a fixed number of steps
(:class:`UpdateBudget`): each update is timed (the copy in the worker, and Gradio's
encoding and sending between two ``yield`` s), and the next is asked for only when
all updates so far, plus one more, stay under :data:`UPDATE_SHARE` of the run's time.
A slow step earns an update every step; a fast one, every few.

Nothing here knows about Gradio or imports TensorFlow: the caller passes the
function that starts the run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The most of a run's wall time its page updates may take. The issue allows 5%;
# on 2 busy cores an update's encoding competes with the optimisation for the CPU,
# and benchmarks/studio.py measured the studio's run at 1.07x the library's with
# 5% (updates took 4.8%): 3% keeps it within 1.05x.
UPDATE_SHARE = 0.03
# What the first update is guessed to cost, before one was measured (seconds).
FIRST_GUESS = 0.05
# How long the generator waits for a preview or the end before checking again.
POLL_SECONDS = 0.05


class UpdateBudget:
    """Allows an update while updates cost at most ``share`` of the time so far.

    Args:
        share: the fraction of wall time updates may take.
        guess: the cost assumed for the next update until one was measured.
    """

    def __init__(self, share: float = UPDATE_SHARE, guess: float = FIRST_GUESS):
        self.share = share
        self.estimate = guess
        self.spent = 0.0
        self.updates = 0
        self.started = time.perf_counter()

    def due(self) -> bool:
        """True when one more update keeps the total under the share."""
        elapsed = time.perf_counter() - self.started
        return self.spent + self.estimate <= self.share * elapsed

    def charge(self, seconds: float) -> None:
        """Count one update's measured cost; the next is expected to cost as much."""
        self.spent += seconds
        self.estimate = seconds
        self.updates += 1

    @property
    def measured_share(self) -> float:
        """The share of the time so far that updates took."""
        elapsed = time.perf_counter() - self.started
        return self.spent / elapsed if elapsed > 0 else 0.0


@dataclass
class Preview:
    """One update of the page.

    Attributes:
        step: steps done (0: before the first).
        total_steps: steps the run plans.
        image: float32 ``[h, w, 3]`` in [0, 1], the current image at its scale's
            size; None before the run has one.
        history: each loss term's values so far.
        elapsed: seconds since the run started.
        update_share: the share of the time so far spent on updates.
        result: the library's :class:`~tf_style.optimize.recorder.StylizeResult`,
            on the last preview only.
        cost: seconds the worker spent making it (part of the update's cost).
        cpu_seconds: on the last preview, the CPU time the whole process spent
            during the run (the optimisation and its page updates).
    """

    step: int
    total_steps: int
    image: np.ndarray | None
    history: dict[str, list[float]] = field(default_factory=dict)
    elapsed: float = 0.0
    update_share: float = 0.0
    result: Any = None
    cost: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def seconds_left(self) -> float | None:
        """The time the remaining steps take at the pace so far (None at step 0)."""
        if self.step == 0:
            return None
        return self.elapsed / self.step * max(self.total_steps - self.step, 0)


class Run:
    """One optimisation in a worker thread.

    Args:
        start: calls :func:`tf_style.stylize` with the given callback and returns
            its result.
        total_steps: the steps the run plans (the config's ``total_steps``).
    """

    def __init__(self, start: Callable[[Callable], Any], total_steps: int):
        self.total_steps = total_steps
        self.result: Any = None
        self.error: BaseException | None = None
        self._start = start
        self._stop = threading.Event()
        self._wanted = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._latest: Preview | None = None
        self._history: dict[str, list[float]] = {}
        self._started = time.perf_counter()
        self._thread = threading.Thread(
            target=self._work, name="tf-style-studio-run", daemon=True
        )

    def begin(self) -> None:
        self._started = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        """End the run after the current step, keeping its work."""
        self._stop.set()

    def join(self) -> None:
        if self._thread.is_alive():
            self._thread.join()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def ask_preview(self) -> None:
        """Ask the worker for the image after its next step."""
        self._wanted.set()

    def take_preview(self) -> Preview | None:
        """The preview the worker made since the last call, if any."""
        with self._lock:
            latest, self._latest = self._latest, None
        return latest

    def wait(self, seconds: float) -> None:
        """Wait until the run ends, at most ``seconds``."""
        self._done.wait(seconds)

    def _work(self) -> None:
        try:
            self.result = self._start(self._on_step)
        except BaseException as error:  # shown on the page; the server goes on
            self.error = error
        finally:
            self._done.set()

    def _on_step(self, report: Any) -> None:
        """The library's callback: record the step, copy the image when asked."""
        if self._stop.is_set():
            raise KeyboardInterrupt  # the library returns the work so far
        for term, value in report.losses.items():
            self._history.setdefault(term, []).append(float(value))
        if not self._wanted.is_set():
            return
        started = time.perf_counter()
        image = np.array(report.image[0], dtype=np.float32)
        preview = Preview(
            step=report.step,
            total_steps=report.total_steps,
            image=image,
            history={term: list(values) for term, values in self._history.items()},
            elapsed=report.elapsed,
        )
        self._wanted.clear()
        preview.cost = time.perf_counter() - started
        with self._lock:
            self._latest = preview


def stream(
    run: Run,
    *,
    first: np.ndarray | None = None,
    budget: UpdateBudget | None = None,
) -> Iterator[Preview]:
    """Start ``run`` and yield its previews, then its last one (with the result).

    The first preview (step 0) shows ``first``, the starting image. Closing the
    generator (the page went away) stops the run and waits for it.

    Raises:
        BaseException: what the run raised (a bad setting found late, memory).
    """
    budget = budget or UpdateBudget()
    cpu = time.process_time()
    run.begin()
    try:
        yield Preview(0, run.total_steps, first)
        while not run.done:
            if budget.due():
                run.ask_preview()
            run.wait(POLL_SECONDS)
            preview = run.take_preview()
            if preview is None:
                continue
            started = time.perf_counter()
            preview.update_share = budget.measured_share
            yield preview  # Gradio encodes and sends it before asking for more
            budget.charge(time.perf_counter() - started + preview.cost)
        if run.error is not None:
            raise run.error
        last = last_preview(run, budget)
        last.cpu_seconds = time.process_time() - cpu
        yield last
    finally:
        run.stop()
        run.join()


def last_preview(run: Run, budget: UpdateBudget) -> Preview:
    """The run's end: its result, with the final image at the content's size."""
    result = run.result
    steps = len(result.history.get("total", []))
    return Preview(
        step=steps,
        total_steps=run.total_steps,
        image=np.asarray(result.image[0], dtype=np.float32),
        history={term: list(values) for term, values in result.history.items()},
        elapsed=result.seconds,
        update_share=budget.measured_share,
        result=result,
    )


__all__ = ["UPDATE_SHARE", "Preview", "Run", "UpdateBudget", "last_preview", "stream"]
