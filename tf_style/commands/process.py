"""The life of a command as a process: how it ends, whatever happens.

Every command ends in one line: :func:`run_command` turns Ctrl-C or SIGTERM at any
moment into one line and exit status 130 (an interrupt that a library swallowed, in
garbage collection say, still counts), and stdout that cannot be written (a full
disk, a closed pipe) into one line and 1, after the run has written its files.
:func:`interrupts_held` keeps a signal from cutting the writing of outputs short
without losing it. The exit statuses are the README's table.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import signal
import sys
import threading
import typing
from collections.abc import Iterator

EXIT_OK = 0
EXIT_FAILED = 1  # an output could not be written, or memory ran out mid-run
EXIT_USAGE = 2  # bad input: an option, image, weights file or output location
EXIT_NON_FINITE = 3  # the loss became non-finite; the last finite image was kept
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM; the work so far was saved
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FAILED: "an output could not be written, or memory ran out during the run",
    EXIT_USAGE: "bad input, refused before any model was built",
    EXIT_NON_FINITE: "the loss became non-finite; the last finite image was kept",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C or SIGTERM); the work so far was saved",
}


def run_command(
    program: str, body: typing.Callable[[], int], *, as_program: bool
) -> int:
    """Run a command's ``body`` so that it ends in one line, whatever happens.

    - Ctrl-C or SIGTERM at any moment is one line on stderr and exit status 130.
      An interrupt that Python swallows (raised inside a ``__del__`` during
      garbage collection, where Python prints "Exception ignored" and goes on)
      is counted by the signal handler, so the run ends with 130 all the same.
    - stdout that cannot be written (a full disk, a closed descriptor, a pipe
      whose reader left) never stops the run: the files are written, then one
      line on stderr says so and the status is 1 (where it would have been 0).

    Args:
        program: the command's name, for its messages.
        body: parses, runs and returns the exit status (argparse's SystemExit
            passes through, with its status checked the same way).
        as_program: True when this is the process's own command (``main()`` with
            no ``argv``): the process then ends here, see :func:`_exit_process`.
            False (tests, notebooks) returns, with Python's handlers restored.

    Returns:
        The exit status.
    """
    as_program = as_program and not _interactive()
    guard = _Guard(program)
    try:
        status = body()
    except KeyboardInterrupt:
        guard.interrupts.raising = False
        status = guard.interrupted()
    except SystemExit as stop:  # argparse: --help (0) or an option's error (2)
        code = guard.finish(_exit_status(stop), as_program)
        if as_program:
            _exit_process(code)
        raise SystemExit(code) from None
    except BaseException:
        guard.interrupts.raising = False
        if not guard.interrupts.count:
            guard.finish(EXIT_FAILED, as_program=False)
            raise  # a bug: its traceback, as before
        status = guard.interrupted()  # what an interrupt turned into
    status = guard.finish(status, as_program)
    if as_program:
        _exit_process(status)
    return status


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Within: Ctrl-C and SIGTERM are counted, not raised, so writing the outputs
    is never cut short; :func:`run_command` ends a run that counted one with 130.

    ``SIG_IGN`` would drop the signal: the run would end 0 though the user
    pressed Ctrl-C. Outside a command (no counting handler) they are ignored.
    """
    held = {}
    with contextlib.suppress(ValueError):  # not the main thread: nothing to hold
        for sig in STOP_SIGNALS:
            held[sig] = signal.getsignal(sig)
            if not isinstance(held[sig], _Interrupts):
                signal.signal(sig, signal.SIG_IGN)
    # SIGINT's and SIGTERM's are one handler, found once (by identity).
    raising = {h: h.raising for h in held.values() if isinstance(h, _Interrupts)}
    for handler in raising:
        handler.raising = False
    try:
        yield
    finally:
        for handler, was in raising.items():
            handler.raising = was
        for sig, handler in held.items():
            if not isinstance(handler, _Interrupts):
                signal.signal(sig, handler)


def _exit_status(stop: SystemExit) -> int:
    """The status Python would give ``stop``: None is 0, a message 1."""
    if stop.code is None:
        return EXIT_OK
    return stop.code if isinstance(stop.code, int) else EXIT_FAILED


def _interactive() -> bool:
    """A Python prompt or a notebook, whose process is not the command's to end."""
    return hasattr(sys, "ps1") or "ipykernel" in sys.modules


def _exit_process(status: int) -> typing.NoReturn:
    """End the process as Python's shutdown does, less its native teardown.

    Python joins the threads and runs the ``atexit`` functions (logging's flush,
    temporary folders' removal), then tears down its modules and TensorFlow's
    native state: half a second or more during which Python's signal handlers are
    gone, so a Ctrl-C killed the process with no line and no status 130. Here the
    first two steps run as Python runs them, with :func:`_exit_on_interrupt`'s
    handler still in place, and the process ends.
    """
    with contextlib.suppress(Exception):
        threading._shutdown()  # what Python's shutdown calls first: joins threads
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


class _Interrupts:
    """SIGINT's and SIGTERM's handler: counts each, and raises KeyboardInterrupt
    while ``raising``."""

    def __init__(self) -> None:
        self.count = 0
        self.raising = True

    def __call__(self, signum: int, frame: object) -> None:
        self.count += 1
        if self.raising:
            raise KeyboardInterrupt(f"signal {signum}")


class _Guard:
    """What :func:`run_command` installs for the body and takes down after it."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.interrupts = _Interrupts()
        self.handlers = {}
        with contextlib.suppress(ValueError):  # not the main thread: no signals
            for sig in STOP_SIGNALS:
                self.handlers[sig] = signal.signal(sig, self.interrupts)
        self.unraisablehook = sys.unraisablehook
        sys.unraisablehook = self._unraisable
        self.stdout = sys.stdout
        if self.stdout is None:  # descriptor 1 closed: no file opened later takes it
            try:
                os.fstat(1)
            except OSError:
                _point_at_devnull(1)
        sys.stdout = SafeStdout(self.stdout)

    def _unraisable(self, unraisable) -> None:
        # An interrupt raised in a __del__: counted by the handler, reported at the
        # end. Anything else as Python shows it.
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            self.unraisablehook(unraisable)

    def interrupted(self) -> int:
        self.say("interrupted.")
        return EXIT_INTERRUPTED

    def say(self, message: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            print(f"{self.program}: {message}", file=sys.stderr, flush=True)

    def finish(self, status: int, as_program: bool) -> int:
        """The status, turned into 130 by a counted interrupt or into 1 by stdout
        that could not be written; one line says which."""
        self.interrupts.raising = False  # from here a Ctrl-C is counted, not raised
        stdout = sys.stdout
        if isinstance(stdout, SafeStdout):
            stdout.flush()
        sys.stdout = self.stdout
        sys.unraisablehook = self.unraisablehook
        if self.interrupts.count and status != EXIT_INTERRUPTED:
            if status == EXIT_OK:  # else the error's own line is said already
                self.say("interrupted.")
            status = EXIT_INTERRUPTED
        elif isinstance(stdout, SafeStdout) and stdout.error and status == EXIT_OK:
            self.say(
                f"error: could not write to stdout ({stdout.error}); the output "
                "files, if any, were written in full."
            )
            status = EXIT_FAILED
        late = _exit_on_interrupt(self.program, status) if as_program else None
        for sig, handler in self.handlers.items():
            signal.signal(sig, late or handler)
        return status


def _exit_on_interrupt(program: str, status: int) -> typing.Callable:
    """The handler while the process ends (:func:`_exit_process`): one line (none
    if the command said it was interrupted), exit 130.

    A KeyboardInterrupt raised there would be "Exception ignored" lines in an
    ``atexit`` function and the status unchanged.
    """
    line = b"" if status == EXIT_INTERRUPTED else f"{program}: interrupted.\n".encode()

    def handler(signum, frame, write=os.write, exit_now=os._exit) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            write(2, line)
        exit_now(EXIT_INTERRUPTED)

    return handler


class SafeStdout:
    """sys.stdout during a command: a write that fails is noted, never raised.

    A command's results are its files; its stdout is a summary. A full disk, a
    closed descriptor or a pipe whose reader left (``| head -1``) must not stop
    the run before they are written, nor end it in a traceback. After the first
    failure the rest is dropped, and the descriptor is pointed at /dev/null so
    that Python's own flush at exit does not fail again.
    """

    def __init__(self, stream: typing.TextIO | None) -> None:
        self.stream = stream  # None: Python found descriptor 1 closed at start
        self.error: str | None = None

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                if self.stream is None:
                    raise OSError(errno.EBADF, "stdout is closed")
                self._write(text)
                self.stream.flush()  # each line now: a failure shows at once
            except (OSError, ValueError) as error:  # ValueError: a closed file
                self._failed(error)
        return len(text)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except UnicodeEncodeError:  # a file name the terminal cannot show
            encoding = getattr(self.stream, "encoding", None) or "utf-8"
            shown = text.encode(encoding, "backslashreplace").decode(encoding)
            self.stream.write(shown)

    def flush(self) -> None:
        if self.error is None and self.stream is not None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as error:
                self._failed(error)

    def _failed(self, error: Exception) -> None:
        self.error = getattr(error, "strerror", None) or str(error)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            _point_at_devnull(self.stream.fileno())

    def isatty(self) -> bool:
        return self.error is None and self.stream is not None and self.stream.isatty()

    def __getattr__(self, name: str):  # encoding, fileno, buffer...
        return getattr(self.stream, name)


def _point_at_devnull(descriptor: int) -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    if null != descriptor:
        os.dup2(null, descriptor)
        os.close(null)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_on_sigterm() -> None:
    """Treat SIGTERM (a scheduler's or ``kill``'s stop) as Ctrl-C.

    Every command saves its work on KeyboardInterrupt and exits 130; a job stopped
    by its scheduler deserves the same.
    """
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


__all__ = [
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NON_FINITE",
    "EXIT_OK",
    "EXIT_USAGE",
    "STOP_SIGNALS",
    "SafeStdout",
    "interrupts_held",
    "run_command",
    "stop_on_sigterm",
]
