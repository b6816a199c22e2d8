"""Continuing a training run: the record and the checkpoints read as contracts, what
defines a run, refusals before any work, Ctrl-C at any moment and a full disk.

One tiny run (2 steps, checkpointed at step 2) is trained once and copied for each
case that damages or continues it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tests.conftest import command_environment
from tests.one_process import Run, run_in_one_process
from tf_style.fit import FitConfig, fit
from tf_style.fit.checkpoints import CheckpointError, check_checkpoint
from tf_style.fit.input_checks import (
    ResumeConflict,
    check_fit,
    check_outside_sources,
    check_record_room,
)
from tf_style.fit.memory_estimate import TooLargeToTrain, check_fit_memory
from tf_style.fit.record import MAX_RECORD_BYTES, RecordError, read_record
from tf_style.fit.sources import resolve_source
from tf_style.vgg.weights import load_vgg19

ROOT = Path(__file__).resolve().parents[1]
STYLE = ROOT / "tf_style" / "data" / "starry_night.jpg"
TINY = dict(
    steps=2,
    batch_size=2,
    image_size=32,
    width=4,
    held_out=1,
    log_every=1,
    preview_every=2,
    checkpoint_every=2,
)
CONFIG = FitConfig(**TINY)
ARGS = ["--image-size", "32", "--batch-size", "2", "--width", "4", "--held-out", "1",
        "--log-every", "1", "--preview-every", "2", "--checkpoint-every", "2",
        "--no-export"]  # fmt: skip


def write_photos(folder: Path, count: int = 5, seed: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(count):
        pixels = rng.integers(0, 256, (40, 48, 3)).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"p{index}.png")
    return folder


@pytest.fixture(scope="module")
def vgg():
    return load_vgg19()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """``photos/`` (five) and ``style.jpg``, a copy of the bundled style."""
    folder = tmp_path_factory.mktemp("inputs")
    write_photos(folder / "photos")
    shutil.copy(STYLE, folder / "style.jpg")
    return folder


@pytest.fixture(scope="module")
def finished(inputs, vgg, tmp_path_factory) -> Path:
    """The folder of a finished 2-step run on ``inputs``."""
    folder = tmp_path_factory.mktemp("finished") / "run"
    fit(CONFIG, style=inputs / "style.jpg", content=str(inputs / "photos"),
        directory=folder, export=False, vgg=vgg)  # fmt: skip
    return folder


@pytest.fixture
def run(finished, tmp_path) -> Path:
    """A copy of the finished run, to damage or continue."""
    return Path(shutil.copytree(finished, tmp_path / "run"))


DAMAGED_RECORDS = ["{}", "[1]", '{"config": 5}']
BEFORE_ANY_MODEL = [
    (["--seed", "-1"], "seed must be between 0"),
    (["--style-layer-weights", "1", "2", "3"], "3 weights for the 5 style layers"),
    (["--image-size", "20000"], "--image-size 20000: a training step needs"),
    (["--width", "100000"], "--width 100000"),
    (["--style-scale", "1000000"], "--style-scale 1000000"),
    (["--style", "HUGE"], "megapixels"),
    (["--steps", "100000000"], "fit.json holds"),
]


def refusals(inputs: Path, finished: Path) -> dict[tuple, object]:
    """The command lines whose refusal must be one line on stderr: key ->
    make(folder) -> (the arguments before ARGS, those after), once what the case
    needs is set up in folder."""
    photos, style = inputs / "photos", inputs / "style.jpg"

    def damaged_record(folder, text):
        (folder / "run").mkdir()
        (folder / "run" / "fit.json").write_text(text)
        return ["--style", style, "--content", photos, "--output", folder / "run"], []

    def truncated_checkpoint(folder):
        run = Path(shutil.copytree(finished, folder / "run"))
        data = run / "checkpoints" / "ckpt-2.data-00000-of-00001"
        data.write_bytes(data.read_bytes()[:1000])
        return ["--style", style, "--content", photos, "--output", run], []

    def other_photos(folder):
        run = Path(shutil.copytree(finished, folder / "run"))
        other = write_photos(folder / "other", count=4, seed=5)
        return ["--style", style, "--content", other, "--output", run], ["--steps", "3"]

    def output_inside_the_glob(folder):
        write_photos(folder / "ph" / "shoot")
        glob, output = folder / "ph" / "**" / "*.png", folder / "ph" / "run"
        return ["--style", STYLE, "--content", glob, "--output", output], []

    def before_any_model(folder, args):
        chosen, output = style, folder / "new" / "run"
        if args == ["--style", "HUGE"]:
            chosen, args = huge_png(folder / "huge.png"), []
        return ["--style", chosen, "--content", photos, "--output", output], args

    cases = {}
    for text in DAMAGED_RECORDS:
        cases["record", text] = partial(damaged_record, text=text)
    cases["truncated",] = truncated_checkpoint
    cases["other photos",] = other_photos
    cases["glob",] = output_inside_the_glob
    for index, (args, _) in enumerate(BEFORE_ANY_MODEL):
        cases["before", index] = partial(before_any_model, args=args)
    return cases


@pytest.fixture(scope="module")
def refused(inputs, finished, tmp_path_factory) -> dict[tuple, tuple]:
    """Every case of ``refusals()`` run as a user runs it, each in its own folder,
    all in one fresh process (tests/one_process.py: TensorFlow starts once, the
    same start for each, not 13 times): key -> (result, folder)."""
    folders, runs = {}, []
    for key, make in refusals(inputs, finished).items():
        folders[key] = folder = tmp_path_factory.mktemp("refused")
        before, after = make(folder)
        arguments = [str(argument) for argument in [*before, *ARGS, *after]]
        runs.append(Run("tf_style.fit.command", arguments, folder))
    results = run_in_one_process(runs)
    return {
        key: (result, folder)
        for (key, folder), result in zip(folders.items(), results, strict=True)
    }


def check(run: Path, inputs: Path, config: FitConfig = CONFIG, **sources):
    sources = {"style": inputs / "style.jpg", "content": inputs / "photos"} | sources
    return check_fit(config, directory=run, **sources)


def run_command(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tf_style.fit", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        env=command_environment(),
    )  # fmt: skip


def assert_one_line(done: subprocess.CompletedProcess, status: int, *words: str):
    assert done.returncode == status, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for word in words:
        assert word in done.stderr


# 1. The record: capped, typed, versioned; special files refused unopened.


@pytest.mark.parametrize(
    "text, message",
    [
        ("{}", "record version None"),
        ("[1]", "an array \\(JSON\\), not a record"),
        ('{"config": 5}', "record version None"),
        ("", "not a record"),
        ('{"version": 1, "config"', "not a record"),
        ('{"version": 7}', "record version 7"),
        ("[" * 100_000, "not a record"),
        (b"\xff\xfe{}", "not a record"),
    ],
)
def test_a_record_that_is_not_one_is_refused_with_its_reason(tmp_path, text, message):
    path = tmp_path / "fit.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(RecordError, match=message):
        read_record(tmp_path)


def edited(record: dict, change: str) -> dict:
    """The record with one field damaged as ``change`` says."""
    record = json.loads(json.dumps(record))
    name, _, value = change.partition("=")
    *parents, leaf = name.split(".")
    target = record
    for parent in parents:
        target = target[parent]
    if value == "DELETE":
        del target[leaf]
    else:
        target[leaf] = json.loads(value)
    return record


@pytest.mark.parametrize(
    "change, message",
    [
        ("config=5", "'config' is a number, expected an object"),
        ('config.image_size="32"', "image_size is '32'"),
        ("config.steps=0", "steps must be at least 1"),
        ("config.width=DELETE", "no 'width' setting"),
        ("config.seed=-1", "seed must be between"),
        ("history={}", "'history' is an object, expected an array"),
        ('history=[{"step": 9, "seconds": 1}]', "do not belong"),
        ('history=[{"step": 1, "seconds": 1, "total": "x"}]', "'total'"),
        ("steps_done=-1", "steps_done"),
        ("seconds=true", "seconds"),
        ("run=DELETE", "no 'run' field"),
        ("run.style=[]", "run.style"),
        ("held_out=[1]", "held_out"),
    ],
)
def test_each_field_of_the_record_is_type_checked(finished, tmp_path, change, message):
    record = json.loads((finished / "fit.json").read_text())
    (tmp_path / "fit.json").write_text(json.dumps(edited(record, change)))
    with pytest.raises(RecordError, match=message):
        read_record(tmp_path)


def test_a_record_with_nan_or_past_the_size_cap_is_refused(finished, tmp_path):
    text = (
        (finished / "fit.json")
        .read_text()
        .replace('"seconds": ', '"seconds": NaN, "x": ', 1)
    )
    (tmp_path / "fit.json").write_text(text)
    with pytest.raises(RecordError, match="NaN"):
        read_record(tmp_path)
    os.truncate(tmp_path / "fit.json", MAX_RECORD_BYTES + 1)  # sparse: costs nothing
    with pytest.raises(RecordError, match="larger than"):
        read_record(tmp_path)


def refused_in_time(read, *args) -> str:
    """``read(*args)``'s refusal, which must come at once: a reader that opened a
    FIFO would wait for a writer for ever."""
    said = []

    def attempt():
        try:
            read(*args)
        except (RecordError, CheckpointError) as error:
            said.append(str(error))

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the reader blocked"
    assert said, "nothing was refused"
    return said[0]


@pytest.mark.parametrize("kind", ["fifo", "device", "socket", "folder", "dangling"])
def test_a_special_file_as_the_record_is_refused_unopened(tmp_path, request, kind):
    path = tmp_path / "fit.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        request.addfinalizer(server.close)
        server.bind(str(path))
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "nowhere")
    said = refused_in_time(read_record, tmp_path)
    assert str(path) in said and "\n" not in said


@pytest.mark.parametrize("text", DAMAGED_RECORDS)
def test_the_command_refuses_a_damaged_record_in_one_line(refused, text):
    done, _ = refused["record", text]
    assert_one_line(done, 2, "fit.json")


# 2. The checkpoints: the index read strictly, a damaged checkpoint named.


def test_a_truncated_checkpoint_is_refused_before_any_model(run, inputs):
    data = run / "checkpoints" / "ckpt-2.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="ckpt-2: the checkpoint is damaged"):
        check(run, inputs)


def test_the_command_says_a_truncated_checkpoint_in_one_line(refused):
    done, _ = refused["truncated",]
    assert_one_line(done, 2, "ckpt-2", "damaged")


@pytest.mark.parametrize(
    "damage, message",
    [
        ("index=garbage {{{", "line 1 is not one tf-style-fit writes"),
        ('index=model_checkpoint_path: "/etc/passwd"', "line 1"),
        ("flip", "damaged"),
        ("fifo", "not a regular file"),
        ("gone", "is missing"),
    ],
)
def test_a_damaged_checkpoint_folder_is_refused(run, damage, message):
    folder = run / "checkpoints"
    if damage.startswith("index="):
        (folder / "checkpoint").write_text(damage.removeprefix("index=") + "\n")
    elif damage == "flip":
        data = folder / "ckpt-2.data-00000-of-00001"
        contents = bytearray(data.read_bytes())
        contents[len(contents) // 2] ^= 0xFF
        data.write_bytes(bytes(contents))
    elif damage == "fifo":
        (folder / "ckpt-2.index").unlink()
        os.mkfifo(folder / "ckpt-2.index")
    else:
        for path in folder.glob("ckpt-2.*"):
            path.unlink()
    assert message in refused_in_time(check_checkpoint, folder, 2)


def test_checkpoints_without_a_record_or_of_another_step_are_refused(run):
    with pytest.raises(CheckpointError, match="has no record"):
        check_checkpoint(run / "checkpoints", None)
    shutil.copy(
        run / "checkpoints" / "ckpt-2.index", run / "checkpoints" / "ckpt-5.index"
    )
    shutil.copy(run / "checkpoints" / "ckpt-2.data-00000-of-00001",
                run / "checkpoints" / "ckpt-5.data-00000-of-00001")  # fmt: skip
    with pytest.raises(CheckpointError, match="holds step 2, but the record says 5"):
        check_checkpoint(run / "checkpoints", 5)


# 3. What defines a run: the style's bytes, the photos' listing, the sizes.


def test_another_style_image_under_the_same_name_cannot_continue(run, inputs, tmp_path):
    style = tmp_path / "style.jpg"
    Image.open(ROOT / "assets" / "the_scream.jpg").convert("RGB").save(style)
    with pytest.raises(ResumeConflict, match="--style: another image"):
        check(run, inputs, style=style)


def test_other_photos_cannot_continue_a_run(run, inputs, tmp_path):
    more = Path(shutil.copytree(inputs / "photos", tmp_path / "more"))
    write_photos(more / "extra", count=1, seed=9)
    with pytest.raises(ResumeConflict, match="--content: 5 image files then, 6 now"):
        check(run, inputs, content=more)
    edited = Path(shutil.copytree(inputs / "photos", tmp_path / "edited"))
    write_photos(tmp_path / "other", count=1, seed=9)
    shutil.copy(tmp_path / "other" / "p0.png", edited / "p0.png")
    with pytest.raises(ResumeConflict, match="contents changed"):
        check(run, inputs, content=edited)


def test_the_same_photos_and_style_moved_elsewhere_continue_the_run(
    run, inputs, tmp_path
):
    moved = Path(shutil.copytree(inputs, tmp_path / "moved"))
    plan = check(run, moved)
    assert plan.record["steps_done"] == 2 and plan.checkpoint.name == "ckpt-2"


def test_the_command_names_another_photo_folder_in_one_line(refused):
    done, _ = refused["other photos",]
    assert_one_line(done, 2, "--content")


def test_another_width_or_architecture_cannot_continue(run, inputs):
    with pytest.raises(ResumeConflict, match="width: 4 in the checkpoint, 8 now"):
        check(run, inputs, FitConfig(**TINY | {"width": 8}))


# 4. The output folder outside everything a source reads, by the kernel's paths.


def test_an_output_inside_a_globs_folder_is_refused(tmp_path):
    photos = write_photos(tmp_path / "ph" / "a")
    content = resolve_source(str(tmp_path / "ph" / "**" / "*.png"))
    with pytest.raises(ValueError, match="previews would become training images"):
        check_outside_sources(tmp_path / "ph" / "run", {"--content": content})
    # Spelled through a link and "..", it is still inside.
    (tmp_path / "link").symlink_to(photos)
    spelled = tmp_path / "link" / ".." / "run"
    with pytest.raises(ValueError, match="--content reads"):
        check_outside_sources(spelled, {"--content": content})
    check_outside_sources(tmp_path / "elsewhere", {"--content": content})


def test_an_output_where_a_globs_link_leads_is_refused(tmp_path):
    write_photos(tmp_path / "ph")
    (tmp_path / "away").mkdir()
    (tmp_path / "ph" / "link").symlink_to(tmp_path / "away")
    content = resolve_source(str(tmp_path / "ph" / "**" / "*.png"))
    with pytest.raises(ValueError, match="away"):
        check_outside_sources(tmp_path / "away" / "run", {"--content": content})


def test_a_listed_link_into_the_output_or_a_style_inside_it_is_refused(tmp_path):
    photos = write_photos(tmp_path / "ph")
    preview = tmp_path / "run" / "previews" / "step_000002.png"
    preview.parent.mkdir(parents=True)
    shutil.copy(photos / "p0.png", preview)
    (photos / "link.png").symlink_to(preview)
    content = resolve_source(str(photos))
    with pytest.raises(ValueError, match="inside it"):
        check_outside_sources(tmp_path / "run", {"--content": content})
    with pytest.raises(ValueError, match="could replace"):
        check_outside_sources(tmp_path / "run", {"--style": preview})


def test_a_glob_reads_the_links_within_its_depth(tmp_path):
    (tmp_path / "ph" / "a" / "img").mkdir(parents=True)
    write_photos(tmp_path / "ph" / "a" / "img")
    for name in ("away", "deep"):
        (tmp_path / name).mkdir()
    (tmp_path / "ph" / "link").symlink_to(tmp_path / "away")  # a '*' follows it
    (tmp_path / "ph" / "a" / "img" / "sub").mkdir()
    (tmp_path / "ph" / "a" / "img" / "sub" / "deep").symlink_to(tmp_path / "deep")
    content = resolve_source(str(tmp_path / "ph" / "*" / "img" / "*.png"))
    with pytest.raises(ValueError, match="away"):
        check_outside_sources(tmp_path / "away" / "run", {"--content": content})
    check_outside_sources(tmp_path / "deep" / "run", {"--content": content})


def test_the_command_refuses_an_output_inside_the_glob_it_trains_on(refused):
    done, folder = refused["glob",]
    assert_one_line(done, 2, "previews would become training images")
    assert not (folder / "ph" / "run").exists()


# 5. Ctrl-C: the record written matches the checkpoint kept.


def test_ctrl_c_inside_a_step_keeps_that_steps_losses_with_its_checkpoint(
    inputs, vgg, tmp_path, monkeypatch, request
):
    """Python runs a signal handler just after TensorFlow's step returns: the step
    is taken, and so must its losses be in the record saved with its checkpoint."""
    from tf_style.fit.training import NetworkTrainer

    step = NetworkTrainer.train_step

    def interrupted_after_step_2(self):
        losses = step(self)
        if losses.step == 2:
            os.kill(os.getpid(), signal.SIGINT)  # as a Ctrl-C during the step
        return losses

    monkeypatch.setattr(NetworkTrainer, "train_step", interrupted_after_step_2)
    # A terminal's Ctrl-C: Python's own handler, whatever the worker was given.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    config = FitConfig(**TINY | {"steps": 4, "checkpoint_every": 100})
    common = dict(style=inputs / "style.jpg", content=str(inputs / "photos"),
                  directory=tmp_path, export=False, vgg=vgg)  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        fit(config, **common)
    record = json.loads((tmp_path / "fit.json").read_text())
    assert record["steps_done"] == 2
    assert [row["step"] for row in record["history"]] == [1, 2]
    assert record["checkpoint"].endswith("ckpt-2")
    monkeypatch.setattr(NetworkTrainer, "train_step", step)
    result = fit(config, **common)
    assert [row["step"] for row in result.record["history"]] == [1, 2, 3, 4]


# 6. Refused before work, leaving nothing behind.


def huge_png(path: Path, side: int = 20_000) -> Path:
    """A 1-bit PNG of ``side`` squared pixels (400 megapixels): 50 KB on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])
    rows = zlib.compress(bytes(side // 8 + 1) * side, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", rows) + chunk(b"IEND", b""))  # fmt: skip
    return path


@pytest.mark.parametrize(
    "index",
    range(len(BEFORE_ANY_MODEL)),
    ids=[" ".join(args) for args, _ in BEFORE_ANY_MODEL],
)
def test_refusals_come_before_any_model_and_leave_no_folder(refused, index):
    done, folder = refused["before", index]
    message = BEFORE_ANY_MODEL[index][1]
    assert_one_line(done, 2, message)
    assert not (folder / "new").exists()


@pytest.mark.parametrize(
    "change, setting",
    [
        ({"image_size": 20000}, "image_size"),
        ({"width": 100000}, "width"),
        ({"style_scale": 1e6}, "style_scale"),
        ({"batch_size": 100000}, "batch_size"),
    ],
)
def test_the_memory_estimate_names_the_setting_and_what_fits(change, setting):
    config = FitConfig(**TINY | {"image_size": 256, "batch_size": 4} | change)
    side = round(config.style_scale * config.image_size)
    with pytest.raises(TooLargeToTrain) as refused:
        check_fit_memory(config, style_size=(side, side), style_file_pixels=10**6,
                         available=8 << 30)  # fmt: skip
    assert refused.value.setting == setting
    largest = refused.value.largest
    assert largest is not None and largest < getattr(config, setting)
    fitting = FitConfig(**TINY | {"image_size": 256, "batch_size": 4, setting: largest})
    side = round(fitting.style_scale * fitting.image_size)
    check_fit_memory(fitting, style_size=(side, side), style_file_pixels=10**6,
                     available=8 << 30)  # fmt: skip


def test_a_record_that_would_outgrow_its_cap_is_refused_up_front():
    check_record_room(FitConfig(**TINY | {"steps": 100_000, "preview_every": 200}))
    with pytest.raises(ValueError, match="at least"):
        check_record_room(FitConfig(**TINY | {"steps": 10**8}))


# 7. A full disk while checkpointing: one line, exit 1, nothing partial left.


def test_a_full_disk_while_checkpointing_is_one_line_and_leaves_no_temporary(
    inputs, tmp_path, monkeypatch, capsys
):
    from tf_style.fit.command import main

    def full(self, checkpoint_number=None, **options):
        temporary = Path(self.directory) / f"ckpt-{checkpoint_number}_temp"
        temporary.mkdir(parents=True)
        (temporary / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"12")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tf.train.CheckpointManager, "save", full)
    output = tmp_path / "run"
    status = main(["--style", str(inputs / "style.jpg"), "--content",
                   str(inputs / "photos"), "--output", str(output), *ARGS])  # fmt: skip
    stderr = capsys.readouterr().err
    assert status == 1, stderr
    assert len(stderr.strip().splitlines()) == 1 and "No space left" in stderr
    assert not list(output.rglob("*_temp*")) and not list(output.rglob("*.tmp"))
    assert not (output / "fit.json").exists()


# 8. Ctrl-C at any moment: one line, exit 130.


def test_ctrl_c_while_tensorflow_starts_is_one_line(inputs, tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tf_style.fit", "--style", str(inputs / "style.jpg"),
         "--content", str(inputs / "photos"), "--output", str(tmp_path / "run"),
         *ARGS],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, env=command_environment(),
    )  # fmt: skip
    time.sleep(1.5)  # importing TensorFlow takes longer
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("where", ["load_style", "check_checkpoint", "resolve_source"])
def test_ctrl_c_before_the_loop_is_one_line(
    inputs, tmp_path, monkeypatch, capsys, where
):
    import tf_style.fit.input_checks as preflight

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(preflight, where, interrupt)
    status = main_of_fit(["--style", str(inputs / "style.jpg"), "--content",
                          str(inputs / "photos"), "--output", str(tmp_path / "run"),
                          *ARGS])  # fmt: skip
    stderr = capsys.readouterr().err
    assert status == 130, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


def main_of_fit(argv: list[str]) -> int:
    from tf_style.fit.command import main

    return main(argv)
