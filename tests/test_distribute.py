"""The distributed batch path, run for real on CPU in fresh processes.

Logical devices must be configured before TensorFlow initialises its devices, and a
multi-worker cluster needs one process per worker, so each case runs in
subprocesses (bounded by a timeout) talking only to 127.0.0.1; a one-device run to
compare with may run here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import command_environment
from tests.one_process import Run, run_in_one_process

pytestmark = pytest.mark.slow

WORKER = Path(__file__).parent / "distributed" / "batch_worker.py"
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 240


def environment(**extra: str) -> dict[str, str]:
    env = command_environment(**extra)
    if "TF_CONFIG" not in extra:
        env.pop("TF_CONFIG", None)
    return env


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_two_workers(arguments, **extra: str) -> list[subprocess.Popen]:
    """Start ``arguments(index)`` as workers 0 and 1 of a localhost cluster, each
    with its TF_CONFIG and the ``extra`` environment."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    processes = []
    for index in range(2):
        config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        processes.append(
            subprocess.Popen(
                arguments(index),
                env=environment(TF_CONFIG=json.dumps(config), **extra),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        )
    return processes


def run_two_workers(arguments, **extra: str) -> list[tuple[int, str]]:
    """:func:`start_two_workers`, then wait at most TIMEOUT; (exit status, stderr)
    of each."""
    processes = start_two_workers(arguments, **extra)
    try:
        outputs = [p.communicate(timeout=TIMEOUT) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    return [(p.returncode, err) for p, (_, err) in zip(processes, outputs, strict=True)]


@pytest.mark.parametrize("count", [3, 1], ids=["shared", "one-image"])
def test_mirrored_two_logical_cpus_equals_one_device(tmp_path, count):
    """A batch of ``count`` images on two replicas, against one device. With one
    image the second replica has no share: it must not run VGG19 on an empty
    batch, which oneDNN (turned on here as TensorFlow does on Intel CPUs) fails
    on. Three images run with the machine's default: oneDNN's results depend on
    the batch's size by more than the tolerance (2e-4 measured)."""
    onednn = {"TF_ENABLE_ONEDNN_OPTS": "1"} if count == 1 else {}
    out = tmp_path / "mirrored.npz"
    done = subprocess.run(
        [sys.executable, str(WORKER), "mirrored", str(out), str(count)],
        env=environment(**onednn),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = np.load(out)
    assert int(data["replicas"]) == 2
    np.testing.assert_allclose(data["history"], data["alone_history"], rtol=1e-5)
    np.testing.assert_allclose(data["images"], data["alone_images"], atol=1e-5)


def test_two_workers_on_localhost_agree_with_one_device(tmp_path):
    for returncode, stderr in run_two_workers(
        lambda index: [
            sys.executable,
            str(WORKER),
            "worker",
            str(tmp_path / f"{index}.npz"),
        ]
    ):
        assert returncode == 0, stderr[-3000:]
    first, second = (np.load(tmp_path / f"{i}.npz") for i in range(2))
    assert int(first["replicas"]) == 2
    np.testing.assert_array_equal(first["images"], second["images"])
    np.testing.assert_allclose(first["history"], first["alone_history"], rtol=1e-5)
    np.testing.assert_allclose(first["images"], first["alone_images"], atol=1e-5)


def write_photos(folder: Path, count: int) -> None:
    import PIL.Image

    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
        PIL.Image.fromarray(pixels).save(folder / f"photo{index}.png")


def command(photos: Path, output: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "tf_style.train", "--content", str(photos),
        "--output", str(output), "--max-dim", "40", "--epochs", "1",
        "--steps-per-epoch", "2", "--batch-size", "2", "--seed", "0", "--quiet",
        *extra,
    ]  # fmt: skip


def start_alone(arguments: list[str], **extra: str) -> subprocess.Popen:
    """The one-device run to compare with, started beside the workers (they spend
    much of their time waiting for each other)."""
    return subprocess.Popen(
        arguments,
        env=environment(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    """Wait at most TIMEOUT for ``process``: (exit status, stderr)."""
    try:
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, stderr


def test_the_documented_two_worker_command_writes_every_size_and_agrees_with_one(
    tmp_path,
):
    """The README's TF_CONFIG command, run as written, on two localhost workers and
    photos of three sizes: three groups at batch 2, the second a single photo, so
    worker 1 has no share of it. Both workers exit 0 without a traceback and write
    every photo at its size, the same pixels on each, and within one level of the
    same command on one device (started beside them).

    oneDNN is turned on as TensorFlow does by default on Intel CPUs: there a
    replica that ran VGG19 on an empty share failed ("3 vs 64" at block1_conv2),
    while on CPUs without it the empty batch passed and hid the bug.
    """
    import PIL.Image

    from tf_style.shapes import tutorial_shape

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    # Width x height. Groups at batch 2: [a, c], [b], [d].
    sizes = {"a": (72, 64), "b": (64, 48), "c": (72, 64), "d": (48, 64)}
    for name, (width, height) in sizes.items():
        pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        PIL.Image.fromarray(pixels).save(photos / f"{name}.png")
    onednn = {"TF_ENABLE_ONEDNN_OPTS": "1"}
    alone = start_alone(
        command(photos, tmp_path / "alone", "--strategy", "none"), **onednn
    )
    for returncode, stderr in run_two_workers(
        lambda index: command(photos, tmp_path / f"out{index}"), **onednn
    ):
        assert returncode == 0, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
    returncode, stderr = finish(alone)
    assert returncode == 0, stderr[-3000:]
    for name, (width, height) in sizes.items():
        height, width = tutorial_shape((height, width), 40)  # the command's max-dim
        written = []
        for folder in ("out0", "out1", "alone"):
            with PIL.Image.open(tmp_path / folder / f"{name}.png") as image:
                assert image.size == (width, height), (folder, name, image.size)
                written.append(np.asarray(image, dtype=np.int16))
        np.testing.assert_array_equal(written[0], written[1])  # the workers agree
        assert np.abs(written[0] - written[2]).max() <= 1, name  # and with one device


MALFORMED_TF_CONFIGS = ["not json", '{"cluster": 5}', '{"task": {"type": "worker"}}']


@pytest.fixture(scope="module")
def malformed(tmp_path_factory) -> list[subprocess.CompletedProcess]:
    """The command with each of MALFORMED_TF_CONFIGS, as a user runs it, all in one
    fresh process (tests/one_process.py: TensorFlow starts once, the same start for
    each)."""
    runs = []
    for tf_config in MALFORMED_TF_CONFIGS:
        folder = tmp_path_factory.mktemp("malformed")
        write_photos(folder / "photos", 1)
        arguments = command(folder / "photos", folder / "out")[3:]  # after -m NAME
        runs.append(Run("tf_style.train", arguments, folder, {"TF_CONFIG": tf_config}))
    return run_in_one_process(runs, timeout=TIMEOUT)


@pytest.mark.parametrize("index", range(3), ids=MALFORMED_TF_CONFIGS)
def test_a_malformed_tf_config_is_one_line_and_exit_2(malformed, index):
    done = malformed[index]
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "TF_CONFIG" in done.stderr


def fit_command(photos: Path, output: Path) -> list[str]:
    return [
        sys.executable, "-m", "tf_style.fit", "--style",
        str(ROOT / "tf_style" / "data" / "starry_night.jpg"), "--content", str(photos),
        "--output", str(output), "--image-size", "32", "--batch-size", "2",
        "--width", "4", "--steps", "3", "--held-out", "1", "--log-every", "1",
        "--no-export",
    ]  # fmt: skip


def test_two_workers_train_a_network_like_one_device(tmp_path, monkeypatch, capsys):
    """tf-style-fit under MultiWorkerMirroredStrategy from TF_CONFIG, both workers
    writing to one folder (a shared disk): the first keeps the record and the
    checkpoints, the second its own checkpoints beside them; same losses as one
    device. The one-device run is the command in this process, while the workers
    run (no third TensorFlow start); the workers get this process's oneDNN
    setting."""
    from tf_style.fit.command import main

    photos = tmp_path / "photos"
    write_photos(photos, 5)
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    workers = start_two_workers(
        lambda index: fit_command(photos, tmp_path / "cluster"),
        **({} if onednn is None else {"TF_ENABLE_ONEDNN_OPTS": onednn}),
    )
    try:
        monkeypatch.delenv("TF_CONFIG", raising=False)
        alone = main(fit_command(photos, tmp_path / "alone")[3:])  # after -m NAME
        assert alone == 0, capsys.readouterr().err[-3000:]
    finally:
        results = [finish(worker) for worker in workers]
    for returncode, stderr in results:
        assert returncode == 0, stderr[-3000:]
    records = [
        json.loads((tmp_path / name / "fit.json").read_text())
        for name in ("alone", "cluster")
    ]
    assert records[1]["replicas"] == 2
    losses = [[row["total"] for row in record["history"]] for record in records]
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    assert (tmp_path / "cluster" / "checkpoints_worker1").is_dir()
