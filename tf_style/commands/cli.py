"""What the command-line programs share: options built from the config, and checks.

``tf_style.train`` and ``tf_style.compare`` read the optimisation settings from
:class:`tf_style.config.StyleTransferConfig` through :func:`add_config_arguments`,
and ``tf_style.fit`` its training settings from
:class:`tf_style.fit.config.FitConfig`, both through :func:`add_field_options`, so
no default or help text exists twice. Expected failures are :class:`UsageError`: the
programs print them as one line and exit with status 2, without a traceback.

Nothing here imports TensorFlow at module level: the commands parse their options and
call :func:`quiet_tensorflow` first.

Every command ends in one line: :class:`CommandParser` says an option's error in
one, and :func:`run_command` turns Ctrl-C or SIGTERM at any moment into one line
and 130, and stdout that cannot be written into one line and 1.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import errno
import importlib.resources
import logging
import os
import signal
import sys
import threading
import types
import typing
import warnings
from collections.abc import Iterator
from pathlib import Path

from tf_style.config import (
    StyleTransferConfig,
)
from tf_style.presets import PRESETS, preset

BUNDLED = {"content": "chelsea.png", "style": "starry_night.jpg"}
# Exit statuses, the same for every command (the README has this table).
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


class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


class CommandParser(argparse.ArgumentParser):
    """argparse, with an option's error as one line and exit status 2.

    argparse prints the whole usage (30 lines here) above its message; the line
    that says what was wrong is enough, with where to read more.
    """

    def error(self, message: str) -> typing.NoReturn:
        text = " ".join(message.split())
        self.exit(EXIT_USAGE, f"{self.prog}: error: {text} (see {self.prog} --help)\n")


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


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--preset`` and one option per config field, with its help text.

    An option left out takes the preset's value (the tutorial's default unless the
    preset changes it), so options given explicitly always win over the preset.
    """
    group = parser.add_argument_group("optimisation (defaults are the tutorial's)")
    group.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        default="tutorial",
        help="a recipe the other options adjust: tutorial (the defaults) or fast "
        "(the quickest to reach the tutorial's quality; see the README's Speed "
        "section) (default: tutorial)",
    )
    add_field_options(group, StyleTransferConfig, keep_defaults=False)


def add_field_options(group, config_class: type, *, keep_defaults: bool) -> None:
    """One option per field of the dataclass ``config_class``, from its metadata.

    Each field's ``metadata`` (see :func:`tf_style.config.option`) gives the help
    text and, where it has them, ``choices``, ``flag`` (the option's name without
    ``--``) and ``metavar``. The type comes from the field's annotation: ``bool`` is
    ``--x/--no-x``, a tuple takes one or more values.

    Args:
        group: the parser or argument group to add to.
        config_class: ``StyleTransferConfig``, ``FitConfig``...
        keep_defaults: True: an option left out takes the field's default.
            False: it is left out of the namespace, so a preset can decide.
    """
    defaults = config_class()
    hints = typing.get_type_hints(config_class)
    for field in dataclasses.fields(config_class):
        flag = "--" + field.metadata.get("flag", field.name.replace("_", "-"))
        default = getattr(defaults, field.name)
        group.add_argument(
            flag,
            dest=field.name,
            default=default if keep_defaults else argparse.SUPPRESS,
            help=_help(field.metadata["help"], default),
            **_argument_kind(field, hints[field.name]),
        )


def _argument_kind(field: dataclasses.Field, kind: object) -> dict:
    if kind is bool:
        return {"action": argparse.BooleanOptionalAction}
    if typing.get_origin(kind) is tuple:
        item = typing.get_args(kind)[0]
        return {"nargs": "+", "type": item, "metavar": _metavar(item)}
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
    options: dict = {
        "type": kind,
        "metavar": field.metadata.get("metavar", _metavar(kind)),
    }
    if "choices" in field.metadata:
        options = {"choices": field.metadata["choices"]}
    return options


def _metavar(kind: type) -> str:
    return {int: "N", float: "X", str: "NAME"}.get(kind, "VALUE")


def _help(text: str, default: object) -> str:
    """The field's help, with its default unless that is empty (the text says it)."""
    return text if default == () else f"{text} (default: {_show(default)})"


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def config_from_args(args: argparse.Namespace) -> StyleTransferConfig:
    """Build the config from parsed options.

    Raises:
        UsageError: a setting the config refuses (its message says why).
    """
    values = {}
    for field in dataclasses.fields(StyleTransferConfig):
        if hasattr(args, field.name):
            value = getattr(args, field.name)
            values[field.name] = tuple(value) if isinstance(value, list) else value
    try:
        return preset(getattr(args, "preset", "tutorial"), **values)
    except (ValueError, TypeError) as error:
        raise UsageError(str(error)) from None


def check_style_count(config: StyleTransferConfig, count: int) -> None:
    """``--style-blend`` gives one weight per style image, or none.

    Raises:
        UsageError: the counts differ.
    """
    if config.style_blend and len(config.style_blend) != count:
        raise UsageError(
            f"--style-blend gives {len(config.style_blend)} weights for {count} style "
            f"image{'s' if count != 1 else ''}; give one weight per --style image."
        )


def bundled_images() -> Path:
    """The folder of the default images, shipped inside the package (package data)."""
    return Path(str(importlib.resources.files("tf_style") / "data"))


def input_image(path: Path | None, role: str) -> Path:
    """The image path given for ``role`` ("content" or "style"), or the bundled one.

    Raises:
        UsageError: no path was given and the bundled image is missing (a broken
            install).
    """
    if path is not None:
        return path
    bundled = bundled_images() / BUNDLED[role]
    if not bundled.is_file():
        raise UsageError(
            f"the bundled {bundled.name} is not here ({bundled}: tf_style's package "
            f"data is missing); pass --{role} PATH."
        )
    return bundled


# The library names loss terms and settings; the command names its flags.
FLAGS = {
    "style_weight": "--style-weight",
    "content_weight": "--content-weight",
    "total_variation_weight": "--tv-weight",
    "learning_rate": "--learning-rate",
}


def flag_message(message: str) -> str:
    """The library's message with each setting named by its command-line flag."""
    for setting, flag in FLAGS.items():
        message = message.replace(setting, flag)
    return message


def notes_as_lines(program: str, *more: type[Warning]) -> None:
    """Show the library's notes (a file decoded reduced, and ``more`` kinds) as
    ``program: note: ...``.

    The library says them as warnings (:class:`~tf_style.decode.ReducedDecodeWarning`
    and the like); Python's default display would add a file name, a line number
    and the source line to a command's stderr.
    """
    from tf_style.decode import ReducedDecodeWarning

    notes = (ReducedDecodeWarning, *more)
    default = getattr(warnings.showwarning, "shows_notes_of", warnings.showwarning)

    shown: set[str] = set()  # a note found by two checks of one input, said once

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, notes):
            if str(message) not in shown:
                shown.add(str(message))
                print(f"{program}: note: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    show.shows_notes_of = default  # a second call replaces, not wraps, this one
    warnings.showwarning = show


def quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up chatter on stderr.

    Before absl's logging starts, TensorFlow's C++ code writes lines (absl,
    oneDNN, cudart) straight to file descriptor 2, whatever ``TF_CPP_MIN_LOG_LEVEL``
    says; they would surround a command's one-line error. So the import runs with
    descriptor 2 pointed at /dev/null, and the C++ and Python log levels are raised
    to errors. A user's own ``TF_CPP_MIN_LOG_LEVEL`` is kept; ``--debug`` skips all
    this.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras  # noqa: F401 - imports tensorflow; both print at import
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null; Python's own errors come after."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
