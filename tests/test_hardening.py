"""Options and stdout of the commands end in one line, never a traceback.

An option argparse cannot read, a memory limit of 400 digits, a weight float32
cannot hold, stdout on a full disk or a closed pipe: each is one line on stderr and
the README's exit status. Quick: in-process, or a subprocess that stops before
TensorFlow loads.
"""

from __future__ import annotations

import argparse
import errno
import io
import subprocess
import sys

import pytest

from tests.conftest import ROOT, command_environment
from tf_style.commands import compare, train
from tf_style.commands.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    run_command,
)
from tf_style.commands.train import check_frames_options
from tf_style.config import StyleTransferConfig
from tf_style.config.byte_sizes import MAX_MEMORY, parse_memory

PROGRAMS = {train: "tf-style-train", compare: "tf-style-compare"}

# --- --memory-limit ---------------------------------------------------------------


def test_a_memory_limit_of_400_nines_is_a_value_error_not_an_overflow():
    with pytest.raises(ValueError, match="more than any machine has") as raised:
        parse_memory("9" * 400)
    assert len(str(raised.value)) < 200  # the number is cut short, not repeated
    with pytest.raises(ValueError, match="memory limit"):
        StyleTransferConfig(memory_limit="9" * 400 + ".5G")


def test_memory_limits_up_to_1024t_are_read_exactly():
    assert parse_memory("1024T") == MAX_MEMORY == 2**50
    assert parse_memory("0.5K") == 512
    with pytest.raises(ValueError, match="more than any machine has"):
        parse_memory("1025T")


def test_a_memory_limit_of_400_nines_on_the_command_line_is_one_line(capsys):
    status = train.main(["--memory-limit", "9" * 400, "--output", "never/x.png"])
    assert status == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf-style-train: error: memory")


# --- an option argparse cannot read -----------------------------------------------

OPTION_ERRORS = [
    (["--max-dim", "1e3"], "argument --max-dim: invalid int value: '1e3'"),
    (["--epochs", "ten"], "argument --epochs: invalid int value: 'ten'"),
    (["--style-weight", "heavy"], "argument --style-weight: invalid float value"),
    (["--optimizer", "sgd"], "argument --optimizer: invalid choice: 'sgd'"),
    (["--max-dim"], "argument --max-dim: expected one argument"),
    (["--scales"], "argument --scales: expected at least one argument"),
    (["--no-such-option"], "unrecognized arguments: --no-such-option"),
]


@pytest.mark.parametrize("command", [train, compare], ids=["train", "compare"])
@pytest.mark.parametrize("args, message", OPTION_ERRORS)
def test_an_options_type_error_is_one_line_and_exit_2(capsys, command, args, message):
    program = PROGRAMS[command]
    with pytest.raises(SystemExit) as raised:
        command.main(args)
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"{program}: error: {message}")
    assert captured.err.count("\n") == 1 and "usage:" not in captured.err
    assert captured.err.endswith(f" (see {program} --help)\n")


def test_train_specific_option_errors_are_one_line(capsys):
    for args in (["--bit-depth", "12"], ["--batch-size", "x"], ["--fps", "fast"]):
        with pytest.raises(SystemExit):
            train.main(args)
        assert capsys.readouterr().err.count("\n") == 1


def test_max_dim_1e3_from_the_shell_is_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "tf_style.train", "--max-dim", "1e3"],
        capture_output=True,
        text=True,
        timeout=120,
        env=command_environment(),
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "tf-style-train: error: argument --max-dim: invalid int value: '1e3' "
        "(see tf-style-train --help)\n"
    )


# --- --temporal-weight: a weight float32 can hold ---------------------------------


def frames_options(**given) -> argparse.Namespace:
    options = {"frames": "frames/", "temporal": None, "temporal_weight": None}
    return argparse.Namespace(**(options | {"long_term": None, "fps": None} | given))


@pytest.mark.parametrize(
    "weight, long_term, message",
    [
        (1e300, None, r"--temporal-weight must be at most 3\.403e\+38"),
        (3e38, 2, "with the terms it multiplies"),
        (float("nan"), None, "--temporal-weight must be a finite number"),
        (float("inf"), None, "--temporal-weight must be a finite number"),
        (-1.0, None, "--temporal-weight must be zero or positive"),
        (1e-50, None, "which float32 rounds to 0"),
    ],
)
def test_a_temporal_weight_float32_cannot_hold_is_refused(weight, long_term, message):
    """1e300 is infinite in the float32 loss, and infinity times the 0 distance of
    a frame that starts from its target is NaN: "warping error nan"."""
    with pytest.raises(UsageError, match=message):
        check_frames_options(
            frames_options(temporal_weight=weight, long_term=long_term)
        )


@pytest.mark.parametrize("weight, long_term", [(1e10, None), (0.0, 3), (1e38, 3)])
def test_temporal_weights_within_float32_are_taken(weight, long_term):
    check_frames_options(frames_options(temporal_weight=weight, long_term=long_term))


# --- stdout that cannot be written ------------------------------------------------


class BrokenStream(io.StringIO):
    """A stdout whose writes fail as a full disk's or a closed pipe's do."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error


@pytest.mark.parametrize(
    "error, reason",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), "Broken pipe"),
        (OSError(errno.EBADF, "Bad file descriptor"), "Bad file descriptor"),
    ],
)
def test_stdout_that_fails_lets_the_run_finish_then_says_so(
    monkeypatch, capsys, error, reason
):
    monkeypatch.setattr(sys, "stdout", BrokenStream(error))
    finished = []

    def body() -> int:
        print("Device: CPU")
        print("result: out.png")
        finished.append(True)  # the files of a real run are written here
        return EXIT_OK

    assert run_command("tf-style-x", body, as_program=False) == EXIT_FAILED
    assert finished == [True]
    assert capsys.readouterr().err == (
        f"tf-style-x: error: could not write to stdout ({reason}); the output "
        "files, if any, were written in full.\n"
    )


def test_a_closed_stdout_is_said_too(monkeypatch, capsys):
    """Python sets sys.stdout to None when descriptor 1 is closed at start;
    print() then drops every line without a word."""
    monkeypatch.setattr(sys, "stdout", None)

    def body() -> int:
        print("result: out.png")
        return EXIT_OK

    assert run_command("tf-style-x", body, as_program=False) == EXIT_FAILED
    assert "could not write to stdout (stdout is closed)" in capsys.readouterr().err


def test_stdout_failing_does_not_hide_another_status(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", BrokenStream(OSError(errno.ENOSPC, "full")))

    def body() -> int:
        print("Interrupted after 3 steps; saved the work so far.")
        return EXIT_INTERRUPTED

    assert run_command("tf-style-x", body, as_program=False) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == ""


def test_a_name_stdout_cannot_encode_is_shown_escaped(monkeypatch):
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)

    def body() -> int:
        print("result: caf\u00e9.png")
        return EXIT_OK

    assert run_command("tf-style-x", body, as_program=False) == EXIT_OK
    stream.flush()
    assert stream.buffer.getvalue() == b"result: caf\\xe9.png\n"


@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"], ids=["full", "closed"])
def test_help_on_a_stdout_that_cannot_be_written_is_one_line_and_1(redirect):
    """The same from the shell: ``tf-style-train --help > /dev/full`` or ``>&-``."""
    done = subprocess.run(
        ["sh", "-c", f'exec "$0" -m tf_style.train --help {redirect}', sys.executable],
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        env=command_environment(),
        cwd=ROOT,
    )
    assert done.returncode == EXIT_FAILED, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("tf-style-train: error: could not write to stdout")
