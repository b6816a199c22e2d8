"""Ctrl-C and SIGTERM at any moment of a command: one line on stderr, exit status 130.

The guard (:func:`tf_style.commands.cli.run_command`) in-process, then the real
commands in a subprocess, signalled at moments chosen by what the process is doing
(TensorFlow's libraries being loaded, the model being built), not by guessed delays.
"""

from __future__ import annotations

import gc
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, command_environment
from tf_style.commands.cli import EXIT_INTERRUPTED, run_command

PROGRAM = "tf-style-test"


def our_lines(err: str, program: str = PROGRAM) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(program)]


# --- the guard, in-process ------------------------------------------------------


def test_an_interrupt_escaping_the_body_is_one_line_and_130(capsys):
    def body() -> int:
        raise KeyboardInterrupt

    assert run_command(PROGRAM, body, as_program=False) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == f"{PROGRAM}: interrupted.\n"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_body_raises_there(capsys, sig):
    reached = []

    def body() -> int:
        signal.raise_signal(sig)
        for _ in range(1000):  # the handler runs between bytecodes
            pass
        reached.append(True)
        return 0

    assert run_command(PROGRAM, body, as_program=False) == EXIT_INTERRUPTED
    assert reached == []
    assert our_lines(capsys.readouterr().err) == [f"{PROGRAM}: interrupted."]


class InterruptedInGarbageCollection:
    """An object whose ``__del__`` is where Ctrl-C lands, as in TensorFlow's."""

    finished: list[bool] = []

    def __init__(self) -> None:
        self.cycle = self  # only the collector frees it

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)
        for _ in range(1000):  # KeyboardInterrupt is raised here, inside __del__
            pass
        self.finished.append(True)


def test_an_interrupt_swallowed_in_garbage_collection_still_ends_130(capsys):
    """Python reports an exception raised in ``__del__`` ("Exception ignored") and
    goes on: the body finishes and returns 0, yet Ctrl-C was pressed."""
    reached = []

    def body() -> int:
        InterruptedInGarbageCollection()
        gc.collect()
        reached.append(True)
        return 0

    assert run_command(PROGRAM, body, as_program=False) == EXIT_INTERRUPTED
    assert reached == [True] and InterruptedInGarbageCollection.finished == []
    err = capsys.readouterr().err
    assert err == f"{PROGRAM}: interrupted.\n"  # no "Exception ignored in ..."


def test_an_interrupt_the_body_handled_adds_no_second_line(capsys):
    def body() -> int:
        try:
            signal.raise_signal(signal.SIGINT)
            for _ in range(1000):
                pass
        except KeyboardInterrupt:
            print(
                f"{PROGRAM}: interrupted; the work so far was saved.", file=sys.stderr
            )
            return EXIT_INTERRUPTED
        return 0

    assert run_command(PROGRAM, body, as_program=False) == EXIT_INTERRUPTED
    assert len(our_lines(capsys.readouterr().err)) == 1


def test_an_interrupt_that_became_another_error_is_still_130(capsys):
    """A library that turns KeyboardInterrupt into its own error (TensorFlow's
    py_function does) must not end in that error's traceback."""

    def body() -> int:
        try:
            signal.raise_signal(signal.SIGINT)
            for _ in range(1000):
                pass
        except KeyboardInterrupt:
            raise RuntimeError("cancelled") from None
        return 0

    assert run_command(PROGRAM, body, as_program=False) == EXIT_INTERRUPTED
    assert our_lines(capsys.readouterr().err) == [f"{PROGRAM}: interrupted."]


def test_a_bug_keeps_its_traceback_and_the_handlers_are_restored():
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    stdout, hook = sys.stdout, sys.unraisablehook

    def body() -> int:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError, match="a bug"):
        run_command(PROGRAM, body, as_program=False)
    assert {sig: signal.getsignal(sig) for sig in before} == before
    assert sys.stdout is stdout and sys.unraisablehook is hook


def test_argparse_exits_pass_through_with_their_status():
    def body() -> int:
        raise SystemExit(2)

    with pytest.raises(SystemExit) as raised:
        run_command(PROGRAM, body, as_program=False)
    assert raised.value.code == 2


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=command_environment(),
        cwd=ROOT,
    )


def test_ctrl_c_while_python_shuts_down_after_a_command_is_still_130():
    """After main() returns, Python shuts TensorFlow down; Ctrl-C then used to be
    "Exception ignored" lines and the status unchanged."""
    done = run_python(
        f"""
        import atexit, os, signal, sys
        from tf_style.commands.cli import run_command

        def at_exit():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100000):
                pass
            print("not reached", file=sys.stderr)

        atexit.register(at_exit)
        sys.exit(run_command({PROGRAM!r}, lambda: 0, as_program=True))
        """
    )
    assert done.returncode == EXIT_INTERRUPTED, done.stderr
    assert done.stderr == f"{PROGRAM}: interrupted.\n"


def test_a_command_ends_its_process_as_python_would_less_the_teardown(tmp_path):
    """As a program, run_command ends the process itself (TensorFlow's native
    teardown left Ctrl-C no handler): threads still finish, atexit still runs."""
    done = run_python(
        f"""
        import atexit, pathlib, sys, threading, time
        from tf_style.commands.cli import run_command

        folder = pathlib.Path({str(tmp_path)!r})
        atexit.register(lambda: (folder / "atexit").write_text("ran"))

        def body():
            def late():
                time.sleep(0.2)
                (folder / "thread").write_text("ran")

            threading.Thread(target=late).start()
            print("result", end="")
            return 3

        run_command({PROGRAM!r}, body, as_program=True)
        print("not reached", file=sys.stderr)
        """
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, "result", "")
    assert (tmp_path / "thread").read_text() == (tmp_path / "atexit").read_text()


# --- the commands, in a subprocess ----------------------------------------------


def libraries_loaded(process: subprocess.Popen, name: str) -> bool:
    """Whether ``process`` has mapped a shared library whose path contains
    ``name``: how a test knows TensorFlow is being imported (Linux's /proc)."""
    try:
        return name in Path(f"/proc/{process.pid}/maps").read_text()
    except OSError:
        return False


def interrupt(
    args: list[str], when: str, *, then: float = 0.0, sig: int = signal.SIGINT
) -> tuple[int, str, str]:
    """Start ``python -m ARGS``, wait until it loads the library ``when``, wait
    ``then`` seconds more, send ``sig``; return (status, stdout, stderr)."""
    process = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=command_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if libraries_loaded(process, when):
                break
            time.sleep(0.01)
        time.sleep(then)
        assert process.poll() is None, "the command ended before the signal"
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, stdout, stderr


def assert_one_line_130(status: int, stderr: str, program: str) -> None:
    assert status == EXIT_INTERRUPTED, stderr
    for noise in ("Traceback", "Exception ignored", "KeyboardInterrupt"):
        assert noise not in stderr, stderr
    assert len(our_lines(stderr, program)) == 1, stderr
    assert "interrupted" in our_lines(stderr, program)[0]


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/maps").exists(), reason="needs Linux's /proc"
)
LONG = ["--max-dim", "48", "--steps-per-epoch", "5000", "--memory-limit", "2G"]


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize(
    "then", [0.0, 1.0, 4.0], ids=["importing-tf", "starting", "building"]
)
def test_ctrl_c_in_the_first_seconds_of_tf_style_compare(tmp_path, then):
    from tests.test_fast import TFLITE_DIR

    args = ["tf_style.compare", *LONG, "--output", str(tmp_path / "out")]
    if TFLITE_DIR.is_dir():
        args += ["--tflite-dir", str(TFLITE_DIR)]
    status, _, stderr = interrupt(args, "libtensorflow", then=then)
    assert_one_line_130(status, stderr, "tf-style-compare")


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("then", [0.0, 3.0], ids=["importing-tf", "starting"])
def test_ctrl_c_in_the_first_seconds_of_tf_style_train(tmp_path, then, sig):
    args = ["tf_style.train", *LONG, "--quiet", "--output", str(tmp_path / "c.png")]
    status, _, stderr = interrupt(args, "libtensorflow", then=then, sig=sig)
    assert_one_line_130(status, stderr, "tf-style-train")


def test_an_interrupt_while_outputs_are_written_is_held_then_130(capsys):
    """Writing the outputs must not be cut short; SIG_IGN there dropped Ctrl-C and
    the run ended 0. Held, it is counted, and the run ends 130 once written."""
    from tf_style.commands.cli import interrupts_held

    written = []

    def body() -> int:
        with interrupts_held():
            signal.raise_signal(signal.SIGINT)
            for _ in range(1000):
                pass
            written.append(True)
        return 0

    assert run_command(PROGRAM, body, as_program=False) == EXIT_INTERRUPTED
    assert written == [True]
    assert capsys.readouterr().err == f"{PROGRAM}: interrupted.\n"


def test_outside_a_command_held_interrupts_are_ignored():
    from tf_style.commands.cli import interrupts_held

    before = signal.getsignal(signal.SIGINT)
    with interrupts_held():
        signal.raise_signal(signal.SIGINT)
        for _ in range(1000):
            pass
    assert signal.getsignal(signal.SIGINT) is before
