"""Many runs of a command in one fresh process: one TensorFlow start, not one a run.

Tests of what a command prints when it refuses its input run it as a user does, in
a process of its own, so that TensorFlow's start-up lines would show on stderr. A
start costs ~6 s on a 2-core machine, and every command imports TensorFlow at one
place (``quiet_tensorflow``) before it looks at its input, so that check is the
same for every refusal. :func:`run_in_one_process` runs a list of such runs in one
fresh process: each with its own ``argv``, working folder and environment, and its
own stdout and stderr, captured at the file descriptors (so C++ lines and Python's
warnings are caught as in a process of its own; each run sees its warnings anew).
The first run sees TensorFlow start; a run that raises is recorded with its
traceback on its stderr and status None.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import command_environment


@dataclass(frozen=True)
class Run:
    """One command line: ``module.main(argv)`` (what ``python -m`` runs) in ``cwd``,
    with ``env`` set."""

    module: str
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()  # environment variables to remove


RUNNER = r"""
import importlib, json, os, sys, tempfile, traceback, warnings

runs = json.load(open(sys.argv[1]))
results = []
for run in runs:
    environment = dict(os.environ)
    os.environ.update(run["env"])
    for name in run["unset"]:
        os.environ.pop(name, None)
    os.chdir(run["cwd"])
    captured = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    sys.stdout.flush(), sys.stderr.flush()
    kept = [os.dup(1), os.dup(2)]
    os.dup2(captured[0].fileno(), 1), os.dup2(captured[1].fileno(), 2)
    status = None
    try:
        with warnings.catch_warnings():  # each run shows its warnings anew
            try:
                status = importlib.import_module(run["module"]).main(run["argv"])
            except SystemExit as stop:
                status = stop.code
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(kept[0], 1), os.dup2(kept[1], 2)
        os.close(kept[0]), os.close(kept[1])
    os.environ.clear()
    os.environ.update(environment)
    texts = []
    for file in captured:
        file.seek(0)
        texts.append(file.read().decode("utf-8", "replace"))
    results.append({"status": status, "stdout": texts[0], "stderr": texts[1]})
json.dump(results, open(sys.argv[2], "w"))
"""


def run_in_one_process(
    runs: list[Run], *, timeout: float = 600
) -> list[subprocess.CompletedProcess]:
    """Each of ``runs`` in turn in one fresh process (stdin empty); a
    CompletedProcess each, as ``subprocess.run`` would give for the run alone."""
    with tempfile.TemporaryDirectory() as folder:
        cases, answers = Path(folder) / "runs.json", Path(folder) / "results.json"
        cases.write_text(
            json.dumps(
                [
                    {
                        "module": run.module,
                        "argv": [str(arg) for arg in run.argv],
                        "cwd": str(run.cwd),
                        "env": run.env,
                        "unset": list(run.unset),
                    }
                    for run in runs
                ]
            )
        )
        done = subprocess.run(
            [sys.executable, "-c", RUNNER, str(cases), str(answers)],
            env=command_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        results = json.loads(answers.read_text())
    return [
        subprocess.CompletedProcess(
            [sys.executable, "-m", run.module, *run.argv],
            result["status"],
            result["stdout"],
            result["stderr"],
        )
        for run, result in zip(runs, results, strict=True)
    ]
