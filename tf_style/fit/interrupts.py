"""Ctrl-C between training steps, never inside one.

Python runs a signal's handler when control comes back to the interpreter: for a
training step that is right after TensorFlow has taken it, so a plain
``KeyboardInterrupt`` lands after the weights moved but before the step's losses
were recorded, and the checkpoint saved on the way out would be ahead of its
record. :class:`between_steps` holds SIGINT (and SIGTERM, where a handler turns it
into an interrupt, as :func:`tf_style.commands.cli.stop_on_sigterm` does) while a
step, its record and its checkpoint are made; :meth:`between_steps.check` raises the
interrupt at the next boundary. Off the main thread, where Python delivers no
signals, it does nothing.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


class between_steps:  # noqa: N801 - a context manager, used like a function
    """Hold interrupts inside ``with``; :meth:`check` delivers one at a boundary."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.previous: dict[int, object] = {}

    def __enter__(self) -> between_steps:
        if threading.current_thread() is not threading.main_thread():
            return self
        for number in self.SIGNALS:
            handler = signal.getsignal(number)
            if callable(handler):  # Python's own, or one the program set
                self.previous[number] = handler
                signal.signal(number, self._hold)
        return self

    def _hold(self, number: int, frame: FrameType | None) -> None:
        self.pending.append(number)

    def check(self) -> None:
        """Deliver a held signal now, as its own handler would have (Ctrl-C: a
        ``KeyboardInterrupt``)."""
        if self.pending:
            number = self.pending[0]
            self.pending.clear()
            self.previous[number](number, None)

    def __exit__(self, exc_type, exc, traceback) -> None:
        """Give the handlers back; a signal still held is delivered now, unless an
        exception is already on its way out."""
        held = dict(self.previous)
        for number, handler in held.items():
            signal.signal(number, handler)
        if exc_type is None:
            self.check()
        self.previous.clear()


__all__ = ["between_steps"]
